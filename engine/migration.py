"""Moving running cases onto another definition version, explicitly and audited.

A migration is planned first (`plan`: every case's state in the new version, through an
optional state mapping; a state the new version lacks and no mapping names is a refusal), then
applied case by case (`migrate_case`), each in its own unit of work under the case's version
(optimistic lock): a `migrated` event (from -> to state, old and new version in its evidence),
the case re-pinned, and its pending deadlines re-projected on the new version's rules
(counted from the same dates); a deadline the new version adds to the case's state starts,
counted from when the case entered that state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from engine.audit import MIGRATED_TRIGGER, seal
from engine.definition import TimerDef, WorkflowDefinition
from engine.errors import CaseNotFound
from engine.ports import Actor, CaseRecord, TimerRecord
from engine.provenance import WORKFLOW_SCOPE, Scope, state_scope
from engine.timers import project

if TYPE_CHECKING:
    from engine.apply import Engine


@dataclass(frozen=True, slots=True)
class Step:
    """One case's planned move."""

    case_id: int
    version: int
    from_version: str
    to_version: str
    from_state: str
    to_state: str
    problem: str | None = None
    """Why the case cannot move (a refusal), or None."""


def check_mapping(target: WorkflowDefinition, mapping: Mapping[str, str]) -> list[str]:
    """Problems with a state mapping: every new state must exist and not be final."""
    problems = []
    for old, new in mapping.items():
        if new not in target.states:
            problems.append(f"--map {old}={new}: version {target.short_version} has no '{new}'")
        elif target.states[new].final:
            problems.append(f"--map {old}={new}: '{new}' is final; a migration closes no case")
    return problems


def plan(
    cases: Sequence[CaseRecord], target: WorkflowDefinition, mapping: Mapping[str, str]
) -> list[Step]:
    """Where each case would go; a step with a `problem` refuses the whole migration."""
    steps = []
    for case in cases:
        to_state = mapping.get(case.state, case.state)
        problem = None
        if to_state not in target.states:
            problem = (
                f"state_missing: '{case.state}' is not in version {target.short_version}; "
                f"map it with --map {case.state}=NEW_STATE"
            )
        elif target.states[to_state].final:
            problem = f"state_final: '{to_state}' is final in version {target.short_version}"
        steps.append(
            Step(
                case.id,
                case.version,
                case.definition_hash,
                target.version,
                case.state,
                to_state,
                problem,
            )
        )
    return steps


def _spec(definition: WorkflowDefinition, scope: str, name: str) -> TimerDef | None:
    parsed = Scope.parse(scope)
    if parsed.state is not None:
        state = definition.states.get(parsed.state)
        pool = state.timers if state else ()
    else:
        pool = definition.timers
    return next((t for t in pool if t.name == name), None)


def migrate_case(
    engine: Engine, step: Step, target: WorkflowDefinition, actor: Actor
) -> tuple[CaseRecord, list[TimerRecord], int]:
    """Apply one planned step in one unit of work.

    Raises:
        ConcurrentUpdate: the case changed since it was planned.
        CaseNotFound: the case is gone.

    Returns:
        The migrated case, the deadlines started on the new version, how many were cancelled.
    """
    now = engine.clock.now()
    source = engine.registry.compiled(step.from_version).definition  # before the transaction
    with engine.uow() as uow:
        case = uow.get_case(step.case_id)
        if case.version != step.version or case.definition_hash != step.from_version:
            uow.update_case(case, expected_version=step.version)  # raises the conflict
        if case.closed_at is not None:
            raise CaseNotFound(step.case_id)
        event = seal(
            case_id=case.id,
            seq=case.version + 1,
            trigger=MIGRATED_TRIGGER,
            from_state=case.state,
            to_state=step.to_state,
            actor=actor.name,
            role=actor.role,
            at=now,
            evidence={
                "workflow": case.workflow,
                "from_version": step.from_version,
                "to_version": target.version,
                "from_state": case.state,
                "to_state": step.to_state,
            },
            prev_hash=case.head_hash,
        )
        uow.append_event(event)
        old_state = case.state
        case.state, case.definition_hash = step.to_state, target.version
        case.version, case.head_hash, case.updated_at = event.seq, event.hash, now
        pending = uow.pending_timers(case.id)
        ids = [t.id for t in pending if t.id is not None]
        uow.finish_timers(ids, "cancelled", now, f"migrated to version {target.short_version}")
        calendar = engine.calendars.for_case(case)
        overrides = engine.settings.deadline_overrides
        starts = engine.settings.working_day_starts
        started: list[TimerRecord] = []
        seen: set[tuple[str, str]] = set()
        for timer in pending:
            scope = timer.scope
            if scope == f"state:{old_state}":
                scope = f"state:{step.to_state}"
            spec = _spec(target, scope, timer.name)
            if spec is None or (scope == "workflow" and step.to_state not in spec.while_in):
                continue
            projected = project(
                spec,
                scope,
                case,
                case.state_entered_at,
                calendar,
                overrides,
                now,
                working_day_starts=starts,
            )
            if projected is not None:
                started.append(replace(projected, created_at=now))
                seen.add((scope, timer.name))
        fired = set(uow.fired_timer_names(case.id))
        new_specs = [(t, state_scope(step.to_state)) for t in target.timers_of(step.to_state)]
        new_specs += [(t, WORKFLOW_SCOPE) for t in target.timers if step.to_state in t.while_in]
        for spec, scope in new_specs:
            if (scope, spec.name) in seen or spec.name in fired:
                continue
            old_scope = state_scope(old_state) if Scope.parse(scope).state else scope
            if _spec(source, old_scope, spec.name) is not None:
                continue  # the old version had it too: it ran (or was dropped) already
            projected = project(
                spec,
                scope,
                case,
                case.state_entered_at,
                calendar,
                overrides,
                now,
                working_day_starts=starts,
            )
            if projected is not None:
                started.append(projected)
        if started:
            uow.add_timers(started)
        uow.update_case(case, expected_version=step.version)
        uow.commit()
    return replace(case), started, len(ids)
