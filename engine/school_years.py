"""England bank holidays (`holidays.UK(subdiv="ENG")`) and school years (1 Aug-31 Jul)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

_ONE_DAY = timedelta(days=1)


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    # One frozen set per year: a set lookup is far cheaper than the holidays object's own
    # __contains__, and freezing it keeps a year's answer fixed for the life of the process.
    # `country_holidays("GB", subdiv="ENG")` is `holidays.UK(subdiv="ENG")`, typed for mypy.
    # Imported here, on the first date counted: reading a case counts none (`cme case show`).
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def bank_holidays(year: int) -> frozenset[date]:
    """England's bank holidays in `year` (a weekend date later substituted included)."""
    return _bank_holidays(year)


def is_bank_holiday(day: date) -> bool:
    """Whether `day` is an England bank holiday (including a weekend date later substituted).

    Args:
        day: The date to test.

    Returns:
        True for a date in the `holidays` package's England list for that year.
    """
    return day in _bank_holidays(day.year)


def _is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def school_year(day: date) -> int:
    """The English school year (1 Aug-31 Jul) a date falls in, as the year it starts.

    Args:
        day: Any date.

    Returns:
        2025 for every date from 2025-08-01 to 2026-07-31.
    """
    return day.year if day.month >= 8 else day.year - 1


def school_year_label(year: int) -> str:
    """`2026/27` for the school year starting in August 2026.

    Args:
        year: The calendar year the school year starts in.

    Returns:
        The label used in term-date publications and provisional reasons.
    """
    return f"{year}/{(year + 1) % 100:02d}"
