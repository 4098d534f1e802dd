"""Fail loud: a notification that cannot be addressed is recorded, never dropped.

The renderer marks a role with no address configured (`RenderedMessage.undeliverable`); the
engine queues that copy as a `failed` outbox row with the reason, and `record_unaddressed`
appends a `notification_failed` event to the case in the same unit of work, so the row, the
event and the CMEO's alert (queued by the engine after it) are committed together or not at all.
"""

from __future__ import annotations

import logging

from engine.audit import append_system_event
from engine.ports import SYSTEM_RULE, CaseRecord, EventRecord, OutboxMessage, UnitOfWork

log = logging.getLogger("cme.engine")


def record_unaddressed(uow: UnitOfWork, case: CaseRecord, message: OutboxMessage) -> EventRecord:
    """Append `notification_failed` for a message that has no address.

    Its evidence names the event that queued it (`event_seq`), the template, the role and the
    reason; `attempts` is 0 (nothing was sent) and `recipient` is "".
    """
    event = append_system_event(
        uow,
        case,
        "notification_failed",
        {
            "event_seq": message.event_seq,
            "template": message.template,
            "recipient_role": message.recipient_role,
            "recipient": "",
            "error": message.last_error or "",
            "attempts": 0,
        },
        SYSTEM_RULE.name,
        SYSTEM_RULE.role,
        message.created_at,
    )
    log.error(
        "case %s: %s to %s not addressed: %s",
        case.ref,
        message.template,
        message.recipient_role,
        message.last_error,
    )
    return event
