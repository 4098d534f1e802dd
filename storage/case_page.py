"""The case page's own reads: a case's messages and their delivery (each outbox row without its
body: template, recipient, status, attempts, when queued and sent, the last error), and its
latest events (a case of hundreds of events shows its newest on the page, the rest in its
history)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from engine.ports import EventRecord
from storage.rows import event_from_row
from storage.tables import event_table, outbox_table


def case_messages(engine: Engine, case_id: int, limit: int = 500) -> list[dict[str, Any]]:
    """The case's outbox rows, oldest first, without their bodies (at most `limit`)."""
    o = outbox_table.c
    query = (
        select(
            o.id,
            o.event_seq,
            o.template,
            o.recipient_role,
            o.recipient,
            o.subject,
            o.status,
            o.attempts,
            o.last_error,
            o.created_at,
            o.sent_at,
        )
        .where(o.case_id == case_id)
        .order_by(o.created_at, o.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def latest_events(engine: Engine, case_id: int, limit: int) -> list[EventRecord]:
    """The case's `limit` latest events, oldest of them first."""
    e = event_table.c
    query = select(event_table).where(e.case_id == case_id).order_by(e.seq.desc()).limit(limit)
    with engine.connect() as conn:
        return [event_from_row(r) for r in conn.execute(query)][::-1]
