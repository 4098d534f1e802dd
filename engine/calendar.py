"""Working-day calendars: school days per school, working days per authority.

Domain-free: this module knows terms, closures and England bank holidays, nothing about cases.

Calendar file (YAML)::

    authority: Luton
    terms:                      # inclusive date ranges; half terms may be split into two ranges
      - {start: 2025-09-01, end: 2025-10-24, name: Autumn 1}
      - {start: 2025-11-03, end: 2025-12-19, name: Autumn 2}
    closures: [2025-09-01]      # INSET and other closure days
    schools:                    # per-school overrides, keyed by school id (URN or DfE number)
      "123456":
        terms: [...]            # replaces the authority's terms (academies set their own)
        closures: [...]         # replaces the authority's closures; omitted = inherited

A school day is a weekday inside a term range that is not a closure day and not an England bank
holiday (`holidays.UK(subdiv="ENG")`).

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.errors import CalendarInvalid, ContractBroken, DefinitionError
from engine.ports import DueDate

__all__ = [
    "CalendarSet",
    "SchoolCalendar",
    "SchoolOverride",
    "TermRange",
    "is_bank_holiday",
    "load_calendar_file",
    "parse_calendar",
    "school_year",
    "school_year_label",
]

_ONE_DAY = timedelta(days=1)


# --- bank holidays and school years ----------------------------------------------------------


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    # One frozen set per year: a set lookup is far cheaper than the holidays object's own
    # __contains__, and freezing it keeps a year's answer fixed for the life of the process.
    # `country_holidays("GB", subdiv="ENG")` is `holidays.UK(subdiv="ENG")`, typed for mypy.
    # Imported here, on the first date counted: reading a case counts none (`cme case show`).
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


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


@dataclass(frozen=True, slots=True)
class CalendarSet:
    """An authority's calendar and its schools' overrides, as loaded from one file."""

    authority: str
    terms: tuple[TermRange, ...]
    closures: tuple[date, ...] = ()
    schools: Mapping[str, SchoolOverride] = field(default_factory=dict)
    source: str = ""
    content_hash: str = field(init=False)
    _calendars: Mapping[str | None, SchoolCalendar] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "schools", MappingProxyType(dict(self.schools)))
        object.__setattr__(self, "content_hash", _sha256(self._canonical()))
        calendars: dict[str | None, SchoolCalendar] = {
            None: SchoolCalendar(self.authority, self.terms, self.closures)
        }
        for school_id, override in self.schools.items():
            calendars[school_id] = SchoolCalendar(
                f"{self.authority}/school {school_id}",
                self.terms if override.terms is None else override.terms,
                self.closures if override.closures is None else override.closures,
            )
        object.__setattr__(self, "_calendars", MappingProxyType(calendars))

    def __hash__(self) -> int:
        # The generated hash would hash the `schools` mapping, which is unhashable.
        return hash(self.content_hash)

    @property
    def school_ids(self) -> tuple[str, ...]:
        """The schools with their own dates, sorted."""
        return tuple(sorted(self.schools))

    def for_school(self, school_id: str | None) -> SchoolCalendar:
        """The school's calendar; the authority's for None or a school without its own dates.

        Args:
            school_id: The school's id as written in the file (URN or DfE number), or None.

        Returns:
            A `SchoolCalendar`, built once when the set was loaded.
        """
        found = self._calendars.get(school_id)
        return found if found is not None else self._calendars[None]

    def _canonical(self) -> dict[str, Any]:
        def terms(ranges: Sequence[TermRange]) -> list[dict[str, str]]:
            return [
                {"start": t.start.isoformat(), "end": t.end.isoformat(), "name": t.name}
                for t in sorted(ranges, key=lambda t: t.start)
            ]

        def closures(days: Iterable[date]) -> list[str]:
            return sorted({d.isoformat() for d in days})

        schools: dict[str, Any] = {}
        for school_id, override in self.schools.items():
            entry: dict[str, Any] = {}
            if override.terms is not None:
                entry["terms"] = terms(override.terms)
            if override.closures is not None:
                entry["closures"] = closures(override.closures)
            schools[school_id] = entry
        return {
            "authority": self.authority,
            "terms": terms(self.terms),
            "closures": closures(self.closures),
            "schools": schools,
        }


# --- loading ---------------------------------------------------------------------------------

_TOP_KEYS = ("authority", "terms", "closures", "schools")
_TERM_KEYS = ("start", "end", "name")
_SCHOOL_KEYS = ("terms", "closures")


def load_calendar_file(path: str | Path) -> CalendarSet:
    """Read and check a calendar file.

    Args:
        path: The YAML file.

    Returns:
        The parsed calendars.

    Raises:
        DefinitionError: The file cannot be read or breaks a rule (names file, path and line).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(str(path), f"cannot read the calendar file: {exc}") from exc
    return parse_calendar(text, str(path))


def parse_calendar(text: str, source: str) -> CalendarSet:
    """Parse calendar YAML strictly (unknown keys, bad dates and overlapping terms refused).

    Args:
        text: The YAML text.
        source: The file name to cite in errors.

    Returns:
        The parsed calendars.

    Raises:
        DefinitionError: With `source`, the path of the offending value (e.g. `terms[2].end`)
            and its line.
    """
    # Compose, not load: nodes keep their line marks, and dates are checked by us (a bare
    # `yaml.safe_load` would crash with a plain ValueError on 2025-02-30).
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError(source, f"not valid YAML: {problem}", line=line) from exc
    except RecursionError:
        # PyYAML composes nested collections recursively: thousands of `[` exhaust the stack.
        raise DefinitionError(
            source, "not valid YAML: nested too deeply (a calendar is a few levels deep)"
        ) from None
    reader = _Reader(source)
    if root is None:
        raise DefinitionError(source, "the calendar file is empty")
    top = reader.mapping(root, "", _TOP_KEYS, required=("authority", "terms"))
    authority = reader.string(top["authority"], "authority")
    terms = reader.terms(top["terms"], "terms")
    closures = reader.date_list(top["closures"], "closures") if "closures" in top else ()
    schools: dict[str, SchoolOverride] = {}
    if "schools" in top:
        for key, node in reader.entries(top["schools"], "schools"):
            path = f"schools.{key}"
            entry = reader.mapping(node, path, _SCHOOL_KEYS)
            schools[key] = SchoolOverride(
                terms=reader.terms(entry["terms"], f"{path}.terms") if "terms" in entry else None,
                closures=(
                    reader.date_list(entry["closures"], f"{path}.closures")
                    if "closures" in entry
                    else None
                ),
            )
    return CalendarSet(authority, terms, closures, schools, source)


class _Reader:
    """Walks the composed YAML node tree, citing file, path and line in every refusal."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: Node, path: str, reason: str) -> NoReturn:
        raise DefinitionError(self.source, reason, line=node.start_mark.line + 1, path=path)

    def entries(self, node: Node, path: str) -> list[tuple[str, Node]]:
        if not isinstance(node, MappingNode):
            self.fail(node, path, "must be a mapping (write {} for none)")
        seen: set[str] = set()
        out: list[tuple[str, Node]] = []
        for key_node, value in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.value == "":
                self.fail(key_node, path, "keys must be plain text")
            key = str(key_node.value)
            if key in seen:
                self.fail(key_node, f"{path}.{key}" if path else key, "duplicate key")
            seen.add(key)
            out.append((key, value))
        return out

    def mapping(
        self, node: Node, path: str, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for key, value in self.entries(node, path):
            if key not in allowed:
                where = f"{path}.{key}" if path else key
                self.fail(value, where, f"unknown key '{key}' (allowed: {', '.join(allowed)})")
            found[key] = value
        for key in required:
            if key not in found:
                self.fail(node, path, f"missing required key '{key}'")
        return found

    def sequence(self, node: Node, path: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(node, path, "must be a list (write [] for none)")
        return list(node.value)

    def string(self, node: Node, path: str) -> str:
        if (
            not isinstance(node, ScalarNode)
            or node.tag != "tag:yaml.org,2002:str"
            or not str(node.value).strip()
        ):
            self.fail(node, path, "must be a non-empty text")
        return str(node.value).strip()

    def a_date(self, node: Node, path: str) -> date:
        if not isinstance(node, ScalarNode):
            self.fail(node, path, "must be a date written YYYY-MM-DD")
        text = str(node.value)
        if (
            len(text) != 10
            or text[4] != "-"
            or text[7] != "-"
            or not (text[:4] + text[5:7] + text[8:]).isdigit()
        ):
            self.fail(node, path, f"must be a date written YYYY-MM-DD, not '{text}'")
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(node, path, f"'{text}' is not a real date")

    def date_list(self, node: Node, path: str) -> tuple[date, ...]:
        return tuple(
            self.a_date(item, f"{path}[{i}]") for i, item in enumerate(self.sequence(node, path))
        )

    def terms(self, node: Node, path: str) -> tuple[TermRange, ...]:
        items = self.sequence(node, path)
        if not items:
            self.fail(node, path, "at least one term is needed")
        parsed: list[tuple[int, Node, TermRange]] = []
        for i, item in enumerate(items):
            here = f"{path}[{i}]"
            fields = self.mapping(item, here, _TERM_KEYS, required=("start", "end"))
            start = self.a_date(fields["start"], f"{here}.start")
            end = self.a_date(fields["end"], f"{here}.end")
            if end < start:
                self.fail(
                    fields["end"], f"{here}.end", f"term ends ({end}) before it starts ({start})"
                )
            name = self.string(fields["name"], f"{here}.name") if "name" in fields else ""
            parsed.append((i, item, TermRange(start, end, name)))
        ordered = sorted(parsed, key=lambda p: (p[2].start, p[2].end))
        for (i, _, before), (j, item, after) in pairwise(ordered):
            if after.start <= before.end:
                self.fail(
                    item,
                    f"{path}[{j}]",
                    f"term {after.start}–{after.end} overlaps {path}[{i}] "
                    f"({before.start}–{before.end})",
                )
        return tuple(p[2] for p in parsed)
