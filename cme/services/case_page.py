"""The case page's read, for every door that shows a whole case (the web's `/cases/{ref}`):
the case as `show` reads it, the steps possible now for the principal's role, the chart, the
history, every deadline the case ever had, and its messages with their delivery. One read,
one access-log row (`case show`), whichever door called.

Also `case_id_of`: a case reference as people write it (`CME-000042`, `cme-42`, `42`) to its id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cme.services.errors import Refused

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from cme.services.views import CaseView
    from engine import Action
    from engine.definition import WorkflowDefinition
    from engine.ports import EventRecord, TimerRecord

REF = re.compile(r"^\s*(?:CME-?)?0*(\d{1,12})\s*$", re.I)
MAX_ID = 2**53


def case_id_of(text: str) -> int:
    """The case id `text` names: `CME-000042`, `CME42` or `42`.

    Raises:
        Refused: not a case reference (kind `BadInput`).
    """
    found = REF.match(text)
    number = int(found[1]) if found else 0
    if not found or not 1 <= number <= MAX_ID:
        raise Refused(
            f"{ascii(text)[:40]} is not a case reference: give one like CME-000042 or 42",
            "BadInput",
        )
    return number


@dataclass(frozen=True, slots=True)
class CasePage:
    """Everything the case page shows."""

    view: CaseView
    actions: tuple[Action, ...]
    definition: WorkflowDefinition
    events: tuple[EventRecord, ...]
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
    from storage.deliveries import case_messages

    view = read(app, case_id)
    definition = app.registry.compiled(view.case.definition_hash).definition
    may_act = may(principal.role, "case.advance")
    found = tuple(app.engine.actions(case_id, principal.actor)) if may_act else ()
    events = tuple(queries.events(app.db, case_id))
    timers = tuple(queries.all_timers(app.db, case_id))
    messages = tuple(case_messages(app.db, case_id))
    record(app, principal.actor, case_id, "case show")
    return CasePage(view, found, definition, events, timers, messages, may_act)
