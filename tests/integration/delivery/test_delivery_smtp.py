"""The outbox delivered through the real path: the engine queues, `deliver(app)` (what `cme tick`
runs) sends to a real SMTP gateway over STARTTLS with AUTH, and each outcome lands on the case."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
import trustme

from cme.bootstrap import App
from cme.delivery import deliver
from engine.ports import OutboxMessage
from engine.testing import FakeClock
from notifications.dispatch import Backoff
from storage import queries
from storage.outbox import SqlOutboxStore
from tests.integration.delivery.conftest import (
    Gateway,
    MakeApp,
    StartGateway,
    open_case,
    raise_concern,
)

pytestmark = pytest.mark.smtp


def outbox(application: App, case_id: int | None = None) -> list[OutboxMessage]:
    """The case's outbox rows, oldest first."""
    return sorted(
        SqlOutboxStore(application.db).list(case_id=case_id, limit=10_000), key=lambda m: m.id or 0
    )


def events(application: App, case_id: int) -> list[tuple[str, dict[str, object]]]:
    return [(e.trigger, dict(e.evidence)) for e in queries.events(application.db, case_id)]


def test_a_mash_escalation_is_delivered_within_one_tick_of_a_concern(
    gateway: Gateway, delivery_app: MakeApp
) -> None:
    """Raise a concern, one deliver(): MASH has the letter, over TLS, logged in, headers set."""
    app = delivery_app(gateway)
    case_id = open_case(app)
    deliver(app)  # the referral_received letter to the CMEO
    gateway.inbox.received.clear()

    raise_concern(app, case_id)
    report = deliver(app)

    assert (report.sent, report.deferred, report.failed) == (1, 0, 0)
    assert report.target == f"smtp://127.0.0.1:{gateway.port}"
    [received] = gateway.inbox.received
    assert received.authenticated is True
    assert received.tls_version in {"TLSv1.2", "TLSv1.3"}
    assert (received.mail_from, received.rcpt_tos) == (
        "cme-noreply@luton.gov.uk",
        ["mash@luton.gov.uk"],
    )
    [row] = [m for m in outbox(app, case_id) if m.template == "mash_escalation"]
    email = received.message
    ref = f"CME-{case_id:06d}"
    assert (
        str(email["Message-ID"])
        == f"<cme-outbox-{row.id}-case-{case_id}-{row.event_seq}@cme.invalid>"
    )
    assert str(email["X-CME-Case"]) == ref
    assert str(email["From"]) == "Luton CME <cme-noreply@luton.gov.uk>"
    assert str(email["To"]) == "mash@luton.gov.uk"
    assert parsedate_to_datetime(str(email["Date"])) == row.created_at
    subject = str(email["Subject"])
    assert ref in subject
    for identity in ("Sam", "Testchild", "2014-05-01", "01/05/2014", "H801200001001"):
        assert identity not in subject
    assert email.get_content_type() == "multipart/alternative"
    text, html = email.get_body(("plain",)), email.get_body(("html",))
    assert text is not None and html is not None
    assert ref in text.get_content() and "<html" in html.get_content().lower()
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, row.sent_at)
    assert row.sent_at is not None
    kind, evidence = events(app, case_id)[-1]
    assert (kind, evidence["outbox_id"], evidence["template"]) == (
        "notification_delivered",
        row.id,
        "mash_escalation",
    )


def test_server_down_then_up_defers_then_delivers_exactly_once(
    gateways: StartGateway, delivery_app: MakeApp, clock: FakeClock
) -> None:
    """Connection refused: deferred with a retry time, nothing lost; back up: sent once."""
    gateway = gateways(start=False)
    app = delivery_app(gateway)
    case_id = open_case(app)

    first = deliver(app)

    assert (first.sent, first.deferred, first.failed) == (0, 1, 0)
    [row] = outbox(app, case_id)
    assert (row.status, row.attempts) == ("deferred", 1)
    assert row.next_attempt_at == clock.now() + Backoff().delay(1)
    assert row.last_error is not None and "will try again" in row.last_error
    assert deliver(app).sent == 0  # not due yet: nothing is tried before the back-off ends

    gateway.start()
    clock.advance(Backoff().delay(1))
    second = deliver(app)
    third = deliver(app)

    assert (second.sent, third.sent) == (1, 0)
    assert gateway.message_ids() == [row.message_id]
    [row] = outbox(app, case_id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert [k for k, _ in events(app, case_id)] == [
        "open_case",
        "notification_deferred",
        "notification_delivered",
    ]


def test_a_4xx_reply_is_retried_and_then_succeeds(
    gateway: Gateway, delivery_app: MakeApp, clock: FakeClock
) -> None:
    gateway.inbox.reply = "451 4.3.0 Try again later"
    app = delivery_app(gateway)
    case_id = open_case(app)

    first = deliver(app)
    [row] = outbox(app, case_id)
    assert (first.deferred, row.status, gateway.inbox.data_commands) == (1, "deferred", 1)
    assert row.last_error is not None and "451" in row.last_error

    gateway.inbox.reply = "250 OK"
    clock.advance(timedelta(hours=1))
    second = deliver(app)

    assert second.sent == 1
    assert gateway.message_ids() == [row.message_id]
    [row] = outbox(app, case_id)
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_5xx_reply_fails_records_it_alerts_the_cmeo_and_the_alert_cannot_loop(
    gateway: Gateway, delivery_app: MakeApp, clock: FakeClock
) -> None:
    """Permanent: failed at once, `notification_failed` on the case, `delivery_failed` to the
    CMEO queued; that alert fails on the same gateway and raises no alert of its own."""
    gateway.inbox.reply = "554 5.7.1 Message rejected"
    app = delivery_app(gateway)
    case_id = open_case(app)

    first = deliver(app)

    assert (first.sent, first.deferred, first.failed) == (0, 0, 1)
    letter, alert = outbox(app, case_id)
    assert (letter.template, letter.status, letter.attempts) == ("referral_received", "failed", 1)
    assert letter.last_error is not None and "554" in letter.last_error
    assert (alert.template, alert.recipient_role, alert.recipient, alert.status) == (
        "delivery_failed",
        "cmeo",
        "cme@luton.gov.uk",
        "pending",
    )
    kind, evidence = events(app, case_id)[-1]
    assert kind == "notification_failed"
    assert (evidence["outbox_id"], evidence["template"], evidence["attempts"]) == (
        letter.id,
        "referral_received",
        1,
    )
    assert "554" in str(evidence["error"])

    second = deliver(app)  # the alert itself is refused
    clock.advance(timedelta(days=2))
    third = deliver(app)

    assert second.failed == 1
    assert (third.sent, third.deferred, third.failed) == (0, 0, 0)
    rows = outbox(app, case_id)
    assert [(m.template, m.status) for m in rows] == [
        ("referral_received", "failed"),
        ("delivery_failed", "failed"),
    ]
    assert [k for k, _ in events(app, case_id)] == [
        "open_case",
        "notification_failed",
        "notification_failed",
    ]
    assert gateway.inbox.data_commands == 2  # one try each, never again
    assert gateway.inbox.received == []


def test_transient_failures_stop_after_the_last_attempt(
    gateway: Gateway, delivery_app: MakeApp, clock: FakeClock
) -> None:
    """4xx for ever: retried with back-off up to `max_attempts`, then failed and left alone;
    the CMEO's alert about it goes the same way, and raises no alert of its own."""
    gateway.inbox.reply = "421 4.4.2 Busy"
    app = delivery_app(gateway)
    case_id = open_case(app)
    attempts = Backoff().max_attempts

    for _ in range(2 * attempts + 2):  # every retry is due: the longest back-off is an hour
        deliver(app)
        clock.advance(timedelta(hours=2))

    letter, alert = outbox(app, case_id)
    assert (letter.template, letter.status, letter.attempts) == (
        "referral_received",
        "failed",
        attempts,
    )
    assert letter.last_error is not None
    assert letter.last_error.startswith(f"gave up after {attempts} attempts")
    assert (alert.template, alert.status, alert.attempts) == (
        "delivery_failed",
        "failed",
        attempts,
    )
    assert gateway.inbox.data_commands == 2 * attempts
    for _ in range(3):
        report = deliver(app)
        assert report.sent + report.deferred + report.failed == 0
        clock.advance(timedelta(days=1))
    assert gateway.inbox.data_commands == 2 * attempts
    assert len(outbox(app, case_id)) == 2
    failed = [e for k, e in events(app, case_id) if k == "notification_failed"]
    assert [e["template"] for e in failed] == ["referral_received", "delivery_failed"]


def test_a_server_without_starttls_is_refused_and_nothing_is_sent_in_clear(
    gateways: StartGateway, delivery_app: MakeApp
) -> None:
    plain = gateways("plain")
    app = delivery_app(plain)
    case_id = open_case(app)

    report = deliver(app)

    assert (report.sent, report.deferred, report.failed) == (0, 0, 1)
    letter = outbox(app, case_id)[0]
    assert letter.status == "failed"
    assert letter.last_error is not None and "STARTTLS" in letter.last_error
    assert "Nothing was sent" in letter.last_error
    assert plain.inbox.data_commands == 0 and plain.inbox.received == []
    assert deliver(app).sent == 0  # the alert is refused the same way
    assert plain.inbox.data_commands == 0


def test_a_certificate_from_an_untrusted_ca_is_refused_for_good(
    gateways: StartGateway, delivery_app: MakeApp, clock: FakeClock
) -> None:
    impostor = gateways(certificate_ca=trustme.CA())
    app = delivery_app(impostor)
    case_id = open_case(app)

    report = deliver(app)

    assert (report.sent, report.deferred, report.failed) == (0, 0, 1)
    letter = outbox(app, case_id)[0]
    assert (letter.status, letter.attempts) == ("failed", 1)
    assert letter.last_error is not None and "could not be verified" in letter.last_error
    clock.advance(timedelta(days=1))
    deliver(app)
    assert impostor.inbox.data_commands == 0 and impostor.inbox.received == []
    assert outbox(app, case_id)[0].attempts == 1


def test_a_recipient_off_the_allow_list_is_refused_with_the_reason_and_the_cmeo_told(
    gateway: Gateway, delivery_app: MakeApp
) -> None:
    app = delivery_app(gateway, mash_email="mash@elsewhere.example")
    case_id = open_case(app)
    deliver(app)
    gateway.inbox.received.clear()
    raise_concern(app, case_id)

    report = deliver(app)

    assert (report.sent, report.failed) == (0, 1)
    [refused] = [m for m in outbox(app, case_id) if m.template == "mash_escalation"]
    assert refused.status == "failed" and refused.attempts == 1
    assert refused.last_error is not None
    assert "elsewhere.example" in refused.last_error
    assert "allow-list (luton.gov.uk)" in refused.last_error
    [alert] = [m for m in outbox(app, case_id) if m.template == "delivery_failed"]
    assert (alert.recipient_role, alert.recipient, alert.status) == (
        "cmeo",
        "cme@luton.gov.uk",
        "pending",
    )
    assert gateway.inbox.received == []  # nothing reached the gateway for elsewhere.example

    told = deliver(app)

    assert told.sent == 1
    [received] = gateway.inbox.received
    assert received.rcpt_tos == ["cme@luton.gov.uk"]
    body = received.message.get_body(("plain",))
    assert body is not None and "elsewhere.example" in body.get_content()
