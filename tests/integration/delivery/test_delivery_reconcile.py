"""A delivery outcome and its case event commit together, and every tick reconciles (issue 13,
item 5): a row marked `sent` or `failed` without its event gets the event, and a failure the
CMEO's alert. Before, the status and the event were two commits: after kill -9 between them a
sent message had no `notification_delivered` and a failed MASH escalation no alert, ever.
Real aiosmtpd gateway over STARTTLS; SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from cme.bootstrap import App
from cme.delivery import deliver
from cme.scheduler import one_pass
from engine.testing import FakeClock
from storage import queries
from storage.outbox import SqlOutboxStore
from storage.unit_of_work import SqlUnitOfWork
from tests.integration.delivery.conftest import Gateway, MakeApp, open_case, raise_concern

pytestmark = pytest.mark.smtp


def outcome_events(application: App, case_id: int) -> list[tuple[str, Any]]:
    return [
        (e.trigger, e.evidence.get("outbox_id"))
        for e in queries.events(application.db, case_id)
        if e.trigger in ("notification_delivered", "notification_failed")
    ]


def row(application: App, message_id: int) -> Any:
    return SqlOutboxStore(application.db).get(message_id)


def test_a_status_written_without_its_event_is_reconciled_by_the_next_tick(
    gateway: Gateway, delivery_app: MakeApp, db_url: str
) -> None:
    """What an older version left after kill -9 between its two commits: the row `sent`, no
    event. The tick records it (once, however many ticks run)."""
    app = delivery_app(gateway, db_url)
    case_id = open_case(app)
    store = SqlOutboxStore(app.db)
    [claimed] = store.claim_sendable(app.clock.now(), 10)
    assert claimed.id is not None
    store.mark_sent(claimed.id, app.clock.now())  # the status alone, as the old code did first
    assert outcome_events(app, case_id) == []

    result = one_pass(app)
    one_pass(app)

    # once, however many ticks (the tick also delivered the four-week reminder it fired)
    assert outcome_events(app, case_id).count(("notification_delivered", claimed.id)) == 1
    assert result["reconciled"] == [
        {
            "outbox_id": claimed.id,
            "case_id": case_id,
            "template": "referral_received",
            "status": "sent",
        }
    ]
    [event] = [
        e
        for e in queries.events(app.db, case_id)
        if e.trigger == "notification_delivered" and e.evidence["outbox_id"] == claimed.id
    ]
    assert event.evidence["reconciled"] is True


def test_a_failed_mash_escalation_left_without_its_event_gets_it_and_the_cmeo_alert(
    gateway: Gateway, delivery_app: MakeApp, db_url: str
) -> None:
    app = delivery_app(gateway, db_url)
    case_id = open_case(app)
    deliver(app)
    gateway.inbox.received.clear()
    raise_concern(app, case_id)
    store = SqlOutboxStore(app.db)
    [claimed] = store.claim_sendable(app.clock.now(), 10)
    assert claimed.id is not None and claimed.template == "mash_escalation"
    store.mark_failed(claimed.id, app.clock.now(), "refused (550 no such user)")

    one_pass(app)

    assert ("notification_failed", claimed.id) in outcome_events(app, case_id)
    [alert] = [m for m in store.list(case_id=case_id) if m.template == "delivery_failed"]
    assert (alert.recipient_role, alert.recipient, alert.status) == (
        "cmeo",
        "cme@luton.gov.uk",
        "sent",  # the same tick delivered it
    )
    [received] = gateway.inbox.received
    assert received.rcpt_tos == ["cme@luton.gov.uk"]
    part = received.message.get_body(("plain",))
    assert part is not None
    assert "telephone MASH now" in part.get_content()


def test_a_crash_before_the_outcome_commits_keeps_neither_status_nor_event(
    gateway: Gateway,
    delivery_app: MakeApp,
    db_url: str,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process dies after the gateway took the message, before the outcome commits: the row
    is still `sending` under its lease (no `sent` without its event), and once the lease runs
    out it is sent again (same Message-ID, so the receiver drops the copy) and recorded."""
    app = delivery_app(gateway, db_url)
    case_id = open_case(app)
    real_commit = SqlUnitOfWork.commit

    def crash(self: SqlUnitOfWork) -> None:
        raise SystemExit("kill -9")

    monkeypatch.setattr(SqlUnitOfWork, "commit", crash)
    with pytest.raises(SystemExit):
        deliver(app)
    monkeypatch.setattr(SqlUnitOfWork, "commit", real_commit)

    [message] = SqlOutboxStore(app.db).list(case_id=case_id)
    assert message.id is not None
    assert (message.status, message.attempts) == ("sending", 0)
    assert outcome_events(app, case_id) == []
    assert len(gateway.inbox.received) == 1

    clock.advance(timedelta(minutes=11))  # the lease (10 minutes) runs out
    deliver(app)

    assert (row(app, message.id).status, row(app, message.id).attempts) == ("sent", 1)
    assert outcome_events(app, case_id) == [("notification_delivered", message.id)]
    first, second = gateway.message_ids()
    assert first == second
