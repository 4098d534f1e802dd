"""Import a school's term dates from an iCalendar (ICS) feed.

Many schools publish their term dates as a calendar feed rather than a document. This module turns
such a feed into the `schools: {ID: {...}}` entry of a calendar file (see `engine.calendar`), so a
caseworker or administrator can review the dates before loading them. It reads events only; it
never guesses a date the feed does not give.

Classification of each VEVENT, first match wins:

1. holiday - CATEGORIES has HOLIDAY, or SUMMARY says "half term"/"half-term"/"holiday": its days
   are cut out of the terms (a term with a half term inside becomes two ranges);
2. closure - an all-day event with CATEGORIES INSET, or SUMMARY saying "INSET", "training day" or
   "closure": each of its days becomes a closure day;
3. term - SUMMARY contains "term": an inclusive term range;
4. anything else (trips, parents' evenings) is ignored.

All-day DTEND is exclusive (RFC 5545): an event with DTSTART 27 Oct and DTEND 1 Nov covers
27-31 Oct. icalendar does not expand RRULEs; a recurring term, holiday or closure is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar

from engine.clock import LOCAL_ZONE

__all__ = ["MAX_FEED_BYTES", "ics_to_calendar_dict", "read_feed"]

MAX_FEED_BYTES = 5 * 1024 * 1024
"""A year of a school's events is a few kilobytes; a bigger file is not a term-dates feed."""

_ONE_DAY = timedelta(days=1)
MAX_SPAN_DAYS = 183
"""The longest term, holiday or closure an event may give (about six months): a longer one is a
typing error (an event spanning years 0001-9999 once ran for minutes)."""
PLAUSIBLE_YEARS = range(2000, 2101)
"""Years a school term date may fall in; an event outside them is refused, named."""
_HOLIDAY_WORDS = ("half term", "half-term", "holiday")
_CLOSURE_WORDS = ("inset", "training day", "closure")


@dataclass(frozen=True, slots=True)
class _Span:
    """An event's days: first and last inclusive, and its summary."""

    first: date
    last: date
    summary: str
    all_day: bool


def read_feed(path: Path) -> dict[str, Any]:
    """Read an ICS file (at most `MAX_FEED_BYTES`) and convert it (`ics_to_calendar_dict`).

    Raises:
        OSError: The file cannot be read.
        ValueError: The file is too big or breaks a rule (see `ics_to_calendar_dict`).
    """
    with path.open("rb") as handle:
        data = handle.read(MAX_FEED_BYTES + 1)
    if len(data) > MAX_FEED_BYTES:
        raise ValueError(
            f"the term-dates feed is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB; "
            "a school's term dates are a few kilobytes"
        )
    return ics_to_calendar_dict(data)


def ics_to_calendar_dict(ics_bytes: bytes) -> dict[str, Any]:
    """Convert an ICS feed of one school into a calendar-file school entry.

    Args:
        ics_bytes: The feed, as downloaded.

    Returns:
        `{"terms": [{"start": date, "end": date, "name": str}, ...], "closures": [date, ...]}`,
        terms and closures in date order; dump it with `yaml.safe_dump` under
        `schools: {ID: ...}` of a calendar file.

    Raises:
        ValueError: The feed cannot be parsed, holds a recurring term/holiday/closure event, or
            has no term events at all.
    """
    try:
        calendar = icalendar.Calendar.from_ical(ics_bytes)
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        # icalendar's parser raises more than ValueError on some damaged feeds: each is a
        # refusal of the file, never a traceback
        raise ValueError(f"the term-dates feed is not a valid iCalendar file: {exc}") from None

    _check_zones(calendar)
    terms: list[_Span] = []
    breaks: list[_Span] = []
    closures: set[date] = set()
    for event in calendar.walk("VEVENT"):
        summary = str(event.get("SUMMARY", "")).strip()
        lowered = summary.lower()
        categories = _categories(event)
        if "HOLIDAY" in categories or any(w in lowered for w in _HOLIDAY_WORDS):
            breaks.append(_span(event, summary))
        elif "INSET" in categories or any(w in lowered for w in _CLOSURE_WORDS):
            span = _span(event, summary)
            # A timed "training" event (a twilight session after school) does not close the
            # school; only whole days do.
            if span.all_day:
                closures.update(_days(span.first, span.last))
        elif "term" in lowered:
            terms.append(_span(event, summary))

    if not terms:
        raise ValueError(
            "the term-dates feed has no term events (no event whose SUMMARY "
            "contains 'term'), so it gives no term dates to import"
        )

    pieces: list[tuple[date, date, str]] = []
    for term in sorted(terms, key=lambda t: (t.first, t.last)):
        parts = _subtract(term.first, term.last, breaks)
        for i, (first, last) in enumerate(parts, start=1):
            name = term.summary if len(parts) == 1 else f"{term.summary} (part {i})"
            pieces.append((first, last, name))
    merged = _merge(pieces)
    return {
        "terms": [{"start": first, "end": last, "name": name} for first, last, name in merged],
        "closures": sorted(closures),
    }


def _check_zones(calendar: icalendar.Calendar) -> None:
    """Refuse a DTSTART/DTEND whose TZID is neither an IANA zone nor a VTIMEZONE of the feed:
    read as local time it could move a term by a day without a word."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    defined = {str(tz.get("TZID", "")) for tz in calendar.walk("VTIMEZONE")}
    for event in calendar.walk("VEVENT"):
        for name in ("DTSTART", "DTEND"):
            prop = event.get(name)
            tzid = getattr(prop, "params", {}).get("TZID") if prop is not None else None
            if tzid is None or str(tzid) in defined:
                continue
            try:
                ZoneInfo(str(tzid))
            except (ZoneInfoNotFoundError, ValueError):
                summary = str(event.get("SUMMARY", "")).strip()
                raise ValueError(
                    f"event '{summary}': {name} has an unknown TZID {str(tzid)!r} (neither an "
                    "IANA time zone such as Europe/London nor a VTIMEZONE of the feed)"
                ) from None


def _categories(event: icalendar.Component) -> set[str]:
    """The event's CATEGORIES, upper-cased (one property or several, each a list)."""
    raw = event.get("CATEGORIES")
    if raw is None:
        return set()
    found: set[str] = set()
    for prop in raw if isinstance(raw, list) else [raw]:
        for cat in getattr(prop, "cats", [prop]):
            found.add(str(cat).strip().upper())
    return found


def _span(event: icalendar.Component, summary: str) -> _Span:
    """The event's first and last day, DTEND being exclusive for all-day events.

    Refused (ValueError naming the event): a recurring event, a missing or invalid DTSTART or
    DTEND (20260230, text), DTSTART and DTEND of different kinds (a date and a date-time), an
    end before the start, a negative DURATION, a year outside `PLAUSIBLE_YEARS`, and a span
    longer than `MAX_SPAN_DAYS`.
    """
    if event.get("RRULE") is not None:
        raise ValueError(
            f"event '{summary}' repeats (RRULE); recurring term, holiday and "
            "closure events are not supported - list each date"
        )
    if event.get("DTSTART") is None:
        raise ValueError(f"event '{summary}' has no DTSTART")
    start = _moment(event, "DTSTART", summary)
    if event.get("DTEND") is not None:
        end = _moment(event, "DTEND", summary)
        if isinstance(start, datetime) != isinstance(end, datetime):
            raise ValueError(
                f"event '{summary}': DTSTART and DTEND mix a date and a date-time; "
                "both must be dates (all-day) or both date-times"
            )
        if _naive_local(end) < _naive_local(start):
            raise ValueError(
                f"event '{summary}' ends (DTEND {_shown(end)}) before it starts "
                f"(DTSTART {_shown(start)})"
            )
    elif event.get("DURATION") is not None:
        end = start + _duration(event, summary)
    else:
        # RFC 5545: no DTEND and no DURATION - an all-day event lasts one day, a timed one
        # ends when it starts.
        end = start if isinstance(start, datetime) else start + _ONE_DAY
    if isinstance(start, datetime) and isinstance(end, datetime):
        first, last = _local_day(start), _local_day(end)
        # An event ending exactly at midnight does not touch the day it ends on.
        if last > first and _at_midnight(end):
            last -= _ONE_DAY
        return _bounded(_Span(first, max(first, last), summary, all_day=False))
    last = end - _ONE_DAY if end > start else start
    return _bounded(_Span(start, last, summary, all_day=True))


def _moment(event: icalendar.Component, name: str, summary: str) -> date:
    """DTSTART or DTEND as a date or a date-time, within the plausible years."""
    try:
        value = event.decoded(name)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValueError(
            f"event '{summary}': {name} is not a valid date or date-time ({exc})"
        ) from None
    if not isinstance(value, date):  # icalendar keeps a value it cannot read as text
        raise ValueError(
            f"event '{summary}': {name} {_raw(event.get(name))} is not a real date "
            "(YYYYMMDD) or date-time (YYYYMMDDTHHMMSS)"
        )
    if value.year not in PLAUSIBLE_YEARS:
        raise ValueError(
            f"event '{summary}': {name} {_shown(value)} is outside the plausible years "
            f"{PLAUSIBLE_YEARS.start}-{PLAUSIBLE_YEARS.stop - 1} for school term dates"
        )
    return value


def _duration(event: icalendar.Component, summary: str) -> timedelta:
    try:
        value = event.decoded("DURATION")
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValueError(f"event '{summary}': DURATION is not valid ({exc})") from None
    if not isinstance(value, timedelta):
        raise ValueError(
            f"event '{summary}': DURATION {_raw(event.get('DURATION'))} is not a duration"
        )
    if value < timedelta(0):
        raise ValueError(
            f"event '{summary}' has a negative DURATION {_raw(event.get('DURATION'))}: "
            "it would end before it starts"
        )
    if value > timedelta(days=MAX_SPAN_DAYS + 1):
        raise ValueError(_too_long(summary, value.days))
    return value


def _bounded(span: _Span) -> _Span:
    days = (span.last - span.first).days + 1
    if days > MAX_SPAN_DAYS:
        raise ValueError(_too_long(span.summary, days))
    return span


def _too_long(summary: str, days: int) -> str:
    return (
        f"event '{summary}' spans {days} days; no term, holiday or closure lasts more than "
        f"{MAX_SPAN_DAYS} days (about six months) - check its DTSTART and DTEND"
    )


def _naive_local(moment: date) -> date:
    """A date as is; a date-time as local wall time without zone (so a zoned DTSTART and a
    floating DTEND compare)."""
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment.astimezone(LOCAL_ZONE).replace(tzinfo=None)
    return moment


def _shown(moment: date) -> str:
    return moment.isoformat()


def _raw(prop: object) -> str:
    """A property's text for a message: quoted, cut short, control characters escaped."""
    raw = prop.to_ical() if hasattr(prop, "to_ical") else prop
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return repr(text[:40] + ("..." if len(text) > 40 else ""))


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_ZONE).date() if moment.tzinfo else moment.date()


def _at_midnight(moment: datetime) -> bool:
    local = moment.astimezone(LOCAL_ZONE) if moment.tzinfo else moment
    return (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _subtract(first: date, last: date, breaks: list[_Span]) -> list[tuple[date, date]]:
    """The range [first, last] with every break's days cut out."""
    parts = [(first, last)]
    for cut in breaks:
        kept: list[tuple[date, date]] = []
        for lo, hi in parts:
            if cut.last < lo or cut.first > hi:
                kept.append((lo, hi))
                continue
            if cut.first > lo:
                kept.append((lo, cut.first - _ONE_DAY))
            if cut.last < hi:
                kept.append((cut.last + _ONE_DAY, hi))
        parts = kept
    return parts


def _merge(pieces: list[tuple[date, date, str]]) -> list[tuple[date, date, str]]:
    """Join overlapping ranges (a feed listing "Autumn term" and "Autumn term 1" both).

    The calendar loader refuses overlapping terms; overlapping events in a feed only say the same
    days are in term twice, so they are joined, keeping the first range's name.
    """
    merged: list[tuple[date, date, str]] = []
    for first, last, name in sorted(pieces):
        if merged and first <= merged[-1][1]:
            lo, hi, kept = merged[-1]
            merged[-1] = (lo, max(hi, last), kept)
        else:
            merged.append((first, last, name))
    return merged
