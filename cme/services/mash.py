"""The MASH view, for every door: escalations awaiting MASH's acknowledgement (the concern, the
child, when it is due) and the acknowledgement itself, with MASH's decision when it has one.

Listing is a read of each case (access log `mash`). Acknowledging is the chart's
`mash_acknowledged` step through `cases.advance` (so the permission table, the chart's roles
and every refusal apply as through any door), with the signed-in MASH officer as
`acknowledged_by`; a decision given with it is the chart's `return_from_mash` step, taken next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cme.services.errors import Refused

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from cme.services.views import Advanced
    from cme.services.wording import DeadlineWords

ACKNOWLEDGE = "mash_acknowledged"
DECIDE = "return_from_mash"
DECISIONS = {
    "return_to_cme_casework": "Return to CME casework",
    "social_care_involved_continue_cme": "Social care involved: CME casework continues",
}
"""MASH's decisions (the charts' `mash_decision` choices) in plain words."""


@dataclass(frozen=True, slots=True)
class Escalation:
    """A case awaiting MASH's acknowledgement."""

    case_id: int
    ref: str
    version: int
    child_name: str | None
    age: int | None
    school: str | None
    concern: str
    escalated_at: datetime | None
    due: DeadlineWords | None
    mark: str | None
    """`undelivered` (MASH was not told) or `unacknowledged` (past its deadline), else None."""


def awaiting(app: App, principal: Principal) -> list[Escalation]:
    """Every escalation awaiting acknowledgement, the most urgent first; each is a logged read."""
    from cme.access import record_many
    from cme.escalation import ESCALATED, escalation_marks
    from cme.services.views import child_summary
    from cme.services.wording import deadline_words
    from engine.clock import local_date
    from storage import queries, read_models

    now = app.clock.now()
    found = read_models.queue(app.db, state=ESCALATED, limit=1000)
    extras = queries.deadlines_and_counts(app.db, [r.case.id for r in found])
    marks = escalation_marks(app, [(r.case.id, r.case.state) for r in found])
    items = []
    for row in found:
        case = row.case
        timers = [t for t in extras[case.id][0] if t.scope == f"state:{ESCALATED}"]
        events = queries.events(app.db, case.id)
        entered = [e for e in events if e.to_state == ESCALATED and e.from_state != ESCALATED]
        last = entered[-1] if entered else None
        child = child_summary(row.child, case.facts, local_date(now))
        items.append(
            Escalation(
                case.id,
                case.ref,
                case.version,
                child.name,
                child.age,
                child.school_name or child.school_id,
                _concern(app, case.definition_hash, last),
                last.at if last else None,
                deadline_words(timers[0], now) if timers else None,
                marks.get(case.id),
            )
        )
    items.sort(key=lambda i: (i.due is None, i.due.due_on if i.due else None, i.case_id))
    record_many(app, principal.actor, [i.case_id for i in items], "mash")
    return items


def _concern(app: App, definition_hash: str, event: object) -> str:
    from engine.ports import EventRecord

    if not isinstance(event, EventRecord):
        return "Not recorded"
    concern = event.evidence.get("concern")
    if isinstance(concern, str) and concern:
        return concern
    definition = app.registry.compiled(definition_hash).definition
    trigger = definition.triggers.get(event.trigger)
    return trigger.title if trigger else event.trigger.replace("_", " ")


def acknowledge(
    app: App,
    principal: Principal,
    case_id: int,
    decision: str | None = None,
    expected_version: int | None = None,
) -> Advanced:
    """MASH acknowledges the escalation of `case_id` as `principal` (recorded as the MASH
    officer who acknowledged); with `decision`, MASH's decision is recorded next.

    Raises:
        Refused: an unknown decision (field `decision`; nothing written).
        ServiceRefusal, TransitionRefused: as `cases.advance`.
    """
    from cme.services.cases import advance

    if decision is not None and decision not in DECISIONS:
        raise Refused(
            f"decision: '{decision}' is not one of {', '.join(DECISIONS)}", field="decision"
        )
    done = advance(
        app, principal, case_id, ACKNOWLEDGE, {"acknowledged_by": principal.who}, expected_version
    )
    if decision is None:
        return done
    return advance(
        app, principal, case_id, DECIDE, {"mash_decision": decision}, done.view.case.version
    )
