"""Fail loud (issue 12, item 1): a notification that cannot be addressed is never dropped.

It is an outbox row `failed` with the reason, a `notification_failed` event on the case (in the
same commit as the event that queued it), and an alert to the CMEO, or to the service manager
when the CMEO itself has no address. Mail goes to a real aiosmtpd gateway over STARTTLS. Dates are
fixed (the fake clock starts Mon 3 Nov 2025, 09:00 Europe/London); SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest

from cme.bootstrap import App
from cme.delivery import deliver
from cme.outcomes import StillUnaddressed, readdress, unaddressed
from engine.ports import UNRENDERED, OutboxMessage, case_ref
from storage import queries
from storage.outbox import SqlOutboxStore
from tests.integration.delivery.conftest import (
    CASEWORKER,
    Gateway,
    MakeApp,
    open_case,
    raise_concern,
)

pytestmark = pytest.mark.smtp

NO_MASH = "no address configured for role mash (set CME_MASH_EMAIL)"


def outbox(application: App, case_id: int) -> list[OutboxMessage]:
    rows = SqlOutboxStore(application.db).list(case_id=case_id, limit=10_000)
    return sorted(rows, key=lambda m: m.id or 0)


def failures(application: App, case_id: int) -> list[dict[str, Any]]:
    return [
        dict(e.evidence)
        for e in queries.events(application.db, case_id)
        if e.trigger == "notification_failed"
    ]


def test_a_concern_with_no_mash_address_fails_loudly_and_the_cmeo_is_told(
    gateway: Gateway, delivery_app: MakeApp, db_url: str
) -> None:
    app = delivery_app(gateway, db_url, mash_email=None)
    case_id = open_case(app)
    deliver(app)
    gateway.inbox.received.clear()

    raise_concern(app, case_id)

    escalation = next(m for m in outbox(app, case_id) if m.template == "mash_escalation")
    assert (escalation.status, escalation.recipient_role, escalation.recipient) == (
        "failed",
        "mash",
        "",
    )
    assert escalation.last_error == NO_MASH
    # the subject is rendered (and checked); the bodies wait for an address (issue 14: a
    # catch-up no longer renders letters nobody can read; the retry renders them)
    assert escalation.attempts == 0 and escalation.subject.startswith("CME-")
    assert (escalation.body_text, escalation.body_html) == (UNRENDERED, UNRENDERED)
    [failed] = failures(app, case_id)
    assert failed == {
        "event_seq": escalation.event_seq,
        "template": "mash_escalation",
        "recipient_role": "mash",
        "recipient": "",
        "error": NO_MASH,
        "attempts": 0,
    }
    [alert] = [m for m in outbox(app, case_id) if m.template == "delivery_failed"]
    assert (alert.recipient_role, alert.recipient, alert.status) == (
        "cmeo",
        "cme@luton.gov.uk",
        "pending",
    )

    report = deliver(app)

    assert (report.sent, report.failed) == (1, 0)
    [received] = gateway.inbox.received
    assert received.rcpt_tos == ["cme@luton.gov.uk"]
    part = received.message.get_body(("plain",))
    assert part is not None
    body = part.get_content()
    assert "MASH" in body and "telephone MASH now" in body and "CME_MASH_EMAIL" in body
    assert [(u.role, u.reason, u.outbox_ids) for u in unaddressed(app)] == [
        ("mash", NO_MASH, [escalation.id])
    ]


def test_with_no_cmeo_address_either_the_service_manager_is_alerted(
    gateway: Gateway, delivery_app: MakeApp, db_url: str
) -> None:
    app = delivery_app(gateway, db_url, mash_email=None, cmeo_email=None)
    case_id = open_case(app)  # referral_received to the CMEO: unaddressed too

    raise_concern(app, case_id)
    report = deliver(app)

    rows = outbox(app, case_id)
    assert [(m.template, m.recipient_role, m.recipient, m.status) for m in rows] == [
        ("referral_received", "cmeo", "", "failed"),
        ("delivery_failed", "manager", "manager@luton.gov.uk", "sent"),
        ("mash_escalation", "mash", "", "failed"),
        ("delivery_failed", "manager", "manager@luton.gov.uk", "sent"),
    ]
    assert report.sent == 2
    assert sorted(r.rcpt_tos[0] for r in gateway.inbox.received) == [
        "manager@luton.gov.uk",
        "manager@luton.gov.uk",
    ]
    assert {u.role for u in unaddressed(app)} == {"cmeo", "mash"}


def test_with_nobody_to_alert_the_failure_is_still_recorded_and_does_not_loop(
    delivery_app: MakeApp, db_url: str
) -> None:
    app = delivery_app(None, db_url, mash_email=None, cmeo_email=None, manager_email=None)
    case_id = open_case(app)

    raise_concern(app, case_id)

    rows = [(m.template, m.recipient_role, m.status) for m in outbox(app, case_id)]
    assert rows == [
        ("referral_received", "cmeo", "failed"),
        ("delivery_failed", "cmeo", "failed"),
        ("mash_escalation", "mash", "failed"),
        ("delivery_failed", "cmeo", "failed"),
    ]
    assert [f["template"] for f in failures(app, case_id)] == [
        "referral_received",
        "delivery_failed",
        "mash_escalation",
        "delivery_failed",
    ]
    alert_error = outbox(app, case_id)[1].last_error
    assert alert_error == (
        "no address configured for role cmeo (set CME_CMEO_EMAIL) nor for role manager "
        "(set CME_MANAGER_EMAIL)"
    )


def test_a_transfer_to_an_authority_with_no_address_fails_loudly(
    gateway: Gateway, delivery_app: MakeApp, db_url: str
) -> None:
    app = delivery_app(gateway, db_url)
    case_id = open_case(app)
    app.engine.apply(case_id, "begin_enquiries", {}, CASEWORKER)

    app.engine.apply(
        case_id, "notify_other_la", {"other_la": "823", "notified_on": "2025-11-03"}, CASEWORKER
    )

    [transfer] = [m for m in outbox(app, case_id) if m.template == "la_transfer"]
    assert (transfer.status, transfer.recipient_role) == ("failed", "other_la")
    assert transfer.last_error == (
        "no address configured for role other_la: LA 823 (add it under 'las' in the "
        "recipients file (CME_RECIPIENTS_FILE))"
    )
    assert [f["template"] for f in failures(app, case_id)] == ["la_transfer"]
    [alert] = [m for m in outbox(app, case_id) if m.template == "delivery_failed"]
    assert (alert.recipient_role, alert.recipient) == ("cmeo", "cme@luton.gov.uk")


def test_a_retry_after_the_address_is_configured_sends_it_and_resolves_it(
    gateway: Gateway, delivery_app: MakeApp, db_url: str
) -> None:
    app = delivery_app(gateway, db_url, mash_email=None)
    case_id = open_case(app)
    raise_concern(app, case_id)
    [row] = [m for m in outbox(app, case_id) if m.template == "mash_escalation"]

    with pytest.raises(StillUnaddressed, match="set CME_MASH_EMAIL"):
        readdress(app, row)
    assert next(m for m in outbox(app, case_id) if m.id == row.id).status == "failed"

    configured = delivery_app(gateway, db_url, mash_email="mash@luton.gov.uk")
    assert readdress(configured, row) is True
    deliver(configured)

    sent = next(m for m in outbox(configured, case_id) if m.id == row.id)
    assert (sent.status, sent.recipient) == ("sent", "mash@luton.gov.uk")
    assert "mash@luton.gov.uk" in [r.rcpt_tos[0] for r in gateway.inbox.received]
    assert unaddressed(configured) == []
    # rendered at the retry, it is the letter the engine renders when MASH has an address: a
    # twin case escalated at the same time, on the configured app, got the same words
    twin_id = open_case(configured)
    raise_concern(configured, twin_id)
    [twin] = [m for m in outbox(configured, twin_id) if m.template == "mash_escalation"]
    refs = (case_ref(case_id), case_ref(twin_id))
    assert sent.body_text and sent.body_html
    assert (sent.subject, sent.body_text, sent.body_html) == tuple(
        part.replace(refs[1], refs[0]) for part in (twin.subject, twin.body_text, twin.body_html)
    )
