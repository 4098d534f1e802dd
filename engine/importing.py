"""Cases brought in from another system's register: each opens straight into the state the
register gives, by one audited `imported` event.

Honest history: the `imported` event is the case's first link (seq 1, from "" to the state),
recorded when cme learned of the case and by whom; its evidence carries the source row as it
was read and the facts taken from it. No earlier step is invented. The case's `opened_at` and
`state_entered_at` are the register's dates, so the deadlines of the state (and the
workflow-wide ones) are projected from them, with their provenance, as if the case had been
here all along; a deadline already past falls due at the scheduler's next pass, which is what
an overdue case is. No notification is queued (the register's steps were taken elsewhere) and
no automatic step fires: the case is where the register says it is.

Replay accepts an `imported` first event into any state of the chart (`engine.replay`), and
the chain verifies like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.chain import IMPORTED_TRIGGER
from engine.errors import ContractBroken
from engine.opening import first_event
from engine.ports import Actor, CaseRecord, TimerRecord
from engine.timers import project, timers_entering

if TYPE_CHECKING:
    from engine.apply import Engine


@dataclass(frozen=True, slots=True)
class ImportedCase:
    """One case as another system's register holds it, already validated by the caller."""

    state: str
    facts: Mapping[str, Any]
    child: Mapping[str, Any]
    opened_at: datetime
    state_entered_at: datetime
    source: Mapping[str, Any]
    """The source row as read (and where it came from): kept in the `imported` event."""
    outcome: str | None = None
    """For a case imported closed: the outcome the register gives."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Anything else the event should carry (e.g. the register's own reference)."""


@dataclass(frozen=True, slots=True)
class ImportedResult:
    """A case written by an import, and the deadlines it started."""

    case: CaseRecord
    timers: tuple[TimerRecord, ...]


def import_cases(
    engine: Engine,
    workflow: str,
    items: Iterable[ImportedCase],
    actor: Actor,
    progress: Callable[[int], None] | None = None,
) -> list[ImportedResult]:
    """Write every case of `items` on `workflow`'s current definition, in one unit of work:
    all of them, or (on any error) none.

    Raises:
        ContractBroken: a state the chart does not have, or an outcome on an open state.
    """
    definition = engine.registry.current(workflow)
    now = engine.clock.now()
    done: list[ImportedResult] = []
    with engine.uow() as uow:
        for count, item in enumerate(items, start=1):
            state = definition.states.get(item.state)
            if state is None:
                raise ContractBroken(f"'{item.state}' is not a state of {workflow}")
            if item.outcome is not None and not state.final:
                raise ContractBroken(f"an outcome on the open state '{item.state}'")
            facts = dict(item.facts)
            case = CaseRecord(
                id=0,
                workflow=workflow,
                definition_hash=definition.version,
                state=item.state,
                priority=engine.priority_of(definition, facts),
                version=0,
                facts=facts,
                opened_at=item.opened_at,
                state_entered_at=item.state_entered_at,
                updated_at=now,
                closed_at=item.state_entered_at if state.final else None,
                outcome=item.outcome if state.final else None,
            )
            case.id = uow.add_case(case, item.child)
            evidence: dict[str, Any] = {
                "source": dict(item.source),
                "facts": facts,
                "opened_at": item.opened_at.isoformat(),
                "state_entered_at": item.state_entered_at.isoformat(),
                **dict(item.extra),
            }
            if item.outcome is not None:
                evidence["outcome"] = item.outcome
            first_event(uow, case, IMPORTED_TRIGGER, item.state, actor, now, evidence)
            timers: list[TimerRecord] = []
            if not state.final:
                calendar = engine.calendars.for_case(case)
                for spec, scope in timers_entering(definition, None, item.state):
                    timer = project(
                        spec,
                        scope,
                        case,
                        item.state_entered_at,
                        calendar,
                        engine.settings.deadline_overrides,
                        now,
                        working_day_starts=engine.settings.working_day_starts,
                    )
                    if timer is not None:
                        timers.append(timer)
                if timers:
                    uow.add_timers(timers)
            uow.update_case(case, expected_version=0)
            done.append(ImportedResult(replace(case), tuple(timers)))
            if progress is not None:
                progress(count)
        uow.commit()
    return done
