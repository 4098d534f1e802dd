"""The scheduler service: APScheduler (3.x, in-process) runs one interval job that fires due
timers and delivers the outbox. The timers table is the source of truth: the job store is in
memory and holds one job, so a restart loses nothing (LIBRARIES.md §2.3).
"""

from __future__ import annotations

import logging
import signal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cme.bootstrap import App

log = logging.getLogger("cme.scheduler")


def _say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - the service reports on stdout, line by line


def one_pass(app: App) -> dict[str, Any]:
    """Reconcile delivery outcomes, fire what is due, deliver, and report the messages that
    have no address; return the figures (also what `cme tick` prints)."""
    from cme.delivery import deliver
    from cme.escalation import failed_escalations
    from cme.outcomes import reconcile, unaddressed
    from cme.services.principal import SCHEDULER
    from cme.services.tick import fire_due
    from engine.ports import case_ref

    reconciled = reconcile(app)
    fired = fire_due(app, SCHEDULER)
    sent = deliver(app)
    from cme.services.report_mail import run as report_mail

    # issue 16: the monthly report, the DfE return reminder (when CME_REPORT_MAIL is true)
    reports_mailed: dict[str, Any] = (
        report_mail(app, SCHEDULER)
        if app.settings.report_mail
        else {"queued": 0, "sent": 0, "failed": 0, "unaddressed": []}
    )
    missing = unaddressed(app)
    mash_failed = [case_ref(case_id) for case_id in failed_escalations(app)]
    unsent = bool(sent.sent) and not app.settings.smtp_host and not app.settings.mail_files_only
    result = {
        "fired": fired.fired,
        "void": fired.void,
        "reminders": fired.reminders,
        "conflicts": fired.conflicts,
        "sent": sent.sent,
        "deferred": sent.deferred,
        "failed": sent.failed,
        "delivered_to": sent.target,
        "reconciled": reconciled,
        "unaddressed": [m.as_json() for m in missing],
        "mash_undelivered": mash_failed,
        "written_to_files_only": unsent,
        "report_mail": reports_mailed,
    }
    _say(
        f"tick: fired {fired.fired}, void {fired.void}, conflicts {fired.conflicts}; mail: sent "
        f"{sent.sent}, deferred {sent.deferred}, failed {sent.failed} -> {sent.target}"
    )
    if reports_mailed["queued"] or reports_mailed["sent"] or reports_mailed["failed"]:
        _say(
            f"reports: queued {reports_mailed['queued']}, sent {reports_mailed['sent']}, "
            f"failed {reports_mailed['failed']}"
        )
    for line in reports_mailed["unaddressed"]:
        _say(f"REPORT NOT ADDRESSED: {line}")
    if reconciled:
        _say(f"reconciled: {len(reconciled)} delivery outcomes recorded on their cases")
    for m in missing:
        log.error("notifications not addressed: %s", m.line())
        _say(f"NOT ADDRESSED: {m.line()}")
    if missing:
        _say(
            "Set the address named, then `cme outbox retry ID` for each message "
            "(see README, Configuration required for safe operation)."
        )
    for ref in mash_failed:
        log.error("MASH escalation not delivered: %s", ref)
        _say(
            f"MASH NOT TOLD: the escalation of {ref} failed (`cme outbox list --status failed`): "
            "fix the cause, then `cme outbox retry ID`, and telephone MASH meanwhile"
        )
    if unsent:
        log.error("mail written to files only: no CME_SMTP_HOST")
        _say(
            f"MAIL NOT SENT: {sent.sent} message(s) were written to {sent.target}, not sent: set "
            "CME_SMTP_HOST (or CME_MAIL_FILES_ONLY=true on a demonstration or test system)"
        )
    return result


def refuse_to_start(app: App) -> list[str]:
    """Why the scheduler must not run: no MASH or no CMEO address (a concern would reach
    nobody, and nobody would be told)."""
    from cme.readiness import ROLE_VARIABLES

    s = app.settings
    problems = [
        f"no address configured for role {role} (set {ROLE_VARIABLES[role]})"
        for role, value in (("mash", s.mash_email), ("cmeo", s.cmeo_email))
        if not value
    ]
    if not s.smtp_host and not s.mail_files_only:
        problems.append(
            "no mail server (CME_SMTP_HOST is not set): MASH escalations would only be written "
            "to files that nobody reads; set CME_SMTP_HOST, or CME_MAIL_FILES_ONLY=true to "
            "declare a files-only install (a demo, a test)"
        )
    return problems


def checkpoint(app: App) -> None:
    """Sign the head of every audit chain (daily), when a signing key is configured; a key
    that cannot be used is logged as an error and nothing is signed (the job keeps running)."""
    from cme.audit_keys import BadKey, key_id, load_private_key
    from cme.services.principal import SCHEDULER
    from cme.services.tick import checkpoint as sign_heads

    try:
        key = load_private_key(app.settings.audit_key_file)
    except BadKey as exc:
        log.error("checkpoint not signed: %s", exc)
        _say(f"CHECKPOINT NOT SIGNED: {exc}")
        return
    if key is None:
        return
    result = sign_heads(app, SCHEDULER, key_id(key.public_key()), key.sign)
    _say(f"checkpoint: {result['cases']} chains signed")


def _scheduled(scheduler: Any, app: App, tick_seconds: int) -> Any:
    """`scheduler` with cme's jobs, after deadlines are re-projected for any calendar change
    made while no scheduler ran: the pass every `tick_seconds` (the first at once: catch-up)
    and, issue 5, a signed checkpoint of every chain each night (skipped with no key)."""
    moved = app.engine.reproject("calendar changed while the scheduler was stopped")
    if moved.moved:
        _say(f"re-projected {len(moved.moved)} deadlines on {moved.cases} cases")
    scheduler.add_job(
        one_pass,
        "interval",
        args=[app],
        seconds=tick_seconds,
        next_run_time=app.clock.now(),
        id="tick",
    )
    scheduler.add_job(
        checkpoint, "cron", args=[app], hour=2, minute=0, timezone="Europe/London", id="checkpoint"
    )
    return scheduler


JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def run(app: App, tick_seconds: int) -> None:
    """Block, passing every `tick_seconds`; the first pass runs at once (catch-up)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = _scheduled(BlockingScheduler(job_defaults=JOB_DEFAULTS), app, tick_seconds)

    def stop(*_: Any) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    _say(f"scheduler: every {tick_seconds}s on {app.settings.database_url.split('@')[-1]}")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


def start_in_background(app: App, tick_seconds: int) -> Any:
    """Start the same jobs as `run` on a background thread (`cme serve`: the web server owns
    the main thread and its signals); returns the scheduler, to `shutdown()` at exit."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = _scheduled(BackgroundScheduler(job_defaults=JOB_DEFAULTS), app, tick_seconds)
    scheduler.start()
    _say(f"scheduler: every {tick_seconds}s, in the web server's process")
    return scheduler
