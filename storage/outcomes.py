"""Outbox rows and the case events that record what became of them.

Every outbox row that reaches `sent` or `failed` has an event on its case saying so
(`notification_delivered` / `notification_failed`, with the row's id as `outbox_id`), written in
the same transaction as the status (cme.delivery). `unrecorded` finds the rows that lack one
(written by an older version, whose status and event were committed separately, so a crash
between the two could keep the status alone: issue 13) for the tick to reconcile.

A row with no address (`recipient` "") is written `failed` by the engine in the same unit of work
as its `notification_failed` event (engine/unaddressed.py), which names the queuing event
(`event_seq`), not the row: such rows are never "unrecorded". `unaddressed` lists them while they
wait for an address, and `readdress` gives one its address and queues it again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, exists, false, or_, select, update

from engine.ports import OutboxMessage
from storage.audit import erasure_table
from storage.database import write_transaction
from storage.outbox import _message
from storage.tables import event_table, outbox_table

KINDS = {"sent": "notification_delivered", "failed": "notification_failed"}
"""The event that records each final status."""


def _recorded() -> Any:
    """SQL: an event on the row's case records the row's final status."""
    o, e = outbox_table.c, event_table.c
    kind = case((o.status == "sent", KINDS["sent"]), else_=KINDS["failed"])
    return (
        exists()
        .where(
            e.case_id == o.case_id,
            e.seq > o.event_seq,
            e.trigger == kind,
            e.evidence["outbox_id"].as_integer() == o.id,
        )
        .correlate(outbox_table)
    )


def _unflagged() -> Any:
    """SQL: a final row not yet flagged `outcome_recorded` (the partial index
    `ix_outbox_unrecorded` holds exactly these, so reading them does not grow with the
    outbox)."""
    o = outbox_table.c
    return and_(o.status.in_(tuple(KINDS)), o.outcome_recorded == false())


def flag_recorded(engine: Engine) -> int:
    """Flag the unflagged final rows whose event exists (rows from before schema 0006, or a
    race lost to another tick) or that never had an address; how many."""
    o = outbox_table.c
    with write_transaction(engine) as conn:
        result = conn.execute(
            update(outbox_table)
            .where(_unflagged(), or_(o.recipient == "", _recorded()))
            .values(outcome_recorded=True)
        )
    return result.rowcount


def unrecorded(engine: Engine, after: int = 0, limit: int = 100) -> list[OutboxMessage]:
    """Addressed rows `sent` or `failed` with no event recording it, by id from `after`.
    Cases erased under the retention policy are left out (their events' evidence is
    redacted)."""
    with engine.connect() as conn:
        return [_message(r) for r in conn.execute(unrecorded_query(after, limit))]


def unrecorded_query(after: int, limit: int) -> Any:
    """SQL of `unrecorded` (it reads the partial index `ix_outbox_unrecorded`)."""
    o = outbox_table.c
    erased = exists().where(erasure_table.c.case_id == o.case_id).correlate(outbox_table)
    return (
        select(outbox_table)
        .where(
            o.id > after,
            _unflagged(),
            o.recipient != "",
            ~_recorded(),
            ~erased,
        )
        .order_by(o.id)
        .limit(limit)
    )


def is_recorded(conn: Connection, message_id: int) -> bool:
    """Whether the row's final status already has its event (checked again inside the
    reconciling transaction, so two racing ticks record it once)."""
    query = select(outbox_table.c.id).where(outbox_table.c.id == message_id, _recorded())
    return conn.execute(query).first() is not None


def mark_recorded(conn: Connection, message_id: int) -> None:
    """Flag the row's final status as recorded, on `conn`: in the transaction that writes
    its event."""
    conn.execute(
        update(outbox_table).where(outbox_table.c.id == message_id).values(outcome_recorded=True)
    )


def unaddressed(engine: Engine) -> list[OutboxMessage]:
    """Failed rows that never had an address (`recipient` ""), oldest first."""
    o = outbox_table.c
    query = select(outbox_table).where(o.status == "failed", o.recipient == "").order_by(o.id)
    with engine.connect() as conn:
        return [_message(r) for r in conn.execute(query)]


def readdress(
    engine: Engine,
    message_id: int,
    role: str,
    recipient: str,
    now: datetime,
    rendered: tuple[str, str, str] | None = None,
) -> bool:
    """Give an unaddressed failed row its address and queue it again now, with its
    `(subject, text, html)` when it was queued unrendered; False if the row is not (or no
    longer) an unaddressed failed one."""
    o = outbox_table.c
    values: dict[str, Any] = {
        "recipient": recipient,
        "recipient_role": role,
        "status": "pending",
        "next_attempt_at": now,
        "outcome_recorded": False,
    }
    if rendered is not None:
        values.update(subject=rendered[0], body_text=rendered[1], body_html=rendered[2])
    with write_transaction(engine) as conn:
        result = conn.execute(
            update(outbox_table)
            .where(o.id == message_id, o.status == "failed", o.recipient == "")
            .values(**values)
        )
    return result.rowcount == 1


def escalation_rows(engine: Engine, case_ids: list[int]) -> list[tuple[int, int, str, datetime]]:
    """`(outbox id, case id, status, created_at)` of the MASH escalations of these cases, by
    id (for the queue's "escalation undelivered" mark)."""
    if not case_ids:
        return []
    o = outbox_table.c
    query = (
        select(o.id, o.case_id, o.status, o.created_at)
        .where(o.template == "mash_escalation", o.case_id.in_(case_ids))
        .order_by(o.id)
    )
    with engine.connect() as conn:
        return [(r.id, r.case_id, r.status, r.created_at) for r in conn.execute(query)]


def escalated_cases(engine: Engine, state: str) -> list[int]:
    """The ids of the open cases in `state` (the queue's index on state serves it)."""
    from storage.tables import case_table

    c = case_table.c
    query = select(c.id).where(c.state == state, c.closed_at.is_(None)).order_by(c.id)
    with engine.connect() as conn:
        return [r.id for r in conn.execute(query)]
