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

The days themselves: engine/school_years.py (bank holidays, school years) and
engine/school_calendar.py (one school's calendar, coverage and the provisional fallback);
this module holds the file's calendars (`CalendarSet`) and reading the file, and re-exports
the names callers import from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.errors import DefinitionError
from engine.school_calendar import SchoolCalendar, SchoolOverride, TermRange, _sha256
from engine.school_years import is_bank_holiday, school_year, school_year_label

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
