"""Write a school's term dates into the calendar file, keeping everything else as it was.

The calendar file records where its dates came from in comments (the term dates' provenance);
`cme calendar import` must not strip them. The file is read and written with ruamel.yaml's
round-trip mode (comments, key order, flow and block styles kept), checked with the strict
loader (`engine.calendar.parse_calendar`), and replaced atomically, keeping its mode.
"""

from __future__ import annotations

import io
import os
import re
import stat
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from engine.calendar import CalendarSet, parse_calendar
from engine.errors import DefinitionError
from storage.files import write_atomic

__all__ = ["check_school_id", "import_school", "with_school"]

SCHOOL_ID = re.compile(r"[0-9]{7}")


def check_school_id(school: str) -> str:
    """`school` if it is a 7-digit LAESTAB (local authority number and establishment number,
    e.g. 8212001), the key a school's dates are filed under.

    Raises:
        ValueError: anything else (naming the rule).
    """
    if not SCHOOL_ID.fullmatch(school):
        raise ValueError(
            f"--school {school!r}: must be the school's 7-digit LAESTAB (DfE local authority "
            "and establishment number, e.g. 8212001)"
        )
    return school


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line the authority wrote
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def with_school(text: str, source: str, school: str, dates: dict[str, Any]) -> str:
    """The calendar file's text with `schools.<school>` set to `dates` (a `cme.ical` entry);
    every other line, comment included, as it was.

    Raises:
        DefinitionError: The file cannot be read as YAML, or is not a mapping.
    """
    yaml = _yaml()
    try:
        content = yaml.load(text)
    except (YAMLError, RecursionError) as exc:
        raise DefinitionError(source, f"not valid YAML: {exc}") from None
    if not isinstance(content, CommentedMap):
        raise DefinitionError(source, "the calendar file must be a mapping")
    schools = content.get("schools")
    if not isinstance(schools, CommentedMap):
        schools = CommentedMap()
        content["schools"] = schools
    if not schools:
        schools.fa.set_block_style()  # `schools: {}` grows into a readable block
    schools[school] = _entry(dates)
    out = io.StringIO()
    yaml.dump(content, out)
    return out.getvalue()


def _entry(dates: dict[str, Any]) -> CommentedMap:
    terms = CommentedSeq()
    for term in dates["terms"]:
        row = CommentedMap(start=term["start"], end=term["end"])
        if term.get("name"):
            row["name"] = str(term["name"])
        row.fa.set_flow_style()  # one line a term, as the shipped file writes them
        terms.append(row)
    closures = CommentedSeq(date.fromisoformat(str(d)) for d in dates["closures"])
    closures.fa.set_flow_style()
    return CommentedMap(terms=terms, closures=closures)


def import_school(target: Path, school: str, dates: dict[str, Any]) -> CalendarSet:
    """Set `schools.<school>` in the calendar file `target`, checked, atomically.

    Raises:
        DefinitionError: The new file would break a calendar rule; `target` is unchanged.
        OSError: The file cannot be read or replaced; `target` is unchanged.
    """
    text = target.read_text(encoding="utf-8")
    new = with_school(text, str(target), school, dates)
    calendars = parse_calendar(new, str(target))  # refuse (exit 2) before writing anything bad
    mode = stat.S_IMODE(os.stat(target).st_mode)  # the calendar holds no personal data
    write_atomic(target, new.encode("utf-8"), replace=True, mode=mode)
    return calendars
