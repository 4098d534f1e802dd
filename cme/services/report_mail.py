"""Reports on a schedule, for the scheduler's pass (`cme tick`, `cme scheduler`):

- on the first school day of a month (or the first pass after it, if the scheduler was down),
  last month's monthly report goes to the service manager (`CME_MANAGER_EMAIL`): the HTML
  report with its charts, and its Markdown as the text part. It holds no personal data.
- ten school days before each DfE return deadline (`workflows/dfe/cme-return.yaml`), and on
  each pass until the deadline, the CMEO (`CME_CMEO_EMAIL`) is reminded once: the term, the
  census day, the deadline and the command that makes the return.

Each message is queued once per report, period and recipient (`storage.report_mail`) and sent
through the authority's gateway by the same sender as every notification (TLS, the domain
allow-list); a temporary failure is tried again on the next pass. The outbox proper holds
case messages only (each is tied to a case's chain), so these have their own table.

A missing address is not a silent skip: the pass reports it (`unaddressed`) and logs an error.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from engine.ports import WorkingCalendar

log = logging.getLogger("cme.reports")
MONTHLY, REMINDER = "monthly_report", "dfe_return_reminder"
REMIND_SCHOOL_DAYS = 10


def first_school_day(calendar: WorkingCalendar, month_of: date) -> date:
    """The first school day of `month_of`'s month (its first weekday if the calendar has none)."""
    day = month_of.replace(day=1)
    for _ in range(31):
        if calendar.is_school_day(day):
            return day
        day += timedelta(days=1)
    return month_of.replace(day=1)


def reminder_day(calendar: WorkingCalendar, deadline: date) -> date:
    """The day with `REMIND_SCHOOL_DAYS` school days after it up to the deadline."""
    day = deadline
    while calendar.count_school_days(day, deadline) < REMIND_SCHOOL_DAYS:
        day -= timedelta(days=1)
    return day


def queue_due(app: App, principal: Principal) -> dict[str, Any]:
    """Queue what is due today (nothing twice); say what had no address."""
    from cme.reports.render import render
    from cme.services import reports
    from engine.clock import local_date
    from storage.report_mail import is_queued, queue
    from workflows.dfe_return import load_returns

    authorize(app, principal, "report.monthly", what="send the scheduled reports")
    now = app.clock.now()
    today = local_date(now)
    calendar = app.calendars.for_school(None)
    queued, unaddressed = 0, []
    if today >= first_school_day(calendar, today):
        last = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        manager = app.settings.manager_email
        if manager is None:
            unaddressed.append(f"{MONTHLY} {last}: no manager address (CME_MANAGER_EMAIL)")
        elif not is_queued(app.db, MONTHLY, last, str(manager)):
            doc = reports.monthly(app, principal, last)
            row = {
                "recipient": str(manager),
                "subject": f"CME monthly service performance report: {last}",
                "body_text": render(doc, "md"),
                "body_html": render(doc, "html"),
            }
            queued += queue(app.db, now, MONTHLY, last, [row])
    for year, collection in load_returns().items():
        for term, deadline in collection.deadlines.items():
            if not reminder_day(calendar, deadline) <= today <= deadline:
                continue
            period = f"{term} {year}"
            cmeo = app.settings.cmeo_email
            if cmeo is None:
                unaddressed.append(f"{REMINDER} {period}: no CMEO address (CME_CMEO_EMAIL)")
                continue
            census = collection.census_dates[term]
            command = f"cme report dfe-return --term {term} --year {year} --format csv"
            text = (
                f"The DfE's termly children-missing-education return for {period} is due on "
                f"{deadline.isoformat()} (census day {census.isoformat()}).\n\n"
                f"Make it with:\n\n    {command}\n\n"
                "and check the cases it lists without a primary reason for CME first "
                "(`cme case reason CASE --reason CODE`).\n"
            )
            html = "".join(f"<p>{line}</p>" for line in text.split("\n\n") if line.strip())
            row = {
                "recipient": str(cmeo),
                "subject": f"DfE CME return due {deadline.isoformat()}: {period}",
                "body_text": text,
                "body_html": html,
            }
            queued += queue(app.db, now, REMINDER, period, [row])
    for line in unaddressed:
        log.error("report mail not addressed: %s", line)
    return {"queued": queued, "unaddressed": unaddressed}


def send_queued(app: App) -> dict[str, int]:
    """Send every queued report message; record each outcome."""
    from cme.delivery import sender_for
    from engine.ports import OutboxMessage
    from notifications.errors import DeliveryError, PermanentDeliveryError
    from storage.report_mail import MAX_ATTEMPTS, pending, settle

    sender, _ = sender_for(app)
    sent = failed = 0
    for row in pending(app.db):
        message = OutboxMessage(
            case_id=0,
            event_seq=0,
            template=row["kind"],
            recipient_role="manager" if row["kind"] == MONTHLY else "cmeo",
            recipient=row["recipient"],
            subject=row["subject"],
            body_text=row["body_text"],
            body_html=row["body_html"],
            created_at=row["created_at"],
            id=row["id"],
        )
        now = app.clock.now()
        try:
            sender.send(message)
        except DeliveryError as exc:
            final = isinstance(exc, PermanentDeliveryError) or row["attempts"] + 1 >= MAX_ATTEMPTS
            settle(app.db, row["id"], now, exc.reason, final)
            log.error("report mail %s (%s) not sent: %s", row["id"], row["kind"], exc.reason)
            failed += 1
            continue
        settle(app.db, row["id"], now, None, False)
        sent += 1
    return {"sent": sent, "failed": failed}


def run(app: App, principal: Principal) -> dict[str, Any]:
    """The scheduler's step: queue what is due, then send what is queued."""
    return queue_due(app, principal) | send_queued(app)
