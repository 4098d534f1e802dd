"""Fail loud: reconcile delivery outcomes with their case events, and report what has no address.

* `reconcile` (every tick, before delivering): an outbox row marked `sent` or `failed` without
  the event that records it (`notification_delivered` / `notification_failed`) gets its event,
  and a failure its CMEO alert. It reads only the final rows not yet flagged
  `outcome_recorded` (schema 0006: the flag commits with the event), so a tick's cost does not
  grow with the outbox. Today the status and the event are committed together
  (cme.delivery), so such rows come from an older version (issue 13: a crash between its two
  commits kept the status alone), or from a hand-edited database.
* `unaddressed` (every tick, after delivering): the failed rows that never had an address, by
  recipient role and reason. `cme tick` exits 1 while there is any, naming each role and the
  variable to set.
* `readdress` (`cme outbox retry ID`): once the address is configured, gives such a row its
  address (and, when it was queued with nobody to receive it, its rendered bodies) and queues
  it again; while it is still missing the retry is refused, naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cme.delivery import DeliveryReport, record_outcome
from engine.ports import UNRENDERED
from storage import outcomes

if TYPE_CHECKING:
    from cme.bootstrap import App
    from engine.ports import OutboxMessage

BATCH = 100


class _AlreadyRecorded(Exception):
    """Another tick recorded the outcome meanwhile: write nothing."""


def reconcile(app: App) -> list[dict[str, Any]]:
    """Record the missing event (and alert) of every `sent` or `failed` row that has none.

    Returns one entry per row reconciled: outbox id, case, template, status.
    """
    from storage.unit_of_work import SqlUnitOfWork

    done: list[dict[str, Any]] = []
    report = DeliveryReport()
    outcomes.flag_recorded(app.db)  # what has its event already leaves the index
    after = 0
    while True:
        rows = outcomes.unrecorded(app.db, after, BATCH)
        for row in rows:
            assert row.id is not None  # noqa: S101 - read from the table
            after = row.id
            message_id = row.id

            def check(uow: object, message_id: int = message_id) -> None:
                assert isinstance(uow, SqlUnitOfWork)  # noqa: S101 - the app's unit of work
                if outcomes.is_recorded(uow.c, message_id):
                    raise _AlreadyRecorded
                outcomes.mark_recorded(uow.c, message_id)  # with the event it records

            kind = outcomes.KINDS[row.status]
            try:
                record_outcome(app, row.case_id, kind, _evidence(row), row.template, report, check)
            except _AlreadyRecorded:
                continue
            done.append(
                {
                    "outbox_id": row.id,
                    "case_id": row.case_id,
                    "template": row.template,
                    "status": row.status,
                }
            )
        if len(rows) < BATCH:
            return done


def _evidence(row: OutboxMessage) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "outbox_id": row.id,
        "template": row.template,
        "recipient_role": row.recipient_role,
        "attempts": row.attempts,
        "reconciled": True,
    }
    if row.status == "failed":
        evidence.update(recipient=row.recipient, error=row.last_error or "")
    return evidence


@dataclass
class Unaddressed:
    """Failed messages of one recipient role that never had an address, and why."""

    role: str
    reason: str
    outbox_ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """As `cme tick --json` prints it."""
        return {"role": self.role, "reason": self.reason, "outbox_ids": self.outbox_ids}

    def line(self) -> str:
        """One line for an operator."""
        ids = ", ".join(str(i) for i in self.outbox_ids)
        return f"{self.reason}: outbox {ids}"


def unaddressed(app: App) -> list[Unaddressed]:
    """The unresolved unaddressed messages, grouped by role and reason."""
    groups: dict[tuple[str, str], Unaddressed] = {}
    for row in outcomes.unaddressed(app.db):
        reason = row.last_error or f"no address configured for role {row.recipient_role}"
        key = (row.recipient_role, reason)
        group = groups.setdefault(key, Unaddressed(row.recipient_role, reason))
        group.outbox_ids.append(row.id or 0)
    return list(groups.values())


class StillUnaddressed(Exception):
    """The message's role still has no address configured."""


def readdress(app: App, row: OutboxMessage) -> bool:
    """Give an unaddressed failed row the address now configured for its role (the case's
    school or other authority included) and queue it again now.

    Returns False when the row is not an unaddressed failed one (the ordinary retry applies).

    Raises:
        StillUnaddressed: the role still has no address; the message says what to set.
    """
    from notifications.recipients import FALLBACK_ROLES

    if row.status != "failed" or row.recipient or row.id is None:
        return False
    roles = {row.recipient_role}
    roles.update(
        r
        for (t, first), r in FALLBACK_ROLES.items()
        if (t, first) == (row.template, row.recipient_role)
    )
    context = _context(app, row)
    for entry in app.renderer.recipients.addressing(row.template, context):
        if entry.role not in roles:
            continue
        if entry.address is None:
            raise StillUnaddressed(f"outbox {row.id} still cannot be addressed: {entry.reason}")
        rendered = None
        if row.body_text == UNRENDERED:  # queued when nobody could receive it: render it now
            rendered = app.renderer.render_one(row.template, context)
        return outcomes.readdress(
            app.db, row.id, entry.role, entry.address, app.clock.now(), rendered
        )
    raise StillUnaddressed(
        f"outbox {row.id} still cannot be addressed: no address configured for role "
        f"{row.recipient_role}"
    )


def _context(app: App, row: OutboxMessage) -> dict[str, Any]:
    """The template context at the event that queued the row, as the engine built it: its
    history up to that event, the deadlines it started, and the deadline it reached."""
    from cme.bootstrap import ContextBuilder
    from engine import MessageTrail
    from storage import queries
    from storage.unit_of_work import SqlUnitOfWork

    case = app.engine.get(row.case_id)
    definition = app.registry.compiled(case.definition_hash).definition
    events = queries.events(app.db, row.case_id)
    event = next((e for e in events if e.seq == row.event_seq), events[-1])
    child: dict[str, Any] = {}
    if case.child_id is not None:
        with SqlUnitOfWork(app.db) as uow:
            child = uow.child(case.child_id)
    timers = queries.all_timers(app.db, row.case_id)
    # the deadlines the event started (`created_at` is its time), and the one it reached
    started = tuple(t for t in timers if t.created_at == event.at)
    deadline = None
    if event.trigger == "deadline_reached":
        reached = next(
            (
                t
                for t in timers
                if t.name == event.evidence.get("deadline") and t.finished_at == event.at
            ),
            None,
        )
        if reached is not None:
            deadline = {**reached.provenance, "name": reached.name}
    trail = MessageTrail(
        history=lambda: [e for e in events if e.seq <= event.seq], started=started
    )
    return ContextBuilder(app.settings)(case, definition, event, child, deadline, trail)
