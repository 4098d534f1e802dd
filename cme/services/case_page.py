"""The case page's read, for every door that shows a whole case (the web's `/cases/{ref}`):
the case as `show` reads it, the steps possible now for the principal's role, the chart, its
latest events (`LATEST`; the rest are in its history), every deadline the case ever had, and
its messages with their delivery. One read,
one access-log row (`case show`), whichever door called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from cme.services.views import CaseView
    from engine import Action
    from engine.definition import WorkflowDefinition
    from engine.ports import EventRecord, TimerRecord


LATEST = 20
"""How many of a case's latest events the page reads (their evidence is listed)."""


@dataclass(frozen=True, slots=True)
class CasePage:
    """Everything the case page shows."""

    view: CaseView
    actions: tuple[Action, ...]
    definition: WorkflowDefinition
    events: tuple[EventRecord, ...]
    """The latest `LATEST` events, oldest of them first (`view.events` counts them all)."""
    timers: tuple[TimerRecord, ...]
    messages: tuple[dict[str, Any], ...]
    may_act: bool
    """Whether the principal's role does casework at all (`case.advance`): if not, the page
    is read-only and shows no forms."""


def case_page(app: App, principal: Principal, case_id: int) -> CasePage:
    """The whole case for its page; the read is logged once (`case show`).

    Raises:
        CaseNotFound: no case has this id.
    """
    from cme.access import record
    from cme.services.cases import read
    from cme.services.permissions import may
    from storage import queries
    from storage.case_page import case_messages, latest_events

    view = read(app, case_id)
    definition = app.registry.compiled(view.case.definition_hash).definition
    may_act = may(principal.role, "case.advance")
    found = tuple(app.engine.actions(case_id, principal.actor)) if may_act else ()
    events = tuple(latest_events(app.db, case_id, LATEST))
    timers = tuple(queries.all_timers(app.db, case_id))
    messages = tuple(case_messages(app.db, case_id))
    record(app, principal.actor, case_id, "case show")
    return CasePage(view, found, definition, events, timers, messages, may_act)
