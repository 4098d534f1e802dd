"""No statutory decision on a provisional count (LAW.md, "School days").

Where no term dates are loaded for a day, the calendar counts weekdays less bank holidays and
marks the count provisional. Reminders may run on such a count (saying so); a removal from roll
may not: reg 9(1)(h) and (i) of the 2024 regulations count *school* days, and a weekday in a
half term is not one. This guard refuses the removal while any day its ground counts has no term
dates, naming the school year and the command that loads them.
"""

from __future__ import annotations

from datetime import date, timedelta

from engine.calendar import school_year_label
from engine.clock import local_date
from engine.ports import GuardContext, WorkingCalendar
from workflows.regulations import absence_ground, leave_ground
from workflows.rules import RULES

ABSENCE_DAYS = 20
"""reg 9(1)(i): continuous unauthorised absence of not less than 20 school days."""
LEAVE_DAYS = 10
"""reg 9(1)(h): did not return within the 10 school days after leave of absence ended."""


def counted_range(calendar: WorkingCalendar, after: date, days: int) -> tuple[date, date]:
    """The days a ground counts: from the day after `after` to the first day removal is
    allowed (the school day after day `days`), both inclusive."""
    last = calendar.add_school_days(after, days)
    allowed = calendar.add_school_days(last.day, 1)
    return after + timedelta(days=1), allowed.day


def fix_command(context: GuardContext) -> str:
    """The command that loads term dates for the case's school (or the authority's file)."""
    school = context.case.facts.get("school") or {}
    school_id = school.get("id") if isinstance(school, dict) else None
    feed = f"`cme calendar import FILE --school {school_id or 'ID'}`"
    return (
        f"load them with {feed} (the school's term dates as an ICS file) or add them to the "
        "authority's calendar file (CME_CALENDAR), then try again"
    )


def _uncounted(
    context: GuardContext, clause: str, what: str, after: date, days: int
) -> str | None:
    first, last = counted_range(context.calendar, after, days)
    years = context.calendar.uncovered_school_years(first, last)
    if not years:
        return None
    labels = " and ".join(school_year_label(y) for y in years)
    return (
        f"{clause}: the {days} school days {what} cannot be counted: no term dates are loaded "
        f"for {labels}, and no removal from roll may rest on weekdays counted in their place "
        f"(the count runs {first.isoformat()} to {last.isoformat()}); {fix_command(context)}"
    )


def _ground_i(context: GuardContext, today: date) -> str | None:
    first = context.case.facts.get("first_absence_date")
    if not first:
        return None  # removal_ground_met says the date is missing
    start = date.fromisoformat(first)
    return _uncounted(
        context,
        absence_ground(today).clause,
        f"of absence from {start.isoformat()}",
        start - timedelta(days=1),
        ABSENCE_DAYS,
    )


def _ground_h(context: GuardContext, today: date) -> str | None:
    ended = context.case.facts.get("leave_end_date")
    if not ended:
        return None
    end = date.fromisoformat(ended)
    return _uncounted(
        context,
        leave_ground(today).clause,
        f"after agreed leave ended ({end.isoformat()})",
        end,
        LEAVE_DAYS,
    )


@RULES.guard("school_days_on_term_dates")
def school_days_on_term_dates(context: GuardContext) -> str | None:
    """The school days a removal ground counts all have loaded term dates (LAW.md)."""
    today = local_date(context.now)
    chosen = context.evidence.get("removal_ground")
    if chosen == "i":
        return _ground_i(context, today)
    if chosen == "h":
        return _ground_h(context, today)
    if chosen is not None:
        return None  # a ground that counts no school days
    # No ground chosen yet (the actions list): blocked only when every dated ground is.
    reasons = []
    if context.case.facts.get("first_absence_date"):
        reasons.append(_ground_i(context, today))
    if context.case.facts.get("leave_end_date"):
        reasons.append(_ground_h(context, today))
    if not reasons or any(r is None for r in reasons):
        return None
    return "; or ".join(r for r in reasons if r)
