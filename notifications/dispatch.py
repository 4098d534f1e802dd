"""Drain the outbox: send what is due, retry with back-off, give up after a limit.

The outbox rows are written in the same commit as the event that caused them (ARCHITECTURE.md,
transactional outbox), so nothing is lost if sending fails: a transient failure defers the row
with exponential back-off, a permanent one (or too many transient ones) marks it failed.

This module writes no case event and sends no alert itself. Given a `settle` callable (the
application's), the dispatcher hands it each outcome to record the row's status together with
the case event and the CMEO's `delivery_failed` alert, in one transaction, so a crash cannot
keep one without the other (issue 13). Without one, the store's `mark_*` record the status
alone. `dispatch_once` returns a `DispatchReport` listing what was sent, deferred and failed.
It talks to storage only through the `OutboxStore` protocol below, which storage implements
without importing us.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

from engine.ports import OutboxMessage, case_ref
from notifications.errors import DeliveryError, PermanentDeliveryError

log = logging.getLogger(__name__)


class OutboxStore(Protocol):
    """The outbox, as the dispatcher needs it. Each `mark_*` records one sending attempt."""

    def claim_sendable(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Claim up to `limit` rows that are `pending`, or `deferred` with `next_attempt_at`
        at or before `now`, oldest first, marking them `sending` atomically so no other
        worker takes them."""
        ...

    def mark_sent(self, message_id: int, at: datetime) -> None:
        """Mark a claimed row `sent` at `at` (attempts + 1)."""
        ...

    def mark_deferred(
        self, message_id: int, at: datetime, next_attempt_at: datetime, error: str
    ) -> None:
        """Mark a claimed row `deferred` until `next_attempt_at` (attempts + 1, last_error)."""
        ...

    def mark_failed(self, message_id: int, at: datetime, error: str) -> None:
        """Mark a claimed row `failed` for good (attempts + 1, last_error)."""
        ...


class Sender(Protocol):
    """Delivers one message (`SmtpSender`, `FileSender`, or a fake in tests)."""

    def send(self, message: OutboxMessage) -> None:
        """Deliver `message`, or raise `TransientDeliveryError` / `PermanentDeliveryError`."""
        ...


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential back-off between attempts, and when to give up.

    Attempt k (1 for the first try) that fails transiently waits `base_s * factor**(k-1)`
    seconds, at most `max_s`, before attempt k+1. A transient failure of attempt
    `max_attempts` is final. The defaults retry for about four hours (1, 2, 4 … 60 minutes).

    Attributes:
        base_s: the wait after the first failed attempt, in seconds.
        factor: how much each wait grows.
        max_s: the longest wait, in seconds.
        max_attempts: how many attempts in all before a message is marked failed.
    """

    base_s: float = 60
    factor: float = 2
    max_s: float = 3600
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.factor < 1 or self.max_s < self.base_s:
            raise ValueError("back-off needs base_s > 0, factor >= 1 and max_s >= base_s")
        if self.max_attempts < 1:
            raise ValueError("back-off needs max_attempts >= 1")

    def delay(self, attempt: int) -> timedelta:
        """The wait after attempt number `attempt` (1-based) failed transiently."""
        if attempt < 1:
            raise ValueError(f"attempts are numbered from 1, not {attempt}")
        # Compare exponents, not powers, so a huge attempt number cannot overflow a float.
        cap_exponent = (
            math.log(self.max_s / self.base_s, self.factor) if self.factor > 1 else math.inf
        )
        if attempt - 1 >= cap_exponent:
            return timedelta(seconds=self.max_s)
        return timedelta(seconds=min(self.max_s, self.base_s * self.factor ** (attempt - 1)))

    def is_exhausted(self, attempt: int) -> bool:
        """Whether attempt number `attempt` was the last one allowed."""
        return attempt >= self.max_attempts


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What happened to one outbox message in one dispatch run.

    Attributes:
        message_id: the outbox row id.
        case_id: the case it belongs to.
        event_seq: the event that queued it.
        template: the template it was rendered from.
        recipient_role: the role it was for.
        recipient: the address it was for.
        attempt: which attempt this was (1 for the first).
        at: when the outcome was recorded.
        error: why it was deferred or failed (None when sent).
        next_attempt_at: when it will be tried again (deferred only).
        status: what the row becomes: `sent`, `deferred` or `failed`.
    """

    message_id: int
    case_id: int
    event_seq: int
    template: str
    recipient_role: str
    recipient: str
    attempt: int
    at: datetime
    error: str | None = None
    next_attempt_at: datetime | None = None
    status: Literal["sent", "deferred", "failed"] = "sent"

    @property
    def case_ref(self) -> str:
        """The case reference (`CME-000042`)."""
        return case_ref(self.case_id)


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """The outcome of one `dispatch_once`, for the caller to record and alert on.

    Attributes:
        sent: messages the gateway accepted.
        deferred: messages that failed transiently and will be tried again.
        failed: messages given up on; each needs a case event and a CMEO alert.
    """

    sent: tuple[DeliveryOutcome, ...] = field(default=())
    deferred: tuple[DeliveryOutcome, ...] = field(default=())
    failed: tuple[DeliveryOutcome, ...] = field(default=())

    @property
    def total(self) -> int:
        """How many messages this run handled."""
        return len(self.sent) + len(self.deferred) + len(self.failed)


class Dispatcher:
    """Sends due outbox messages and records each outcome in the store.

    Args:
        store: the outbox.
        sender: delivers one message.
        clock_now: the current time, aware UTC (time is an input: STYLE.md).
        backoff: when to retry and when to give up.
        settle: records an outcome: the row's status and the case's event in one transaction
            (the application's); None: the store's `mark_*` record the status alone.
    """

    def __init__(
        self,
        store: OutboxStore,
        sender: Sender,
        clock_now: Callable[[], datetime],
        backoff: Backoff | None = None,
        settle: Callable[[DeliveryOutcome], None] | None = None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.clock_now = clock_now
        self.backoff = backoff or Backoff()
        self.settle = settle

    def dispatch_once(self, limit: int = 100) -> DispatchReport:
        """Claim up to `limit` due messages and try each once.

        A bug in a sender (an exception that is not a `DeliveryError`) is logged and treated
        as a transient failure of that message, so one bad row cannot leave the rest of the
        batch claimed and unsent; it still ends up failed after `max_attempts`.
        """
        sent: list[DeliveryOutcome] = []
        deferred: list[DeliveryOutcome] = []
        failed: list[DeliveryOutcome] = []
        for message in self.store.claim_sendable(self.clock_now(), limit):
            if message.id is None:
                raise ValueError("the outbox store returned a message without an id")
            claimed = _Claimed(message.id, message, message.attempts + 1)
            try:
                self.sender.send(message)
            except PermanentDeliveryError as exc:
                failed.append(self._fail(claimed, exc.reason))
            except DeliveryError as exc:
                outcome = self._retry_or_fail(claimed, exc.reason)
                (deferred if outcome.next_attempt_at else failed).append(outcome)
            except Exception as exc:
                # A sender bug: log it and retry this row, so it cannot strand the whole batch.
                log.exception("%s: sender error", claimed)
                reason = f"internal error while sending ({type(exc).__name__}: {exc})"
                outcome = self._retry_or_fail(claimed, reason)
                (deferred if outcome.next_attempt_at else failed).append(outcome)
            else:
                sent.append(self._record(claimed.outcome(self.clock_now())))
        return DispatchReport(sent=tuple(sent), deferred=tuple(deferred), failed=tuple(failed))

    def _retry_or_fail(self, claimed: _Claimed, error: str) -> DeliveryOutcome:
        if self.backoff.is_exhausted(claimed.attempt):
            return self._fail(claimed, f"gave up after {claimed.attempt} attempts: {error}")
        at = self.clock_now()
        retry_at = at + self.backoff.delay(claimed.attempt)
        outcome = self._record(claimed.outcome(at, error, retry_at, "deferred"))
        log.warning(
            "%s: attempt %d failed, retry at %s: %s",
            claimed,
            claimed.attempt,
            retry_at.isoformat(),
            error,
        )
        return outcome

    def _fail(self, claimed: _Claimed, error: str) -> DeliveryOutcome:
        outcome = self._record(claimed.outcome(self.clock_now(), error, None, "failed"))
        log.error("%s: failed at attempt %d: %s", claimed, claimed.attempt, error)
        return outcome

    def _record(self, outcome: DeliveryOutcome) -> DeliveryOutcome:
        """Record the outcome: through `settle` (status and event at once), else the store."""
        if self.settle is not None:
            self.settle(outcome)
        elif outcome.status == "sent":
            self.store.mark_sent(outcome.message_id, outcome.at)
        elif outcome.status == "deferred" and outcome.next_attempt_at is not None:
            self.store.mark_deferred(
                outcome.message_id, outcome.at, outcome.next_attempt_at, outcome.error or ""
            )
        else:
            self.store.mark_failed(outcome.message_id, outcome.at, outcome.error or "")
        return outcome


@dataclass(frozen=True, slots=True)
class _Claimed:
    """A claimed message with its (known) id and the number of the attempt being made."""

    id: int
    message: OutboxMessage
    attempt: int

    def __str__(self) -> str:
        m = self.message
        return f"outbox {self.id} ({case_ref(m.case_id)}, {m.template} to {m.recipient_role})"

    def outcome(
        self,
        at: datetime,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
        status: Literal["sent", "deferred", "failed"] = "sent",
    ) -> DeliveryOutcome:
        m = self.message
        return DeliveryOutcome(
            message_id=self.id,
            case_id=m.case_id,
            event_seq=m.event_seq,
            template=m.template,
            recipient_role=m.recipient_role,
            recipient=m.recipient,
            attempt=self.attempt,
            at=at,
            error=error,
            next_attempt_at=next_attempt_at,
            status=status,
        )
