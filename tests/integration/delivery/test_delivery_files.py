"""Without SMTP configured (the demo), `deliver` writes `.eml` files a mail client opens, and
says where they went."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

from cme.delivery import deliver
from storage.outbox import SqlOutboxStore
from tests.integration.delivery.conftest import MakeApp, open_case, raise_concern


def test_without_smtp_messages_go_to_eml_files_and_the_report_says_so(
    delivery_app: MakeApp, tmp_path: Path
) -> None:
    folder = tmp_path / "outbox"
    app = delivery_app(None, outbox_dir=folder)
    case_id = open_case(app)
    raise_concern(app, case_id)

    report = deliver(app)

    assert (report.sent, report.deferred, report.failed) == (2, 0, 0)
    assert str(folder) in report.target and "no SMTP configured" in report.target
    rows = sorted(SqlOutboxStore(app.db).list(case_id=case_id), key=lambda m: m.id or 0)
    assert [(m.template, m.status) for m in rows] == [
        ("referral_received", "sent"),
        ("mash_escalation", "sent"),
    ]
    files = sorted(p.name for p in folder.iterdir())
    assert files == [f"{m.id}-{m.template}.eml" for m in rows]

    mash = rows[1]
    parsed = email.message_from_bytes(
        (folder / f"{mash.id}-mash_escalation.eml").read_bytes(), policy=email.policy.default
    )
    assert isinstance(parsed, EmailMessage)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert str(parsed["Message-ID"]) == mash.message_id
    assert str(parsed["X-CME-Case"]) == f"CME-{case_id:06d}"
    assert str(parsed["To"]) == "mash@luton.gov.uk"
    assert str(parsed["Subject"]) == mash.subject
    text = parsed.get_body(("plain",))
    assert text is not None
    assert text.get_content().replace("\r\n", "\n") == mash.body_text
    assert deliver(app).sent == 0  # written once
