"""Opening a case (`Engine.open_case`) and reading what can be done on one (`Engine.actions`).

Opening is the chain's first event (`case_opened`, the referral and the facts the intake rule
drew from it); it starts the first state's deadlines and notifications in the same unit of work,
then any automatic step (e.g. refer to MASH at once).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.audit import OPEN_TRIGGER, seal
from engine.ports import GENESIS_HASH, Actor, CaseRecord, EventRecord, UnitOfWork
from engine.results import Action, Applied, EvidenceField

if TYPE_CHECKING:
    from engine.apply import Engine

log = logging.getLogger("cme.engine")


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def first_event(
    uow: UnitOfWork,
    case: CaseRecord,
    trigger: str,
    state: str,
    actor: Actor,
    at: datetime,
    evidence: Mapping[str, Any],
) -> EventRecord:
    """Seal and append a new case's first event (seq 1, from nothing to `state`, on the
    genesis hash), and make it the case's head: opening and importing both start so."""
    event = seal(
        case_id=case.id,
        seq=1,
        trigger=trigger,
        from_state="",
        to_state=state,
        actor=actor.name,
        role=actor.role,
        at=at,
        evidence=evidence,
        prev_hash=GENESIS_HASH,
    )
    uow.append_event(event)
    case.version, case.head_hash = 1, event.hash
    return event


def open_case(
    engine: Engine,
    workflow: str,
    referral: Mapping[str, Any],
    actor: Actor,
    opening: Mapping[str, Any] | None = None,
) -> Applied:
    """Validate a referral with the workflow's intake rule and open a case on it.

    `opening`: what the opener decided beside the referral (e.g. to open in spite of
    possible duplicates), recorded on the open event's evidence under `opening`."""
    definition = engine.registry.current(workflow)
    now = engine.clock.now()
    if definition.intake is None:
        facts, child = dict(referral), {}
    else:
        intake = engine.rules.intakes[definition.intake](referral, now)
        facts, child = intake.facts, intake.child
    priority = engine._priority(definition, facts)
    with engine.uow() as uow:
        case = CaseRecord(
            id=0,
            workflow=workflow,
            definition_hash=definition.version,
            state=definition.initial,
            priority=priority,
            version=0,
            facts=facts,
            opened_at=now,
            state_entered_at=now,
            updated_at=now,
        )
        case.id = uow.add_case(case, child)
        evidence = {"referral": _json_ready(referral), "facts": _json_ready(facts)}
        if opening:
            evidence["opening"] = _json_ready(opening)
        event = first_event(uow, case, OPEN_TRIGGER, definition.initial, actor, now, evidence)
        started = engine._start_timers(uow, definition, case, None, definition.initial, now)
        messages = engine._queue(
            uow,
            definition,
            case,
            event,
            definition.states[definition.initial].notify,
            None,
            started,
        )
        follow = engine._automatic(uow, definition, case, now)
        uow.update_case(case, expected_version=0)
        uow.commit()
    log.info(
        "case %s opened on %s@%s by %s (%s), priority %s",
        case.ref,
        workflow,
        definition.short_version,
        actor.name,
        actor.role,
        case.priority,
    )
    return Applied(replace(case), event, tuple(started), 0, tuple(messages), tuple(follow))


def actions(engine: Engine, case_id: int, actor: Actor | None = None) -> list[Action]:
    """Each trigger a person could fire now, its evidence, and every rule blocking it.

    Guards are judged with no evidence yet: a guard that needs evidence to decide returns
    None here and is judged again when the evidence is given.
    """
    now = engine.clock.now()
    with engine.uow() as uow:
        case = uow.get_case(case_id)
        definition = engine.registry.compiled(case.definition_hash).definition
        calendar = engine.calendars.for_case(case)
        result = []
        for t in definition.triggers_from(case.state):
            if definition.is_system_only(t.id):
                continue
            blocked = [
                f"{b.guard}: {b.reason}"
                for b in engine._blocks(uow, t.guards, case, t.id, {}, now, calendar)
            ]
            if actor is not None and actor.role not in t.roles:
                blocked.insert(
                    0, f"role: '{actor.role}' may not do this (allowed: {', '.join(t.roles)})"
                )
            fields = tuple(
                EvidenceField(
                    s.field.name,
                    s.field.type.value,
                    s.field.title,
                    s.required,
                    s.field.choices,
                )
                for s in t.evidence
            )
            target = t.target_from(case.state)
            result.append(Action(t.id, t.title, target, fields, tuple(blocked), t.roles))
    return result
