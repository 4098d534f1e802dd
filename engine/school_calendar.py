"""One school's (or the authority's) calendar: counting school and working days.

Coverage and the provisional fallback. A break between two loaded terms of the same or of
consecutive school years (half terms, Christmas, Easter, summer) is a holiday: no school days.
Any other date outside the terms - before the first term, after the last, or inside a run of
school years (1 Aug-31 Jul) with no term loaded - has no term dates at all. The calendar never
invents them: counting over such dates counts weekdays less bank holidays instead and marks the
result provisional, with a reason naming the first school year whose term dates are missing
("no term dates loaded for 2026/27"). `covers()` tells the two kinds of date apart.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from engine.errors import CalendarInvalid, ContractBroken
from engine.ports import DueDate
from engine.school_years import _is_working_day, school_year, school_year_label

_ONE_DAY = timedelta(days=1)


# --- values ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermRange:
    """A term, or part of a term between half terms: an inclusive range of dates."""

    start: date
    end: date
    name: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise CalendarInvalid(
                f"term {self.name or self.start} ends ({self.end}) before it starts ({self.start})"
            )


@dataclass(frozen=True, slots=True)
class SchoolOverride:
    """A school's own dates. `None` means "inherit the authority's"."""

    terms: tuple[TermRange, ...] | None = None
    closures: tuple[date, ...] | None = None


@dataclass(frozen=True, slots=True)
class _Gap:
    """A stretch outside the terms with no term dates: counted provisionally."""

    first: date | None  # None: open towards the past
    last: date | None  # None: open towards the future
    prev_year: int | None  # school year of the term before the gap
    next_year: int | None  # school year of the term after the gap


class SchoolCalendar:
    """One school's (or the authority's) calendar; implements `engine.ports.WorkingCalendar`.

    Build it through `CalendarSet.for_school`; the constructor is public for tests and tools.
    """

    __slots__ = (
        "_closures",
        "_content_hash",
        "_counted",
        "_covered_years",
        "_gaps",
        "_inner_gaps",
        "_name",
        "_ordered_days",
        "_school_days",
        "_terms",
        "_year_bounds",
    )

    def __init__(
        self, name: str, terms: Sequence[TermRange], closures: Iterable[date] = ()
    ) -> None:
        """Precompute the school days of every term.

        Args:
            name: "Luton" or "Luton/school 123456".
            terms: Term ranges, in any order; they must not overlap.
            closures: Closure (INSET) days.

        Raises:
            CalendarInvalid: No terms, or two terms overlap.
        """
        if not terms:
            raise CalendarInvalid(f"calendar {name}: at least one term is needed")
        ordered = tuple(sorted(terms, key=lambda t: (t.start, t.end)))
        for before, after in pairwise(ordered):
            if after.start <= before.end:
                raise CalendarInvalid(
                    f"calendar {name}: terms {before.start}–{before.end} and "
                    f"{after.start}–{after.end} overlap"
                )
        self._name = name
        self._terms = ordered
        self._counted: dict[tuple[str, date, int], DueDate] = {}
        """(unit, start, days) -> the answer: a calendar never changes, and a batch of
        deadlines counts from the same day again and again."""
        self._closures = frozenset(closures)
        self._covered_years = frozenset(school_year(t.start) for t in ordered)
        self._year_bounds: dict[int, tuple[date, date]] = {}
        """school year -> (first term start, last term end) loaded for it."""
        for term in ordered:
            first, _ = self._year_bounds.get(school_year(term.start), (term.start, term.end))
            self._year_bounds[school_year(term.start)] = (first, term.end)
        days: set[date] = set()
        for term in ordered:
            day = term.start
            while day <= term.end:
                if _is_working_day(day) and day not in self._closures:
                    days.add(day)
                day += _ONE_DAY
        self._school_days = frozenset(days)
        self._ordered_days = tuple(sorted(days))
        self._gaps = self._find_gaps(ordered)
        self._inner_gaps = tuple(
            (g.first, g.last, g) for g in self._gaps if g.first is not None and g.last is not None
        )
        self._content_hash = _sha256(
            {
                "calendar": name,
                "terms": [[t.start.isoformat(), t.end.isoformat()] for t in ordered],
                "closures": sorted(d.isoformat() for d in self._closures),
            }
        )

    @staticmethod
    def _find_gaps(terms: tuple[TermRange, ...]) -> tuple[_Gap, ...]:
        first_year, last_year = school_year(terms[0].start), school_year(terms[-1].start)
        gaps = [_Gap(None, terms[0].start - _ONE_DAY, None, first_year)]
        for before, after in pairwise(terms):
            prev_year, next_year = school_year(before.start), school_year(after.start)
            # Terms of the same or of consecutive school years: the break between is a holiday.
            if next_year - prev_year > 1:
                gaps.append(
                    _Gap(before.end + _ONE_DAY, after.start - _ONE_DAY, prev_year, next_year)
                )
        gaps.append(_Gap(terms[-1].end + _ONE_DAY, None, last_year, None))
        return tuple(gaps)

    # --- WorkingCalendar -------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The authority, or `authority/school ID`."""
        return self._name

    @property
    def content_hash(self) -> str:
        """sha256 (hex) of the name, term ranges and closures this calendar counts with."""
        return self._content_hash

    @property
    def terms(self) -> tuple[TermRange, ...]:
        """The term ranges, in date order."""
        return self._terms

    @property
    def closures(self) -> frozenset[date]:
        """The closure (INSET) days."""
        return self._closures

    @property
    def coverage(self) -> tuple[date, date]:
        """The first and the last term day loaded."""
        return self._terms[0].start, self._terms[-1].end

    def covers(self, day: date) -> bool:
        """Whether the calendar knows if `day` is a school day (term dates are loaded for it).

        Args:
            day: Any date.

        Returns:
            False before the first term, after the last, and in school years with no term.
        """
        return self._missing_year(day) is None

    def uncovered_school_years(self, first: date, last: date) -> tuple[int, ...]:
        """The school years whose missing term dates leave some day of [first, last] uncovered.

        A count of school days over such a range is provisional: no statutory decision may
        rest on it (LAW.md, "School days"), and the fix is to load those years' term dates.
        Label each year with `school_year_label` ("2026/27").

        Args:
            first: The first day of the range (inclusive).
            last: The last day of the range (inclusive).

        Returns:
            The school years (as the year each starts), ascending, each once; empty when every
            day of the range is covered, or when `last < first`.
        """
        years: set[int] = set()
        for gap in self._gaps:
            lo = first if gap.first is None else max(first, gap.first)
            hi = last if gap.last is None else min(last, gap.last)
            # Within one gap, the missing year changes only where a school year (1 Aug) starts.
            day = lo
            while day <= hi:
                year = self._missing_year(day)
                if year is not None:
                    years.add(year)
                day = date(school_year(day) + 1, 8, 1)
        return tuple(sorted(years))

    def is_school_day(self, day: date) -> bool:
        """A weekday in term, not a closure (INSET) day, not a bank holiday.

        Args:
            day: Any date.

        Returns:
            True only for a known school day; False for every date the calendar does not cover.
        """
        return day in self._school_days

    def next_school_day(self, day: date) -> DueDate:
        """The first school day strictly after `day` (provisional past the loaded terms).

        Args:
            day: Any date.

        Returns:
            The same as `add_school_days(day, 1)`.
        """
        return self.add_school_days(day, 1)

    def add_school_days(self, start: date, days: int) -> DueDate:
        """The `days`-th school day after `start`, never counting `start` itself.

        Over dates without term dates, weekdays less bank holidays are counted instead and the
        result is provisional (see the module docstring).

        Args:
            start: The day counting starts after.
            days: How many school days to count; 0 returns `start`.

        Returns:
            The due day, provisional with a reason when it rests on counted weekdays.

        Raises:
            ContractBroken: `days` is negative.
        """
        if days < 0:
            raise ContractBroken(f"cannot add a negative number of school days ({days})")
        key = ("school", start, days)
        if key not in self._counted:
            self._counted[key] = self._add_school_days(start, days)
        return self._counted[key]

    def _add_school_days(self, start: date, days: int) -> DueDate:
        day, counted, missing = start, 0, None
        school_days = self._school_days
        while counted < days:
            day += _ONE_DAY
            if day in school_days:
                counted += 1
            elif _is_working_day(day):
                # Only a working day can change the answer: a weekend or bank holiday is not a
                # school day whether term dates are loaded or not.
                year = self._missing_year(day)
                if year is not None:
                    counted += 1
                    if missing is None:
                        missing = year
        if missing is None:
            return DueDate(day)
        return DueDate(
            day, provisional=True, reason=f"no term dates loaded for {school_year_label(missing)}"
        )

    def count_school_days(self, start: date, end: date) -> int:
        """School days in (`start`, `end`]: after `start`, up to and including `end`.

        Dates without term dates count as `add_school_days` counts them (weekdays less bank
        holidays), so `count_school_days(d, add_school_days(d, n).day) == n` always holds.

        Args:
            start: Exclusive lower bound.
            end: Inclusive upper bound.

        Returns:
            The number of days counted; 0 when `end <= start`.
        """
        if end <= start:
            return 0
        ordered = self._ordered_days
        total = bisect_right(ordered, end) - bisect_right(ordered, start)
        # Provisionally counted days lie only in the gaps (outside the terms, missing years).
        after = start + _ONE_DAY
        for gap in self._gaps:
            first = after if gap.first is None else max(after, gap.first)
            last = end if gap.last is None else min(end, gap.last)
            if first <= last:
                total += _count_working_days(first, last)
        return total

    def add_working_days(self, start: date, days: int) -> DueDate:
        """The `days`-th weekday after `start` that is not a bank holiday (terms ignored).

        Args:
            start: The day counting starts after.
            days: How many working days to count; 0 returns `start`.

        Returns:
            The due day; never provisional.

        Raises:
            ContractBroken: `days` is negative.
        """
        if days < 0:
            raise ContractBroken(f"cannot add a negative number of working days ({days})")
        key = ("working", start, days)
        if key in self._counted:
            return self._counted[key]
        day, counted = start, 0
        while counted < days:
            day += _ONE_DAY
            if _is_working_day(day):
                counted += 1
        self._counted[key] = DueDate(day)
        return self._counted[key]

    def _missing_year(self, day: date) -> int | None:
        """The school year whose missing term dates leave `day` uncovered, or None if covered."""
        lo, hi = self._terms[0].start, self._terms[-1].end
        if lo <= day <= hi:
            for first, last, inner in self._inner_gaps:
                if first <= day <= last:
                    gap = inner
                    break
            else:
                return None
        elif day < lo:
            gap = self._gaps[0]
        else:
            gap = self._gaps[-1]
        year = school_year(day)
        if year not in self._covered_years:
            return year
        # The day's own year has terms. After its last loaded term: if that term reaches the
        # summer (July), the day is the summer tail and the next year is missing; otherwise the
        # year itself is only partly loaded (Autumn 1 alone). Before its first loaded term: if
        # that term starts by September, the year before is missing; otherwise this one is.
        if gap.prev_year == year:
            return year + 1 if self._year_bounds[year][1].month == 7 else year
        return year - 1 if self._year_bounds[year][0].month in (8, 9) else year

    def __repr__(self) -> str:
        lo, hi = self.coverage
        return f"SchoolCalendar({self._name!r}, {lo}..{hi}, {len(self._terms)} terms)"


def _count_working_days(first: date, last: date) -> int:
    """Weekdays less bank holidays in [first, last]."""
    total, day = 0, first
    while day <= last:
        if _is_working_day(day):
            total += 1
        day += _ONE_DAY
    return total


def _sha256(content: Any) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
