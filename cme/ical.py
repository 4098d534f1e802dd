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
from typing import Any

import icalendar

from engine.clock import LOCAL_ZONE

__all__ = ["ics_to_calendar_dict"]

_ONE_DAY = timedelta(days=1)
_HOLIDAY_WORDS = ("half term", "half-term", "holiday")
_CLOSURE_WORDS = ("inset", "training day", "closure")


@dataclass(frozen=True, slots=True)
class _Span:
    """An event's days: first and last inclusive, and its summary."""

    first: date
    last: date
    summary: str
    all_day: bool


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
    except ValueError as exc:
        raise ValueError(f"the term-dates feed is not a valid iCalendar file: {exc}") from exc

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
    """The event's first and last day, DTEND being exclusive for all-day events."""
    if event.get("RRULE") is not None:
        raise ValueError(
            f"event '{summary}' repeats (RRULE); recurring term, holiday and "
            "closure events are not supported - list each date"
        )
    if event.get("DTSTART") is None:
        raise ValueError(f"event '{summary}' has no DTSTART")
    start = event.decoded("DTSTART")
    if event.get("DTEND") is not None:
        end = event.decoded("DTEND")
    elif event.get("DURATION") is not None:
        end = start + event.decoded("DURATION")
    else:
        # RFC 5545: no DTEND and no DURATION - an all-day event lasts one day, a timed one
        # ends when it starts.
        end = start if isinstance(start, datetime) else start + _ONE_DAY
    if isinstance(start, datetime):
        first, last = _local_day(start), _local_day(end)
        # An event ending exactly at midnight does not touch the day it ends on.
        if last > first and _at_midnight(end):
            last -= _ONE_DAY
        return _Span(first, max(first, last), summary, all_day=False)
    last = end - _ONE_DAY if end > start else start
    return _Span(start, last, summary, all_day=True)


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
