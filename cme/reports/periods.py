"""The periods reports cover, from what a person types: a month, a school or financial year, a
DfE collection term. Each is a span of local (Europe/London) days turned into UTC moments:
`start` inclusive, `end` exclusive; a report is computed as of `end`.

Every parser raises `PeriodInvalid` naming the flag and the rule; a period that has not ended
is refused, so that a report, once it can be made, never changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.clock import local_date, start_of_local_day

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
YEAR = re.compile(r"^(\d{4})$")
SCHOOL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
BASES = ("school", "financial")


class PeriodInvalid(ValueError):
    """A period flag breaks its rule (the message names the flag)."""

    def __init__(self, flag: str, rule: str) -> None:
        super().__init__(f"{flag}: {rule}")
        self.flag = flag


@dataclass(frozen=True, slots=True)
class Period:
    """Local days `first` .. `last` inclusive, and their UTC bounds."""

    label: str
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return start_of_local_day(self.first)

    @property
    def end(self) -> datetime:
        return start_of_local_day(self.last + timedelta(days=1))

    def months(self) -> list[Period]:
        """The calendar months the period covers, in order."""
        found, day = [], self.first.replace(day=1)
        while day <= self.last:
            nxt = _next_month(day)
            found.append(Period(day.strftime("%Y-%m"), day, nxt - timedelta(days=1)))
            day = nxt
        return found

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def ended(period: Period, now: datetime, flag: str) -> Period:
    """`period` if it has ended by `now`, else refused."""
    if period.end > now:
        raise PeriodInvalid(
            flag,
            f"{period.label} has not ended yet (today is {local_date(now).isoformat()}); a "
            "report covers a complete period so that it never changes",
        )
    return period


def month(text: str, now: datetime) -> Period:
    """`--month YYYY-MM`."""
    found = MONTH.match(text.strip())
    if not found or not 1 <= int(found[2]) <= 12 or int(found[1]) < 2000:
        raise PeriodInvalid("--month", f"must be a month as YYYY-MM, e.g. 2025-11 (got {text!r})")
    first = date(int(found[1]), int(found[2]), 1)
    return ended(
        Period(text.strip(), first, _next_month(first) - timedelta(days=1)), now, "--month"
    )


def year(text: str, basis: str, now: datetime) -> Period:
    """`--year YYYY --basis school|financial`: Sep YYYY - Aug YYYY+1, or Apr YYYY - Mar YYYY+1."""
    if basis not in BASES:
        raise PeriodInvalid("--basis", f"must be one of {', '.join(BASES)} (got {basis!r})")
    found = YEAR.match(text.strip())
    if not found or int(found[1]) < 2000:
        raise PeriodInvalid("--year", f"must be a year as YYYY, e.g. 2025 (got {text!r})")
    y = int(found[1])
    if basis == "school":
        period = Period(f"{y}/{(y + 1) % 100:02d} school year", date(y, 9, 1), date(y + 1, 8, 31))
    else:
        period = Period(
            f"{y}/{(y + 1) % 100:02d} financial year", date(y, 4, 1), date(y + 1, 3, 31)
        )
    return ended(period, now, "--year")


def collection_year(text: str) -> str:
    """`--year YYYY/YY` of the DfE return."""
    found = SCHOOL_YEAR.match(text.strip())
    if not found or (int(found[1]) + 1) % 100 != int(found[2]):
        raise PeriodInvalid(
            "--year", f"must be a school year as YYYY/YY, e.g. 2025/26 (got {text!r})"
        )
    return text.strip()


def day(text: str, flag: str) -> date:
    """A date flag, YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodInvalid(flag, f"must be a date as YYYY-MM-DD (got {text!r})") from None


def moment(text: str, flag: str) -> datetime:
    """A moment flag: an ISO date-time with its offset, or a date (its local midnight)."""
    raw = text.strip()
    if len(raw) == 10:
        return start_of_local_day(day(raw, flag))
    try:
        found = datetime.fromisoformat(raw)
    except ValueError:
        found = None
    if found is None or found.tzinfo is None:
        raise PeriodInvalid(
            flag,
            f"must be a date (YYYY-MM-DD) or a date-time with its offset, e.g. "
            f"2025-11-30T17:00:00+00:00 (got {text!r})",
        )
    return found
