"""Firing due timers: `Engine.fire_due_timers`, a batch per transaction, each timer once.

A timer with a trigger applies it as the system (`Engine._apply_in`); one without is a reminder
(`deadline_reached` and its notifications); one whose trigger or `when` rule no longer holds is
void, with the reason.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.audit import append_system_event
from engine.definition import TimerDef, WorkflowDefinition
from engine.errors import (
    ActorNotPermitted,
    ConcurrentUpdate,
    ContractBroken,
    EvidenceInvalid,
    GuardsFailed,
    TriggerNotAvailable,
)
from engine.messages import queue
from engine.ports import SYSTEM_TIMER, TimerRecord, UnitOfWork
from engine.provenance import Provenance, Scope
from engine.results import TickReport

if TYPE_CHECKING:
    from engine.apply import Engine

log = logging.getLogger("cme.engine")


def fire_due_timers(engine: Engine, batch: int = 500) -> TickReport:
    """Fire every timer due by now, oldest first, `batch` per transaction, each once.

    A timer whose trigger is no longer possible, or whose `when` rule no longer holds, is
    marked void with the reason, never retried. Claiming a batch makes this worker the
    only writer of its cases until it commits (see `UnitOfWork.claim_due_timers`), so the
    batch is one transaction. Should another writer still have changed a case meanwhile,
    the batch is undone whole, its timers stay pending for the next pass, and the report
    counts the conflict.
    """
    report = TickReport()
    now = engine.clock.now()
    while True:
        batch_report = TickReport()
        try:
            with engine.uow() as uow:
                due = uow.claim_due_timers(now, batch)
                for timer in due:
                    fire(engine, uow, timer, now, batch_report)
                uow.commit()
        except ConcurrentUpdate as exc:
            log.warning("timer batch undone, to be fired on the next pass: %s", exc)
            report.conflicts += 1
            return report
        report.fired += batch_report.fired
        report.void += batch_report.void
        report.reminders += batch_report.reminders
        report.details.extend(batch_report.details)
        if len(due) < batch:
            return report


def fire(
    engine: Engine, uow: UnitOfWork, timer: TimerRecord, now: datetime, report: TickReport
) -> None:
    if timer.id is None:
        raise ContractBroken("a claimed timer always has an id")
    if timer.id not in {t.id for t in uow.pending_timers(timer.case_id)}:
        return  # cancelled by a timer fired before it in this batch (the case moved on)
    case = uow.get_case(timer.case_id)
    version_read = case.version
    definition = engine.registry.compiled(case.definition_hash).definition
    spec = timer_spec(definition, timer)
    reason = None
    if spec is not None and spec.when is not None:
        blocks = engine._blocks(
            uow,
            (spec.when,),
            case,
            timer.trigger or timer.name,
            {},
            now,
            engine.calendars.for_case(case),
        )
        reason = "; ".join(b.reason for b in blocks) or None
    if reason is None and timer.trigger is not None:
        try:
            engine._apply_in(uow, definition, case, timer.trigger, {}, SYSTEM_TIMER, now)
        except (TriggerNotAvailable, GuardsFailed, EvidenceInvalid, ActorNotPermitted) as exc:
            reason = str(exc)
    elif reason is None:
        deadline = {**timer.provenance, "name": timer.name}
        provenance = Provenance.from_dict(timer.provenance)
        reached: dict[str, Any] = {"deadline": timer.name, "due_on": provenance.due_on}
        if provenance.provisional:
            # counted over days with no term dates: the reminder runs, saying so
            reached["provisional"] = True
            reached["provisional_reason"] = provenance.provisional_reason or ""
        event = append_system_event(
            uow,
            case,
            "deadline_reached",
            reached,
            SYSTEM_TIMER.name,
            SYSTEM_TIMER.role,
            now,
        )
        queue(engine, uow, definition, case, event, timer.notify, deadline)
        report.reminders += 1
    if reason is not None:
        uow.finish_timers([timer.id], "void", now, reason)
        report.void += 1
        report.details.append(
            {"case_id": case.id, "timer": timer.name, "status": "void", "reason": reason}
        )
        return
    engine._automatic(uow, definition, case, now)
    uow.finish_timers([timer.id], "fired", now, "due")
    uow.update_case(case, expected_version=version_read)
    log.info("case %s deadline %s fired (%s)", case.ref, timer.name, timer.trigger or "reminder")
    report.fired += 1
    report.details.append(
        {"case_id": case.id, "timer": timer.name, "status": "fired", "trigger": timer.trigger}
    )


def timer_spec(definition: WorkflowDefinition, timer: TimerRecord) -> TimerDef | None:
    scope = Scope.parse(timer.scope)
    if scope.state is not None:
        state = definition.states.get(scope.state)
        pool = state.timers if state else ()
    else:
        pool = definition.timers
    return next((t for t in pool if t.name == timer.name), None)
