"""Step 9 of `Engine.apply`: the notifications an event sends, rendered into the outbox in the
same unit of work, and the fail-loud path of a message that has no address (engine/unaddressed.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from engine.definition import WorkflowDefinition
from engine.ports import CaseRecord, EventRecord, OutboxMessage, TimerRecord, UnitOfWork
from engine.results import MessageTrail
from engine.unaddressed import log_unaddressed, record_unaddressed

if TYPE_CHECKING:
    from engine.apply import Engine


def queue(
    engine: Engine,
    uow: UnitOfWork,
    definition: WorkflowDefinition,
    case: CaseRecord,
    event: EventRecord,
    templates: Sequence[str],
    deadline: Mapping[str, Any] | None,
    started: Sequence[TimerRecord] = (),
    report: bool = True,
) -> list[OutboxMessage]:
    """Render `templates` for the event into the outbox, in the unit of work; a message nobody
    can be addressed is queued `failed`, recorded on the case and alerted (`unaddressed`);
    `report=False` leaves its log line to the caller (an alert's, to its message's line)."""
    if engine.renderer is None or engine.context_builder is None:
        return []
    templates = [t for t in templates if engine.renderer.wants(t)]
    if not templates:
        return []
    child = uow.child(case.child_id) if case.child_id is not None else {}
    history: list[Sequence[EventRecord]] = []

    def read_history() -> Sequence[EventRecord]:
        if not history:
            history.append(uow.events(case.id))
        return history[0]

    trail = MessageTrail(read_history, tuple(started))
    context = engine.context_builder(case, definition, event, child, deadline, trail)
    messages = [
        OutboxMessage(
            case_id=case.id,
            event_seq=event.seq,
            template=template,
            recipient_role=m.recipient_role,
            recipient=m.recipient,
            subject=m.subject,
            body_text=m.body_text,
            body_html=m.body_html,
            created_at=event.at,
            status="failed" if m.undeliverable else "pending",
            next_attempt_at=None if m.undeliverable else event.at,
            last_error=m.undeliverable or None,
        )
        for template in templates
        for m in engine.renderer.render(template, context)
    ]
    if messages:
        uow.add_outbox(messages)
    for m in messages:
        if m.status == "failed":
            unaddressed(engine, uow, definition, case, m, report)
    return messages


def unaddressed(
    engine: Engine,
    uow: UnitOfWork,
    definition: WorkflowDefinition,
    case: CaseRecord,
    message: OutboxMessage,
    report: bool = True,
) -> None:
    """Fail loud: record the unaddressed message on the case in this unit of work, alert the
    CMEO (`EngineSettings.failure_alert`) unless it was that alert itself, and log one line
    for both (unless `report` is False: the caller logs)."""
    event = record_unaddressed(uow, case, message)
    alert = engine.settings.failure_alert
    alerts: list[OutboxMessage] = []
    if alert is not None and message.template != alert:
        alerts = queue(engine, uow, definition, case, event, (alert,), None, report=False)
    if report:
        log_unaddressed(case, message, [a for a in alerts if a.status == "failed"])
