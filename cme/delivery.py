"""Delivering the outbox: SMTP over TLS when configured, else `.eml` files in `var/outbox/`.

Each outcome is recorded on its case as an event (`notification_delivered`,
`notification_failed`), in the same transaction as the row's new status; a message given up on
raises a `delivery_failed` alert to the CMEO (to the service manager when the CMEO has no
address).
The alert cannot loop: a failed `delivery_failed` message is recorded on its case but raises no
further alert, and an alert that cannot even be rendered is left out (the failure is still
recorded, and the report says so).

`cme tick` and the scheduler call `deliver(app)` after firing due timers. Racing deliverers are
safe: the outbox store claims rows atomically (storage/outbox.py), and an event recorded on a
case another deliverer just changed is simply recorded again on the new head.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine import SYSTEM_TIMER, ConcurrentUpdate
from engine.ports import case_ref
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
    the CMEO of failures. Returns when a claim comes back short (nothing more is due).

    Each outcome's status and its case event (with the CMEO's alert for a failure) are
    committed in one transaction (`_settle`), so a crash cannot keep one without the other."""
    if batch < 1:
        raise ValueError("deliver needs a batch of at least one message")
    sender, target = sender_for(app)
    outbox = store or SqlOutboxStore(app.db)
    report = DeliveryReport(target=target)
    dispatcher = Dispatcher(
        outbox, sender, app.clock.now, settle=lambda o: _settle(app, outbox, o, report)
    )
    while True:
        run: DispatchReport = dispatcher.dispatch_once(batch)
        report.sent += len(run.sent)
        report.deferred += len(run.deferred)
        report.failed += len(run.failed)
        report.details += [
            {
                "outbox_id": o.message_id,
                "case_id": o.case_id,
                "template": o.template,
                "status": o.status,
                "error": o.error,
                "next_attempt_at": o.next_attempt_at,
            }
            for o in (*run.sent, *run.deferred, *run.failed)
        ]
        if run.total < batch:
            return report


class ClaimLost(Exception):
    """The row's claim ran out and another deliverer took it: record nothing."""


def outcome_evidence(outcome: DeliveryOutcome) -> tuple[str, dict[str, Any]]:
    """The event kind and evidence recording an outcome on its case."""
    evidence: dict[str, Any] = {
        "outbox_id": outcome.message_id,
        "template": outcome.template,
        "recipient_role": outcome.recipient_role,
    }
    if outcome.status == "sent":
        return "notification_delivered", {**evidence, "attempts": outcome.attempt}
    if outcome.status == "deferred":
        return "notification_deferred", {
            **evidence,
            "attempts": outcome.attempt,
            "error": outcome.error or "",
            "next_attempt_at": outcome.next_attempt_at.isoformat()
            if outcome.next_attempt_at
            else None,
        }
    return "notification_failed", {
        **evidence,
        "recipient": outcome.recipient,
        "error": outcome.error or "",
        "attempts": outcome.attempt,
    }


def _settle(
    app: App, outbox: SqlOutboxStore, outcome: DeliveryOutcome, report: DeliveryReport
) -> None:
    """The row's new status and its case event (and, for a failure, the CMEO's alert), in
    one transaction. Nothing is written if the claim on the row was lost meanwhile."""
    from storage.unit_of_work import SqlUnitOfWork

    def mark(uow: object) -> None:
        assert isinstance(uow, SqlUnitOfWork)  # noqa: S101 - the app's unit of work
        marked = outbox.settle(
            uow.c,
            outcome.message_id,
            outcome.status,
            outcome.at,
            outcome.error,
            outcome.next_attempt_at,
        )
        if not marked:
            raise ClaimLost

    kind, evidence = outcome_evidence(outcome)
    try:
        record_outcome(app, outcome.case_id, kind, evidence, outcome.template, report, mark)
    except ClaimLost:
        pass  # SqlOutboxStore logged it; the deliverer that holds the row records its outcome
    finally:
        outbox.release(outcome.message_id)


def record_outcome(
    app: App,
    case_id: int,
    kind: str,
    evidence: Mapping[str, Any],
    template: str,
    report: DeliveryReport,
    within: Callable[[Any], None] | None = None,
) -> None:
    """Record an outcome event; a `notification_failed` one with the CMEO's alert unless the
    failed message was itself an alert (an alert about an alert would fail the same way, for
    ever). An alert that cannot be rendered is left out: the failure is still recorded, and the
    report says so."""
    alert: tuple[str, ...] = (
        (ALERT,) if kind == "notification_failed" and template != ALERT else ()
    )
    try:
        _record(app, case_id, kind, evidence, alert, within)
    except NotificationError as exc:
        if not alert:
            raise
        log.error("%s: the %s alert could not be queued: %s", case_ref(case_id), ALERT, exc)
        report.alerts_not_queued.append(
            {"outbox_id": evidence.get("outbox_id"), "case_id": case_id, "reason": str(exc)}
        )
        _record(app, case_id, kind, evidence, (), within)


def _record(
    app: App,
    case_id: int,
    kind: str,
    evidence: Mapping[str, Any],
    notify: Sequence[str] = (),
    within: Callable[[Any], None] | None = None,
) -> None:
    """Record a system event, again on the new head when another writer moved the case."""
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            app.engine.record(case_id, kind, evidence, SYSTEM_TIMER, notify=notify, within=within)
            return
        except ConcurrentUpdate:
            if attempt == RECORD_ATTEMPTS:
                raise
