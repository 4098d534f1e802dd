"""The DfE's termly CME return as data: census dates, deadlines, length-of-time bands and the
primary reasons for CME, per collection year (`workflows/dfe/cme-return.yaml`, its source noted
there). The DfE changes the list (five reasons added in autumn 2025: LAW.md), so nothing here
is code: a year that is not in the file is refused, never guessed.

`load_returns` checks the whole file and raises `ReturnDataInvalid` naming the entry and the
rule; `academic_year_of` and `collection_for` answer which year's list applies on a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_FILE = Path(__file__).parent / "dfe" / "cme-return.yaml"
TERMS = ("autumn", "spring", "summer")
YEAR = re.compile(r"^(\d{4})/(\d{2})$")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
UNKNOWN = "unknown"
"""The band, sex, year group or reason a child is counted under when it is not known."""


class ReturnDataInvalid(ValueError):
    """The return's data file breaks a rule (the message names the file, entry and rule)."""


@dataclass(frozen=True, slots=True)
class Band:
    """A length-of-time band: up to `max_days` calendar days (None: no upper bound)."""

    code: str
    title: str
    max_days: int | None


@dataclass(frozen=True, slots=True)
class Collection:
    """One collection year's data: `year` is `2025/26`."""

    year: str
    census_dates: dict[str, date]
    deadlines: dict[str, date]
    bands: tuple[Band, ...]
    reasons: dict[str, str]
    """code -> title, in the file's order."""

    @property
    def start(self) -> date:
        """1 September of the academic year."""
        return date(int(self.year[:4]), 9, 1)

    def band_for(self, days: int | None) -> str:
        """The band `days` missing falls in ("unknown" when not known)."""
        if days is None or days < 0:
            return UNKNOWN
        for band in self.bands:
            if band.max_days is None or days <= band.max_days:
                return band.code
        return UNKNOWN


def academic_year_of(day: date) -> str:
    """`2025/26` for any day from 1 Sep 2025 to 31 Aug 2026."""
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}/{(first + 1) % 100:02d}"


def previous_year(year: str) -> str:
    """`2024/25` for `2025/26`."""
    first = int(year[:4]) - 1
    return f"{first}/{(first + 1) % 100:02d}"


def _fail(where: str, rule: str) -> ReturnDataInvalid:
    return ReturnDataInvalid(f"{where}: {rule}")


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _fail(where, f"must be a date as YYYY-MM-DD (got {value!r})") from None


def _terms(raw: Any, where: str, year: str) -> dict[str, date]:
    if not isinstance(raw, dict) or set(raw) != set(TERMS):
        raise _fail(where, f"must give exactly {', '.join(TERMS)}")
    days = {t: _date(raw[t], f"{where}.{t}") for t in TERMS}
    first = int(year[:4])
    for term, day in days.items():
        if not date(first, 9, 1) <= day <= date(first + 1, 8, 31):
            raise _fail(f"{where}.{term}", f"{day} is not in the academic year {year}")
    if not days["autumn"] < days["spring"] < days["summer"]:
        raise _fail(where, "the terms must fall in order: autumn, spring, summer")
    return days


def _code(value: Any, where: str) -> str:
    if not isinstance(value, str) or not CODE.match(value):
        raise _fail(where, f"a code is lower-case letters, digits and _ (got {value!r})")
    if value == UNKNOWN:
        raise _fail(where, f"'{UNKNOWN}' is reserved for what is not known")
    return value


def _collection(year: str, raw: Any, where: str) -> Collection:
    if not YEAR.match(year) or (int(year[:4]) + 1) % 100 != int(year[5:]):
        raise _fail(where, "a collection year is written like 2025/26")
    if not isinstance(raw, dict):
        raise _fail(where, "must be a mapping")
    known = {"census_dates", "deadlines", "length_bands", "reasons"}
    if extra := sorted(set(raw) - known):
        raise _fail(where, f"unknown key(s) {', '.join(map(str, extra))}")
    if missing := sorted(known - set(raw)):
        raise _fail(where, f"missing {', '.join(missing)}")
    census = _terms(raw["census_dates"], f"{where}.census_dates", year)
    deadlines = _terms(raw["deadlines"], f"{where}.deadlines", year)
    for term in TERMS:
        if deadlines[term] <= census[term]:
            raise _fail(f"{where}.deadlines.{term}", "must fall after the census date")
    bands: list[Band] = []
    raw_bands = raw["length_bands"]
    if not isinstance(raw_bands, list) or not raw_bands:
        raise _fail(f"{where}.length_bands", "must be a non-empty list")
    for i, item in enumerate(raw_bands):
        at = f"{where}.length_bands[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("title"), str):
            raise _fail(at, "needs a code and a title")
        limit = item.get("max_days")
        last = i == len(raw_bands) - 1
        if last != (limit is None):
            raise _fail(at, "every band but the last has max_days; the last has none")
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise _fail(f"{at}.max_days", "must be a whole number of days")
        previous = bands[-1].max_days if bands else None
        if limit is not None and previous is not None and limit <= previous:
            raise _fail(f"{at}.max_days", "bands must go up")
        bands.append(Band(_code(item.get("code"), f"{at}.code"), item["title"], limit))
    reasons: dict[str, str] = {}
    raw_reasons = raw["reasons"]
    if not isinstance(raw_reasons, list) or not raw_reasons:
        raise _fail(f"{where}.reasons", "must be a non-empty list")
    for i, item in enumerate(raw_reasons):
        at = f"{where}.reasons[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("title"), str):
            raise _fail(at, "needs a code and a title")
        code = _code(item.get("code"), f"{at}.code")
        if code in reasons:
            raise _fail(f"{at}.code", f"'{code}' is listed twice")
        reasons[code] = item["title"]
    return Collection(year, census, deadlines, tuple(bands), reasons)


def parse_returns(text: str, source: str) -> dict[str, Collection]:
    """The collections in `text` (the YAML of the data file), checked.

    Raises:
        ReturnDataInvalid: naming `source`, the entry and the rule.
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _fail(source, f"is not valid YAML ({exc})") from None
    if not isinstance(raw, dict) or raw.get("schema") != 1:
        raise _fail(source, "must be a mapping with 'schema: 1'")
    years = raw.get("collections")
    if not isinstance(years, dict) or not years:
        raise _fail(source, "needs 'collections', one entry per year like 2025/26")
    return {
        str(y): _collection(str(y), v, f"{source}: collections.{y}")
        for y, v in sorted(years.items(), key=lambda kv: str(kv[0]))
    }


@cache
def load_returns(path: Path = DEFAULT_FILE) -> dict[str, Collection]:
    """The collections in the data file, checked (read once per process)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(str(path), f"cannot be read ({exc.strerror})") from None
    return parse_returns(text, str(path))


def collection_for(year: str, path: Path = DEFAULT_FILE) -> Collection:
    """The collection year `year` (`2025/26`).

    Raises:
        ReturnDataInvalid: the year is not in the data file (named with the years that are).
    """
    found = load_returns(path)
    if year not in found:
        raise ReturnDataInvalid(
            f"no DfE CME return data for {year} in {path.name} (years held: "
            f"{', '.join(found)}): add the year's census dates, bands and reasons from the "
            "DfE's collection guide"
        )
    return found[year]


def reasons_on(day: date, path: Path = DEFAULT_FILE) -> dict[str, str]:
    """The primary reasons in force on `day`: its academic year's list."""
    return collection_for(academic_year_of(day), path).reasons
