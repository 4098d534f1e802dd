"""`cme outbox list|retry` and `cme notifications preview`, through Typer's runner, on an app
whose outbox is delivered to a real gateway."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from cme import cli, console
from cme.bootstrap import App
from cme.delivery import deliver
from tests.integration.delivery.conftest import Gateway, MakeApp, open_case, raise_concern

pytestmark = pytest.mark.smtp

runner = CliRunner()

FIELDS = {
    "id",
    "case_id",
    "case_ref",
    "event_seq",
    "template",
    "recipient_role",
    "recipient",
    "subject",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "sent_at",
}


@pytest.fixture
def use_app(monkeypatch: pytest.MonkeyPatch) -> Any:
    def use(app: App) -> App:
        monkeypatch.setattr(console, "APP_FACTORY", lambda: app)
        return app

    return use


def cme(*args: str, code: int = 0) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if "--json" in args else result


def test_outbox_list_shows_each_message_and_filters(
    gateway: Gateway, delivery_app: MakeApp, use_app: Any
) -> None:
    app = use_app(delivery_app(gateway))
    first = open_case(app)
    deliver(app)
    second = open_case(app)
    raise_concern(app, second)

    rows = cme("outbox", "list", "--json")
    pending = cme("outbox", "list", "--status", "pending", "--json")
    of_first = cme("outbox", "list", "--case", str(first), "--json")

    assert all(set(r) == FIELDS for r in rows)
    assert [(r["case_id"], r["template"], r["status"]) for r in rows] == [
        (second, "mash_escalation", "pending"),
        (second, "referral_received", "pending"),
        (first, "referral_received", "sent"),
    ]
    assert rows[0]["case_ref"] == f"CME-{second:06d}"
    assert rows[0]["recipient"] == "mash@luton.gov.uk" and rows[0]["attempts"] == 0
    assert rows[2]["sent_at"] is not None and rows[2]["attempts"] == 1
    assert [r["id"] for r in pending] == [rows[0]["id"], rows[1]["id"]]
    assert [r["id"] for r in of_first] == [rows[2]["id"]]
    assert "Outbox (3)" in cme("outbox", "list").output
    cme("outbox", "list", "--status", "lost", code=2)


def test_outbox_retry_queues_a_failed_message_again_now(
    gateway: Gateway, delivery_app: MakeApp, use_app: Any
) -> None:
    gateway.inbox.reply = "550 5.1.1 Mailbox unavailable"
    app = use_app(delivery_app(gateway, cmeo_email="cme@luton.gov.uk"))
    case_id = open_case(app)
    deliver(app)
    [failed] = cme("outbox", "list", "--status", "failed", "--json")
    gateway.inbox.reply = "250 OK"

    retried = cme("outbox", "retry", str(failed["id"]), "--json")

    assert (retried["id"], retried["status"], retried["attempts"]) == (failed["id"], "pending", 1)
    assert retried["next_attempt_at"] == app.clock.now().isoformat()
    report = deliver(app)  # the letter, and the CMEO's alert about its first failure
    assert report.sent == 2
    assert failed["id"] in [
        r["id"]
        for r in cme("outbox", "list", "--status", "sent", "--case", str(case_id), "--json")
    ]
    refused = cme("outbox", "retry", str(failed["id"]), "--json", code=2)
    assert "already sent" in refused["error"]["message"]
    unknown = cme("outbox", "retry", "9999", "--json", code=2)
    assert "no outbox message 9999" in unknown["error"]["message"]


def test_notifications_preview_renders_a_template_for_a_case(
    delivery_app: MakeApp, use_app: Any
) -> None:
    app = use_app(delivery_app(None))
    case_id = open_case(app)
    raise_concern(app, case_id)

    preview = cme("notifications", "preview", "mash_escalation", str(case_id), "--json")

    ref = f"CME-{case_id:06d}"
    assert preview["case_ref"] == ref and ref in preview["subject"]
    assert "Testchild" not in preview["subject"]
    assert ref in preview["text"] and "<html" in preview["html"].lower()
    assert preview["recipients"] == [{"role": "mash", "recipient": "mash@luton.gov.uk"}]
    shown = cme("notifications", "preview", "mash_escalation", str(case_id)).output
    assert shown.startswith(f"Subject: {preview['subject']}")
    cme("notifications", "preview", "no_such_template", str(case_id), code=2)
    cme("notifications", "preview", "mash_escalation", "999", code=2)
