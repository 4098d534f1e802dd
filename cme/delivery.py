"""Delivering the outbox: SMTP over TLS when configured, else `.eml` files in `var/outbox/`.

Each outcome is recorded on its case as an event (`notification_delivered`,
`notification_failed`); a message given up on raises a `delivery_failed` alert to the CMEO.
The alert cannot loop: a failed `delivery_failed` message is recorded on its case but raises no
further alert, and an alert that cannot even be rendered is left out (the failure is still
recorded, and the report says so).

`cme tick` and the scheduler call `deliver(app)` after firing due timers. Racing deliverers are
safe: the outbox store claims rows atomically (storage/outbox.py), and an event recorded on a
case another deliverer just changed is simply recorded again on the new head.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine import SYSTEM_TIMER, ConcurrentUpdate
from notifications.dispatch import DeliveryOutcome, Dispatcher, DispatchReport
from notifications.errors import NotificationError
from notifications.recipients import AllowList
from notifications.smtp import FileSender, SmtpSender, SmtpSettings
from storage.outbox import SqlOutboxStore

if TYPE_CHECKING:
    from cme.bootstrap import App

log = logging.getLogger(__name__)

ALERT = "delivery_failed"
"""The template that tells the CMEO a message was given up on."""

BATCH = 20
"""Messages claimed at a time: few enough to be sent well within the outbox lease (10 min)."""

RECORD_ATTEMPTS = 20
"""How often to re-record an outcome event when other writers keep moving the case on."""


@dataclass
class DeliveryReport:
    """What one delivery pass did, and where messages went.

    Attributes:
        sent: messages the gateway (or the folder) accepted.
        deferred: messages that failed for now and will be retried.
        failed: messages given up on (each recorded on its case, the CMEO alerted).
        target: where messages went (`smtp://host:port`, or the `.eml` folder).
        details: one entry per message handled: outbox id, case, template, status, error.
        alerts_not_queued: failures whose CMEO alert could not be queued, with the reason.
    """

    sent: int = 0
    deferred: int = 0
    failed: int = 0
    target: str = ""
    details: list[dict[str, Any]] = field(default_factory=list)
    alerts_not_queued: list[dict[str, Any]] = field(default_factory=list)


def allowed_domains(app: App) -> frozenset[str]:
    """`CME_MAIL_ALLOWED_DOMAINS` as a set of lower-case domains."""
    raw = app.settings.mail_allowed_domains
    return frozenset(d.strip().lower() for d in raw.split(",") if d.strip())


def sender_for(app: App) -> tuple[SmtpSender | FileSender, str]:
    """The configured gateway, or the demo's folder of .eml files."""
    s = app.settings
    if s.smtp_host:
        smtp = SmtpSettings(
            host=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password,
            tls=s.smtp_tls,
            ca_file=str(s.smtp_ca_file) if s.smtp_ca_file else None,
            mail_from=s.mail_from,
        )
        sender = SmtpSender(smtp, AllowList(allowed_domains(app)))
        return sender, f"smtp://{s.smtp_host}:{s.smtp_port}"
    return FileSender(s.outbox_dir, s.mail_from), f"{s.outbox_dir}/*.eml (no SMTP configured)"


def deliver(app: App, batch: int = BATCH, store: SqlOutboxStore | None = None) -> DeliveryReport:
    """Send everything due, `batch` at a time, record each outcome on its case, and alert
    the CMEO of failures. Returns when a claim comes back short (nothing more is due)."""
    if batch < 1:
        raise ValueError("deliver needs a batch of at least one message")
    sender, target = sender_for(app)
    dispatcher = Dispatcher(store or SqlOutboxStore(app.db), sender, app.clock.now)
    report = DeliveryReport(target=target)
    while True:
        run: DispatchReport = dispatcher.dispatch_once(batch)
        for outcome in run.sent:
            _record(
                app,
                outcome.case_id,
                "notification_delivered",
                {
                    "outbox_id": outcome.message_id,
                    "template": outcome.template,
                    "recipient_role": outcome.recipient_role,
                    "attempts": outcome.attempt,
                },
            )
        for outcome in run.deferred:
            _record(
                app,
                outcome.case_id,
                "notification_deferred",
                {
                    "outbox_id": outcome.message_id,
                    "template": outcome.template,
                    "recipient_role": outcome.recipient_role,
                    "attempts": outcome.attempt,
                    "error": outcome.error or "",
                    "next_attempt_at": outcome.next_attempt_at.isoformat()
                    if outcome.next_attempt_at
                    else None,
                },
            )
        for outcome in run.failed:
            _record_failure(app, outcome, report)
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
                "next_attempt_at": o.next_attempt_at,
            }
            for status, group in (
                ("sent", run.sent),
                ("deferred", run.deferred),
                ("failed", run.failed),
            )
            for o in group
        ]
        if run.total < batch:
            return report


def _record_failure(app: App, outcome: DeliveryOutcome, report: DeliveryReport) -> None:
    """`notification_failed` on the case, with a CMEO alert unless the failed message was
    itself an alert (an alert about an alert would fail the same way, for ever)."""
    evidence = {
        "outbox_id": outcome.message_id,
        "template": outcome.template,
        "recipient_role": outcome.recipient_role,
        "recipient": outcome.recipient,
        "error": outcome.error or "",
        "attempts": outcome.attempt,
    }
    alert: tuple[str, ...] = () if outcome.template == ALERT else (ALERT,)
    try:
        _record(app, outcome.case_id, "notification_failed", evidence, alert)
    except NotificationError as exc:
        # The alert could not be rendered: still record the failure, without the alert.
        log.error("%s: the %s alert could not be queued: %s", outcome.case_ref, ALERT, exc)
        report.alerts_not_queued.append(
            {"outbox_id": outcome.message_id, "case_id": outcome.case_id, "reason": str(exc)}
        )
        _record(app, outcome.case_id, "notification_failed", evidence)


def _record(
    app: App,
    case_id: int,
    kind: str,
    evidence: Mapping[str, Any],
    notify: Sequence[str] = (),
) -> None:
    """Record a system event, again on the new head when another writer moved the case."""
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            app.engine.record(case_id, kind, evidence, SYSTEM_TIMER, notify=notify)
            return
        except ConcurrentUpdate:
            if attempt == RECORD_ATTEMPTS:
                raise
