"""`SqlOutboxStore` claim semantics, on SQLite and PostgreSQL.

A claim takes at most `limit` due rows, a claimed row is not claimed again while its lease
runs, an expired lease is taken over, and the dispatcher that lost its claim cannot overwrite
the outcome of the one that holds it now.
"""

from __future__ import annotations

from datetime import timedelta

from cme.bootstrap import App
from engine.testing import FakeClock
from storage.outbox import LEASE, SqlOutboxStore
from tests.integration.delivery.conftest import MakeApp, open_case


def _app_with_letters(delivery_app: MakeApp, db_url: str, count: int) -> App:
    app = delivery_app(None, db_url)
    for _ in range(count):
        open_case(app)
    return app


def test_claims_take_at_most_limit_rows_and_never_the_same_row_twice(
    delivery_app: MakeApp, db_url: str, clock: FakeClock
) -> None:
    app = _app_with_letters(delivery_app, db_url, 5)
    a, b = SqlOutboxStore(app.db), SqlOutboxStore(app.db)

    first = a.claim_sendable(clock.now(), 3)
    second = b.claim_sendable(clock.now(), 3)
    third = a.claim_sendable(clock.now(), 3)

    assert len(first) == 3 and len(second) == 2 and third == []
    assert {m.id for m in first}.isdisjoint({m.id for m in second})
    assert all(
        m.status == "sending" and m.next_attempt_at == clock.now() + LEASE for m in first + second
    )


def test_an_expired_lease_is_taken_over_and_the_late_dispatcher_cannot_undo_it(
    delivery_app: MakeApp, db_url: str, clock: FakeClock
) -> None:
    app = _app_with_letters(delivery_app, db_url, 1)
    slow, fresh = SqlOutboxStore(app.db), SqlOutboxStore(app.db)
    [claimed] = slow.claim_sendable(clock.now(), 10)
    assert claimed.id is not None

    clock.advance(LEASE - timedelta(seconds=1))
    assert fresh.claim_sendable(clock.now(), 10) == []  # still held
    clock.advance(timedelta(seconds=1))
    [taken] = fresh.claim_sendable(clock.now(), 10)
    fresh.mark_sent(taken.id or 0, clock.now())
    slow.mark_deferred(claimed.id, clock.now(), clock.now() + timedelta(minutes=1), "timeout")

    [row] = fresh.list()
    assert (row.id, row.status, row.attempts, row.last_error) == (claimed.id, "sent", 1, None)
    assert fresh.claim_sendable(clock.now() + timedelta(days=1), 10) == []


def test_retry_puts_only_failed_or_deferred_rows_back(
    delivery_app: MakeApp, db_url: str, clock: FakeClock
) -> None:
    app = _app_with_letters(delivery_app, db_url, 2)
    store = SqlOutboxStore(app.db)
    one, two = store.claim_sendable(clock.now(), 10)
    store.mark_failed(one.id or 0, clock.now(), "554 refused")
    store.mark_sent(two.id or 0, clock.now())

    assert store.retry(two.id or 0, clock.now()) is False
    assert store.retry(9999, clock.now()) is False
    assert store.retry(one.id or 0, clock.now()) is True
    assert [m.id for m in store.claim_sendable(clock.now(), 10)] == [one.id]
