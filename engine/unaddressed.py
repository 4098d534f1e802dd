"""Fail loud: a notification that cannot be addressed is recorded, never dropped.

The renderer marks a role with no address configured (`RenderedMessage.undeliverable`); the
engine queues that copy as a `failed` outbox row with the reason, and `record_unaddressed`
appends a `notification_failed` event to the case in the same unit of work, so the row, the
event and the CMEO's alert (queued by the engine after it) are committed together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from engine.audit import append_system_event
from engine.ports import SYSTEM_RULE, CaseRecord, EventRecord, OutboxMessage, UnitOfWork

log = logging.getLogger("cme.engine")


def record_unaddressed(uow: UnitOfWork, case: CaseRecord, message: OutboxMessage) -> EventRecord:
    """Append `notification_failed` for a message that has no address.

    Its evidence names the event that queued it (`event_seq`), the template, the role and the
    reason; `attempts` is 0 (nothing was sent) and `recipient` is "". The log line is
    `log_unaddressed`'s, written once the alert about it is queued.
    """
    return append_system_event(
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


def log_unaddressed(
    case: CaseRecord, message: OutboxMessage, alerts: Sequence[OutboxMessage] = ()
) -> None:
    """One error line for an unaddressed message and the alerts about it that could not be
    addressed either (a catch-up of thousands writes one line per message, not two)."""
    if not log.isEnabledFor(logging.ERROR):
        return
    neither = "".join(
        f" (its alert, {a.template} to {a.recipient_role}, not addressed either: {a.last_error})"
        for a in alerts
    )
    log.error(
        "case %s: %s to %s not addressed: %s%s",
        case.ref,
        message.template,
        message.recipient_role,
        message.last_error,
        neither,
    )
