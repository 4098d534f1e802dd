"""Deadlines in words, for every door (the web queue and MASH view; the CLI could print the
same): "MASH acknowledgement overdue by 1 working day", "CTF upload due Mon 17 Nov".

Days overdue are counted in working days (weekdays less England's bank holidays) from the
day after the due date to today, in local (Europe/London) dates from the app's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.ports import DueDate, TimerRecord

SHORT_NAMES = {
    "mash_acknowledgement": "MASH acknowledgement",
    "mash_acknowledgement_again": "MASH acknowledgement of the re-sent escalation",
    "mash_decision_review": "MASH decision",
    "ctf_upload_due": "CTF upload",
    "tracking_review": "Tracking review",
    "la_confirmation": "Other authority's confirmation",
    "la_confirmation_again": "Other authority's answer to the chase",
    "case_stalled": "Next step",
    "missing_four_weeks": "Four-week notice to the CMEO",
}
"""Deadline id -> what is awaited, in a few words (else the deadline's title)."""


@dataclass(frozen=True, slots=True)
class DeadlineWords:
    """A deadline in words, and whether it has passed (a page shows it red)."""

    text: str
    overdue: bool
    due_on: date
    provisional: bool


def day_words(day: date) -> str:
    """`Mon 17 Nov` (with the year when it is not `today`'s year is the caller's choice)."""
    return f"{day:%a} {day.day} {day:%b}"


def working_days_after(due: date, today: date) -> int:
    """Working days from the day after `due` up to and including `today` (0 if not after).

    Counted, not walked: whole weeks give five each, the days left over are looked at one by
    one, then the bank holidays on a weekday in the range come off (a deadline a year overdue
    cost a page 400 look-ups a row)."""
    from engine.school_years import bank_holidays

    if today <= due:
        return 0
    first = due + timedelta(days=1)
    weeks, rest = divmod((today - first).days + 1, 7)
    count = weeks * 5 + sum(1 for i in range(rest) if (first.weekday() + i) % 7 < 5)
    for year in range(first.year, today.year + 1):
        count -= sum(1 for d in bank_holidays(year) if first <= d <= today and d.weekday() < 5)
    return count


def deadline_words(timer: TimerRecord, now: datetime) -> DeadlineWords:
    """The deadline as a caseworker reads it, at `now`."""
    from engine.clock import local_date
    from engine.provenance import Provenance

    p = Provenance.from_dict(timer.provenance)
    name = SHORT_NAMES.get(timer.name) or (p.title if "title" in p.present else timer.name)
    due_on = local_date(timer.due_at)
    today = local_date(now)
    provisional = bool(p.provisional)
    mark = " (provisional)" if provisional else ""
    if timer.due_at <= now:
        days = working_days_after(due_on, today)
        if days == 0:
            text = f"{name} overdue since today"
        else:
            text = f"{name} overdue by {days} working day{'' if days == 1 else 's'}"
        return DeadlineWords(text + mark, True, due_on, provisional)
    when = "today" if due_on == today else day_words(due_on)
    return DeadlineWords(f"{name} due {when}{mark}", False, due_on, provisional)


def removal_words(allowed: DueDate, today: date) -> DeadlineWords | None:
    """The school-day rule for removal from roll, as a caseworker reads it in a list: "Removal
    not before Mon 17 Nov" (a bound: the step's other rules, enquiries over four weeks or a
    concern, may still refuse it; the case page lists them), or "Removal date not known (no
    term dates)" when the count rests on days with no term dates, on which no removal may rest.
    None once the day has come: the row then promises nothing."""
    if allowed.provisional:
        return DeadlineWords("Removal date not known (no term dates)", False, allowed.day, True)
    if allowed.day <= today:
        return None
    return DeadlineWords(f"Removal not before {day_words(allowed.day)}", False, allowed.day, False)
