"""Time as an input. The only module allowed to read the wall clock.

Engine code asks a `Clock` for `now()`; production passes `SystemClock`, tests pass
`engine.testing.FakeClock`. Every time the engine handles is an aware UTC datetime.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from engine.errors import ContractBroken

LOCAL_ZONE = ZoneInfo("Europe/London")
"""Deadlines are counted on the local (Europe/London) date; times are stored in UTC."""

START_OF_DAY = time(0, 0)
"""School-day and calendar-day deadlines fall due at the start of their local day."""
WORKING_DAY_STARTS = time(9, 0)
"""A working day begins at 09:00 local time: "1 working day from sending" falls due at 09:00 on
the next working day (PROCESS.md chart 2 step 9, "by 09:00 plus one working day"). The default
of `EngineSettings.working_day_starts` (`CME_WORKING_DAY_STARTS`)."""


class Clock(Protocol):
    """Source of the current time."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC)


@lru_cache(maxsize=4096)
def local_date(moment: datetime) -> date:
    """The Europe/London calendar date of an aware moment (kept per moment: a batch asks for
    the same `now` again and again)."""
    return moment.astimezone(LOCAL_ZONE).date()


@lru_cache(maxsize=4096)
def start_of_local_day(day: date) -> datetime:
    """Midnight at the start of `day` in Europe/London, as aware UTC (kept per day: a batch of
    deadlines falls on a handful of days)."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_ZONE).astimezone(UTC)


def due_moment(day: date, at: time = START_OF_DAY) -> datetime:
    """A deadline counted to `day` falls due at local time `at` on that day, as aware UTC.

    A deadline "20 school days from X" is reached on the morning of that school day, so the
    timer fires at 00:00 Europe/London on it (the scheduler's next tick after midnight). A
    working-day deadline falls due when the working day begins (`WORKING_DAY_STARTS`), so
    09:00 is 09:00 GMT in winter and 09:00 BST (08:00 UTC) in summer.
    """
    if at == START_OF_DAY:
        return start_of_local_day(day)
    return datetime.combine(day, at, tzinfo=LOCAL_ZONE).astimezone(UTC)


def utc(moment: datetime) -> datetime:
    """Normalise an aware datetime to UTC; refuse a naive one (it would be a guess)."""
    if moment.tzinfo is None:
        raise ContractBroken("naive datetime: the engine only handles aware times")
    return moment.astimezone(UTC)


ONE_DAY = timedelta(days=1)
