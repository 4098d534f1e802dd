"""The caseworkers' queue, for every door: high priority first, then oldest first, with the
filters of `cme cases` (state, closed cases too, how many). A case whose MASH escalation is
undelivered or unacknowledged past its deadline is marked. Every case listed is a read, kept
in the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cme.services.views import CaseView, QueueEntry

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which cases the queue lists."""

    state: str | None = None
    """Only cases in this state."""
    include_closed: bool = False
    limit: int = 50


def queue(app: App, principal: Principal, wanted: QueueFilter | None = None) -> list[QueueEntry]:
    """The queue as `wanted` filters it; each case listed is logged as read (`cases`)."""
    from cme.access import record_many
    from cme.escalation import escalation_marks
    from storage import queries

    wanted = wanted or QueueFilter()
    found = queries.queue(
        app.db, state=wanted.state, include_closed=wanted.include_closed, limit=wanted.limit
    )
    extras = queries.deadlines_and_counts(app.db, [c.id for c in found])
    marks = escalation_marks(app, [(c.id, c.state) for c in found])
    entries = []
    for case in found:
        definition = app.registry.compiled(case.definition_hash).definition
        timers, events = extras[case.id]
        view = CaseView(case, definition.states[case.state].title, tuple(timers), events)
        entries.append(QueueEntry(view, marks.get(case.id)))
    record_many(app, principal.actor, [c.id for c in found], "cases")
    return entries
