"""Delivering the outbox: SMTP over TLS when configured, else `.eml` files in `var/outbox/`.

Each outcome is recorded on its case as an event; a message given up on raises a
`delivery_failed` alert to the CMEO (never about itself, so an alert cannot loop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine import SYSTEM_TIMER
from notifications.dispatch import Dispatcher, DispatchReport
from notifications.recipients import AllowList
from notifications.smtp import FileSender, SmtpSender, SmtpSettings
from storage.outbox import SqlOutboxStore

if TYPE_CHECKING:
    from cme.bootstrap import App


@dataclass
class DeliveryReport:
    """What one delivery pass did, and where messages went."""

    sent: int = 0
    deferred: int = 0
    failed: int = 0
    target: str = ""
    details: list[dict[str, Any]] = field(default_factory=list)


def sender_for(app: App) -> tuple[SmtpSender | FileSender, str]:
    """The configured gateway, or the demo's folder of .eml files."""
    s = app.settings
    if s.smtp_host:
        domains = frozenset(
            d.strip().lower() for d in s.mail_allowed_domains.split(",") if d.strip()
        )
        smtp = SmtpSettings(
            host=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password,
            tls=s.smtp_tls,
            ca_file=str(s.smtp_ca_file) if s.smtp_ca_file else None,
            mail_from=s.mail_from,
        )
        return SmtpSender(smtp, AllowList(domains)), f"smtp://{s.smtp_host}:{s.smtp_port}"
    return FileSender(s.outbox_dir, s.mail_from), f"{s.outbox_dir}/*.eml (no SMTP configured)"


def deliver(app: App, limit: int = 200) -> DeliveryReport:
    """Send what is due, record each outcome on its case, alert the CMEO of failures."""
    sender, target = sender_for(app)
    dispatcher = Dispatcher(SqlOutboxStore(app.db), sender, app.clock.now)
    report = DeliveryReport(target=target)
    while True:
        run: DispatchReport = dispatcher.dispatch_once(limit)
        for outcome in run.sent:
            app.engine.record(
                outcome.case_id,
                "notification_delivered",
                {
                    "outbox_id": outcome.message_id,
                    "template": outcome.template,
                    "recipient_role": outcome.recipient_role,
                },
                SYSTEM_TIMER,
            )
        for outcome in run.failed:
            alert = () if outcome.template == "delivery_failed" else ("delivery_failed",)
            app.engine.record(
                outcome.case_id,
                "notification_failed",
                {
                    "outbox_id": outcome.message_id,
                    "template": outcome.template,
                    "recipient_role": outcome.recipient_role,
                    "recipient": outcome.recipient,
                    "error": outcome.error or "",
                    "attempts": outcome.attempt,
                },
                SYSTEM_TIMER,
                notify=alert,
            )
        report.sent += len(run.sent)
        report.deferred += len(run.deferred)
        report.failed += len(run.failed)
        report.details += [
            {
                "outbox_id": o.message_id,
                "case_id": o.case_id,
                "template": o.template,
                "status": status,
                "error": o.error,
            }
            for status, group in (
                ("sent", run.sent),
                ("deferred", run.deferred),
                ("failed", run.failed),
            )
            for o in group
        ]
        if run.total < limit:
            return report
