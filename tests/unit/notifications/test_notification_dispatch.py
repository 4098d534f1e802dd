"""The outbox drainer: back-off arithmetic and what happens to each message."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from engine.ports import OutboxMessage
from notifications.dispatch import Backoff, DeliveryOutcome, Dispatcher, DispatchReport
from notifications.errors import PermanentDeliveryError, TransientDeliveryError
from notifications.testing import (
    InMemoryOutboxStore,
    RecordingSender,
    ScriptedSender,
    outbox_message,
)

T0 = datetime(2026, 11, 16, 10, 5, tzinfo=UTC)


class SteppingClock:
    """Each reading is one second after the last, so recorded times are distinguishable."""

    def __init__(self, start: datetime) -> None:
        self.current = start - timedelta(seconds=1)

    def __call__(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current

    def jump_to(self, moment: datetime) -> None:
        self.current = moment - timedelta(seconds=1)


def _outcome(
    message: OutboxMessage,
    attempt: int,
    at: datetime,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
) -> DeliveryOutcome:
    assert message.id is not None
    return DeliveryOutcome(
        message_id=message.id,
        case_id=message.case_id,
        event_seq=message.event_seq,
        template=message.template,
        recipient_role=message.recipient_role,
        recipient=message.recipient,
        attempt=attempt,
        at=at,
        error=error,
        next_attempt_at=next_attempt_at,
        status="sent" if error is None else "deferred" if next_attempt_at else "failed",
    )


@pytest.mark.parametrize(
    ("attempt", "seconds"),
    [
        (1, 60),
        (2, 120),
        (3, 240),
        (4, 480),
        (5, 960),
        (6, 1920),
        (7, 3600),
        (8, 3600),
        (5000, 3600),
    ],
)
def test_attempt_k_waits_base_times_factor_to_the_k_minus_one_capped(
    attempt: int, seconds: int
) -> None:
    """Defaults: 1, 2, 4 … minutes, never more than an hour, and no overflow."""
    assert Backoff().delay(attempt) == timedelta(seconds=seconds)


def test_a_factor_of_one_waits_the_same_each_time() -> None:
    """Constant back-off is allowed."""
    backoff = Backoff(base_s=30, factor=1, max_s=30, max_attempts=3)

    assert [backoff.delay(k) for k in (1, 2, 50)] == [timedelta(seconds=30)] * 3


def test_the_last_allowed_attempt_exhausts_the_back_off() -> None:
    """With 8 attempts, the eighth failing is final."""
    backoff = Backoff()

    assert [backoff.is_exhausted(k) for k in (1, 7, 8, 9)] == [False, False, True, True]


@pytest.mark.parametrize(
    "kwargs",
    [{"base_s": 0}, {"factor": 0.5}, {"max_s": 10}, {"max_attempts": 0}],
)
def test_a_back_off_that_makes_no_sense_is_refused(kwargs: dict[str, float]) -> None:
    """Zero waits, shrinking waits, a cap below the base, or no attempts at all."""
    with pytest.raises(ValueError, match="back-off needs"):
        Backoff(**kwargs)  # type: ignore[arg-type]


def test_attempt_numbers_start_at_one() -> None:
    """There is no attempt zero."""
    with pytest.raises(ValueError, match="numbered from 1"):
        Backoff().delay(0)


def test_due_messages_are_sent_and_marked_sent() -> None:
    """Two pending messages go out and the report lists both."""
    first, second = (
        outbox_message(1),
        outbox_message(2, template="pro_forma", recipient_role="cmeo"),
    )
    store = InMemoryOutboxStore([first, second])
    sender = RecordingSender()
    clock = SteppingClock(T0)

    report = Dispatcher(store, sender, clock).dispatch_once()

    assert report == DispatchReport(
        sent=(
            _outcome(first, 1, T0 + timedelta(seconds=1)),
            _outcome(second, 1, T0 + timedelta(seconds=2)),
        )
    )
    assert [m.id for m in sender.sent] == [1, 2]
    assert [(m.status, m.attempts, m.sent_at) for m in store.rows.values()] == [
        ("sent", 1, T0 + timedelta(seconds=1)),
        ("sent", 1, T0 + timedelta(seconds=2)),
    ]


def test_a_transient_failure_defers_the_message_with_back_off() -> None:
    """Attempt 3 failing waits 4 minutes; the error is kept on the row."""
    message = outbox_message(7, attempts=2)
    store = InMemoryOutboxStore([message])
    sender = ScriptedSender({7: [TransientDeliveryError("gateway said 451 try later", 451)]})
    clock = SteppingClock(T0)

    report = Dispatcher(store, sender, clock).dispatch_once()

    at = T0 + timedelta(seconds=1)
    assert report == DispatchReport(
        deferred=(
            _outcome(message, 3, at, "gateway said 451 try later", at + timedelta(minutes=4)),
        )
    )
    row = store.rows[7]
    assert (row.status, row.attempts, row.next_attempt_at, row.last_error) == (
        "deferred",
        3,
        at + timedelta(minutes=4),
        "gateway said 451 try later",
    )


def test_a_deferred_message_waits_until_its_next_attempt_and_is_then_sent_once() -> None:
    """Before the back-off ends nothing is tried; after it, the message goes once."""
    store = InMemoryOutboxStore([outbox_message(1)])
    sender = ScriptedSender({1: [TransientDeliveryError("down")]})
    clock = SteppingClock(T0)
    dispatcher = Dispatcher(store, sender, clock)
    dispatcher.dispatch_once()

    too_early = dispatcher.dispatch_once()
    clock.jump_to(T0 + timedelta(minutes=2))
    on_time = dispatcher.dispatch_once()

    assert too_early == DispatchReport()
    assert [o.attempt for o in on_time.sent] == [2]
    assert sender.attempts == [1, 1]
    assert [m.id for m in sender.sent] == [1]
    assert store.rows[1].status == "sent"


def test_a_permanent_failure_fails_the_message_at_once() -> None:
    """No retry for a 550 or a TLS failure; the report carries what the CMEO alert needs."""
    message = outbox_message(3)
    store = InMemoryOutboxStore([message])
    sender = ScriptedSender({3: [PermanentDeliveryError("refused (550 no such user)", 550)]})
    clock = SteppingClock(T0)

    report = Dispatcher(store, sender, clock).dispatch_once()

    assert report == DispatchReport(
        failed=(_outcome(message, 1, T0 + timedelta(seconds=1), "refused (550 no such user)"),)
    )
    failed = report.failed[0]
    assert (failed.case_ref, failed.template, failed.recipient_role) == (
        "CME-000042",
        "mash_escalation",
        "mash",
    )
    assert (store.rows[3].status, store.rows[3].attempts) == ("failed", 1)


def test_a_transient_failure_on_the_last_attempt_fails_the_message() -> None:
    """Attempt 8 of 8 failing gives up, saying so."""
    message = outbox_message(4, attempts=7)
    store = InMemoryOutboxStore([message])
    sender = ScriptedSender({4: [TransientDeliveryError("timed out")]})

    report = Dispatcher(store, sender, SteppingClock(T0)).dispatch_once()

    assert report == DispatchReport(
        failed=(
            _outcome(message, 8, T0 + timedelta(seconds=1), "gave up after 8 attempts: timed out"),
        )
    )
    assert store.rows[4].status == "failed"


def test_a_message_keeps_retrying_until_max_attempts_then_fails() -> None:
    """With 3 attempts: fail, wait 1 min, fail, wait 2 min, fail for good."""
    store = InMemoryOutboxStore([outbox_message(1)])
    sender = ScriptedSender({1: [TransientDeliveryError("down")] * 5})
    clock = SteppingClock(T0)
    dispatcher = Dispatcher(store, sender, clock, Backoff(max_attempts=3))

    reports = []
    for minutes in (0, 2, 5, 10):
        clock.jump_to(T0 + timedelta(minutes=minutes, seconds=5))
        reports.append(dispatcher.dispatch_once())

    assert [(len(r.sent), len(r.deferred), len(r.failed)) for r in reports] == [
        (0, 1, 0),
        (0, 1, 0),
        (0, 0, 1),
        (0, 0, 0),
    ]
    assert sender.attempts == [1, 1, 1]
    assert (store.rows[1].status, store.rows[1].attempts) == ("failed", 3)


def test_one_message_failing_does_not_stop_the_others() -> None:
    """Outcomes are per message: sent, deferred and failed in one run."""
    store = InMemoryOutboxStore([outbox_message(1), outbox_message(2), outbox_message(3)])
    sender = ScriptedSender(
        {
            2: [TransientDeliveryError("451 later", 451)],
            3: [PermanentDeliveryError("550 no", 550)],
        }
    )

    report = Dispatcher(store, sender, SteppingClock(T0)).dispatch_once()

    assert (
        [o.message_id for o in report.sent],
        [o.message_id for o in report.deferred],
        [o.message_id for o in report.failed],
    ) == ([1], [2], [3])
    assert report.total == 3


def test_a_bug_in_the_sender_is_retried_like_a_transient_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected exception is logged and the row deferred, not left claimed forever."""

    class BrokenSender:
        def send(self, message: OutboxMessage) -> None:
            raise KeyError("subject")

    store = InMemoryOutboxStore([outbox_message(1)])

    report = Dispatcher(store, BrokenSender(), SteppingClock(T0)).dispatch_once()

    assert [o.error for o in report.deferred] == [
        "internal error while sending (KeyError: 'subject')"
    ]
    assert store.rows[1].status == "deferred"
    assert "outbox 1 (CME-000042, mash_escalation to mash): sender error" in caplog.text


def test_the_limit_caps_how_many_messages_one_run_claims() -> None:
    """The rest wait for the next run, still pending."""
    store = InMemoryOutboxStore([outbox_message(i) for i in range(1, 6)])

    report = Dispatcher(store, RecordingSender(), SteppingClock(T0)).dispatch_once(limit=2)

    assert [o.message_id for o in report.sent] == [1, 2]
    assert [m.status for m in store.rows.values()] == [
        "sent",
        "sent",
        "pending",
        "pending",
        "pending",
    ]


def test_a_message_not_yet_due_is_left_alone() -> None:
    """`next_attempt_at` in the future means not now."""
    later = replace(outbox_message(1), status="deferred", next_attempt_at=T0 + timedelta(hours=1))
    store = InMemoryOutboxStore([later])

    report = Dispatcher(store, RecordingSender(), SteppingClock(T0)).dispatch_once()

    assert report == DispatchReport()
    assert store.rows[1].status == "deferred"
