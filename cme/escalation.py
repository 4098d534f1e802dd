"""The queue's mark on a case whose MASH escalation is in trouble (issue 12, "fail loud").

* `undelivered`: a MASH escalation (`mash_escalation` outbox row) failed, or has not been sent
  `UNDELIVERED_AFTER` after it was queued, and no later one was sent;
* `unacknowledged`: the case still awaits MASH's acknowledgement (`escalated_to_mash`) past the
  deadline for it: an acknowledgement deadline of the state is overdue, or one has already
  fired (the escalation was re-sent) since the case was escalated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from cme.bootstrap import App

Mark = Literal["undelivered", "unacknowledged"]

UNDELIVERED_AFTER = timedelta(minutes=15)
"""How long a MASH escalation may wait in the outbox before the queue marks it: the scheduler
sends within a minute."""

ESCALATED = "escalated_to_mash"
"""The state in which a case awaits MASH's acknowledgement (both charts)."""


def escalation_marks(app: App, cases: list[tuple[int, str]]) -> dict[int, Mark | None]:
    """`case id -> mark` for the `(id, state)` of each case in the queue."""
    from storage.outcomes import escalation_rows

    now = app.clock.now()
    marks: dict[int, Mark | None] = dict.fromkeys((case_id for case_id, _ in cases), None)
    rows_of: dict[int, list[tuple[str, datetime]]] = {}
    for _, case_id, status, created_at in escalation_rows(app.db, list(marks)):
        rows_of.setdefault(case_id, []).append((status, created_at))
    for case_id, rows in rows_of.items():
        if _undelivered(rows, now):
            marks[case_id] = "undelivered"
    for case_id, state in cases:
        if state == ESCALATED and marks[case_id] is None and _overdue(app, case_id, now):
            marks[case_id] = "unacknowledged"
    return marks


def _undelivered(rows: list[tuple[str, datetime]], now: datetime) -> bool:
    """Whether a row after the last one sent failed or has waited too long."""
    sent = max((i for i, (status, _) in enumerate(rows) if status == "sent"), default=-1)
    return any(
        status == "failed" or now - created_at >= UNDELIVERED_AFTER
        for status, created_at in rows[sent + 1 :]
    )


def _overdue(app: App, case_id: int, now: datetime) -> bool:
    """Whether an acknowledgement deadline of this escalation has passed."""
    from storage import queries

    events = queries.events(app.db, case_id)
    started = max(
        (e.at for e in events if e.to_state == ESCALATED and e.from_state != ESCALATED),
        default=None,
    )
    if started is None:
        return False
    scope = f"state:{ESCALATED}"
    for timer in queries.all_timers(app.db, case_id):
        if timer.scope != scope:
            continue
        if timer.status == "pending" and timer.due_at <= now:
            return True
        if timer.status == "fired" and timer.finished_at and timer.finished_at >= started:
            return True
    return False


def failed_escalations(app: App) -> list[int]:
    """The cases awaiting MASH whose latest escalation failed and was not sent since: MASH has
    not been told, and `cme tick` says so on every pass until it is (issue 12, fail loud)."""
    from storage.outcomes import escalated_cases, escalation_rows

    rows_of: dict[int, list[str]] = {}
    for _, case_id, status, _ in escalation_rows(app.db, escalated_cases(app.db, ESCALATED)):
        rows_of.setdefault(case_id, []).append(status)
    return [
        case_id
        for case_id, statuses in rows_of.items()
        if "failed" in statuses[_last_sent(statuses) + 1 :]
    ]


def _last_sent(statuses: list[str]) -> int:
    return max((i for i, status in enumerate(statuses) if status == "sent"), default=-1)
