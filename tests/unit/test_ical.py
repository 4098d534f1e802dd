"""Importing a school's term dates from an iCalendar feed (cme.ical)."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from cme.ical import ics_to_calendar_dict
from engine.calendar import parse_calendar


def _event(uid: str, summary: str, *lines: str) -> str:
    return "\r\n".join(
        [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20250601T000000Z",
            f"SUMMARY:{summary}",
            *lines,
            "END:VEVENT",
        ]
    )


def _feed(*events: str) -> bytes:
    body = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Test School//Terms//EN",
            *events,
            "END:VCALENDAR",
        ]
    )
    return (body + "\r\n").encode("utf-8")


# A school's 2025/26 autumn and spring terms, autumn half term, one INSET day and a parents'
# evening. All-day DTEND is exclusive: DTEND 20251220 means the term ends Fri 19 Dec.
SCHOOL_FEED = _feed(
    _event("t1", "Autumn Term", "DTSTART;VALUE=DATE:20250903", "DTEND;VALUE=DATE:20251220"),
    _event("t2", "Spring Term", "DTSTART;VALUE=DATE:20260105", "DTEND;VALUE=DATE:20260328"),
    _event(
        "h1",
        "Half Term",
        "CATEGORIES:HOLIDAY",
        "DTSTART;VALUE=DATE:20251027",
        "DTEND;VALUE=DATE:20251101",
    ),
    _event(
        "i1",
        "Staff training",
        "CATEGORIES:INSET",
        "DTSTART;VALUE=DATE:20250903",
        "DTEND;VALUE=DATE:20250904",
    ),
    _event(
        "p1",
        "Parents' evening",
        "DTSTART;TZID=Europe/London:20251015T170000",
        "DTEND;TZID=Europe/London:20251015T200000",
    ),
)


def test_a_feed_with_two_terms_a_half_term_and_an_inset_day_becomes_a_school_entry() -> None:
    # Autumn 3 Sep–19 Dec less half term 27–31 Oct = 3 Sep–26 Oct and 1 Nov–19 Dec;
    # spring 5 Jan–27 Mar; INSET on Wed 3 Sep; the parents' evening is ignored.
    assert ics_to_calendar_dict(SCHOOL_FEED) == {
        "terms": [
            {"start": date(2025, 9, 3), "end": date(2025, 10, 26), "name": "Autumn Term (part 1)"},
            {
                "start": date(2025, 11, 1),
                "end": date(2025, 12, 19),
                "name": "Autumn Term (part 2)",
            },
            {"start": date(2026, 1, 5), "end": date(2026, 3, 27), "name": "Spring Term"},
        ],
        "closures": [date(2025, 9, 3)],
    }


def test_the_imported_entry_loads_as_a_school_override_and_counts_school_days() -> None:
    entry = ics_to_calendar_dict(SCHOOL_FEED)
    text = yaml.safe_dump(
        {
            "authority": "Testshire",
            "terms": [{"start": date(2025, 9, 1), "end": date(2025, 12, 19)}],
            "schools": {"100001": entry},
        }
    )
    school = parse_calendar(text, "imported.yaml").for_school("100001")
    assert not school.is_school_day(date(2025, 9, 3))  # INSET
    assert not school.is_school_day(date(2025, 10, 29))  # half term
    # Fri 24 Oct + 1 school day: half term 27–31 Oct, weekend 1–2 Nov, Mon 3 Nov.
    assert school.add_school_days(date(2025, 10, 24), 1).day == date(2025, 11, 3)


def test_a_half_term_recognised_by_its_summary_alone_splits_the_term() -> None:
    feed = _feed(
        _event("t1", "Summer term", "DTSTART;VALUE=DATE:20260413", "DTEND;VALUE=DATE:20260718"),
        _event("h1", "May half term", "DTSTART;VALUE=DATE:20260525", "DTEND;VALUE=DATE:20260530"),
    )
    # 13 Apr–17 Jul less 25–29 May.
    assert [(t["start"], t["end"]) for t in ics_to_calendar_dict(feed)["terms"]] == [
        (date(2026, 4, 13), date(2026, 5, 24)),
        (date(2026, 5, 30), date(2026, 7, 17)),
    ]


def test_a_multi_day_closure_adds_each_of_its_days() -> None:
    feed = _feed(
        _event("t1", "Autumn term", "DTSTART;VALUE=DATE:20250901", "DTEND;VALUE=DATE:20251220"),
        _event(
            "c1",
            "School closure (polling)",
            "DTSTART;VALUE=DATE:20251120",
            "DTEND;VALUE=DATE:20251122",
        ),
    )
    # DTEND 22 Nov exclusive: 20 and 21 Nov.
    assert ics_to_calendar_dict(feed)["closures"] == [date(2025, 11, 20), date(2025, 11, 21)]


def test_an_all_day_event_without_dtend_lasts_one_day() -> None:
    feed = _feed(
        _event("t1", "Autumn term", "DTSTART;VALUE=DATE:20250901", "DTEND;VALUE=DATE:20251220"),
        _event("i1", "INSET day", "DTSTART;VALUE=DATE:20250901"),
    )
    assert ics_to_calendar_dict(feed)["closures"] == [date(2025, 9, 1)]


def test_a_timed_training_session_is_not_a_closure() -> None:
    feed = _feed(
        _event("t1", "Autumn term", "DTSTART;VALUE=DATE:20250901", "DTEND;VALUE=DATE:20251220"),
        _event(
            "i1",
            "Twilight training day session",
            "DTSTART;TZID=Europe/London:20250910T160000",
            "DTEND;TZID=Europe/London:20250910T180000",
        ),
    )
    assert ics_to_calendar_dict(feed)["closures"] == []


def test_overlapping_term_events_are_joined_into_one_range() -> None:
    feed = _feed(
        _event("t1", "Autumn term", "DTSTART;VALUE=DATE:20250901", "DTEND;VALUE=DATE:20251025"),
        _event(
            "t2",
            "Autumn term 1 (staff)",
            "DTSTART;VALUE=DATE:20251020",
            "DTEND;VALUE=DATE:20251101",
        ),
    )
    assert ics_to_calendar_dict(feed)["terms"] == [
        {"start": date(2025, 9, 1), "end": date(2025, 10, 31), "name": "Autumn term"}
    ]


def test_a_feed_without_term_events_is_refused() -> None:
    feed = _feed(
        _event(
            "h1",
            "Half term",
            "CATEGORIES:HOLIDAY",
            "DTSTART;VALUE=DATE:20251027",
            "DTEND;VALUE=DATE:20251101",
        )
    )
    with pytest.raises(ValueError, match="no term events"):
        ics_to_calendar_dict(feed)


def test_a_recurring_term_event_is_refused() -> None:
    feed = _feed(
        _event("t1", "Term day", "DTSTART;VALUE=DATE:20250901", "RRULE:FREQ=WEEKLY;COUNT=3")
    )
    with pytest.raises(ValueError, match="RRULE"):
        ics_to_calendar_dict(feed)


def test_bytes_that_are_not_icalendar_are_refused() -> None:
    with pytest.raises(ValueError, match="not a valid iCalendar"):
        ics_to_calendar_dict(b"this is not a calendar")
