"""Term-date feeds and calendar files that must be refused, never imported or crashed on
(issue 13, items 6 and 11), and property tests: arbitrary bytes never give a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cme.ical import MAX_SPAN_DAYS, ics_to_calendar_dict
from engine.calendar import load_calendar_file, parse_calendar
from engine.errors import DefinitionError


def feed(*lines: str, summary: str = "Autumn term") -> bytes:
    body = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Test School//Terms//EN",
        "BEGIN:VEVENT",
        "UID:t1",
        f"SUMMARY:{summary}",
        *lines,
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(body) + "\r\n").encode()


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        (
            ("DTSTART;VALUE=DATE:20250901", "DTEND;VALUE=DATE:20250801"),
            "ends (DTEND 2025-08-01) before it starts (DTSTART 2025-09-01)",
        ),
        (
            ("DTSTART:20250901T090000Z", "DTEND:20250901T080000Z"),
            "before it starts",
        ),
        (("DTSTART;VALUE=DATE:20250901", "DURATION:-P10D"), "negative DURATION '-P10D'"),
        (
            ("DTSTART;VALUE=DATE:00010101", "DTEND;VALUE=DATE:99991231"),
            "DTSTART 0001-01-01 is outside the plausible years 2000-2100",
        ),
        (
            ("DTSTART;VALUE=DATE:20250901", "DTEND;VALUE=DATE:20270901"),
            f"spans 730 days; no term, holiday or closure lasts more than {MAX_SPAN_DAYS}",
        ),
        (("DTSTART;VALUE=DATE:20250901", "DURATION:P3000D"), "spans 3000 days"),
        (
            ("DTSTART;VALUE=DATE:20260230", "DTEND;VALUE=DATE:20260305"),
            "DTSTART '20260230' is not a real date",
        ),
        (
            ("DTSTART;VALUE=DATE:20250901", "DTEND:20251220T120000Z"),
            "mix a date and a date-time",
        ),
        (
            ("DTSTART:20250901T080000Z", "DTEND;VALUE=DATE:20251220"),
            "mix a date and a date-time",
        ),
        (("DTSTART:soon", "DTEND;VALUE=DATE:20251220"), "DTSTART 'soon' is not a real date"),
    ],
)
def test_a_term_event_that_cannot_be_a_term_is_refused_naming_it(
    lines: tuple[str, ...], words: str
) -> None:
    with pytest.raises(ValueError, match="event 'Autumn term'") as refused:
        ics_to_calendar_dict(feed(*lines))
    assert words in str(refused.value)


def test_a_holiday_or_closure_spanning_centuries_is_refused_at_once() -> None:
    """It used to run for minutes, day by day."""
    for summary in ("Half term", "INSET day"):
        with pytest.raises(ValueError, match="outside the plausible years"):
            ics_to_calendar_dict(
                feed("DTSTART;VALUE=DATE:20000101", "DTEND;VALUE=DATE:99991231", summary=summary)
            )


def test_an_event_ending_as_it_starts_is_still_one_day() -> None:
    entry = ics_to_calendar_dict(feed("DTSTART;VALUE=DATE:20250901", "DTEND;VALUE=DATE:20250901"))
    assert [(t["start"].isoformat(), t["end"].isoformat()) for t in entry["terms"]] == [
        ("2025-09-01", "2025-09-01")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        "{a: " * 5000 + "1" + "}" * 5000,
        "authority: x\nterms: " + "[" * 5000,
        "- " * 5000 + "x",
    ],
)
def test_deeply_nested_calendar_yaml_is_refused_not_a_traceback(text: str) -> None:
    with pytest.raises(DefinitionError, match="luton.yaml") as refused:
        parse_calendar(text, "luton.yaml")
    assert "not valid YAML" in str(refused.value) or "must be" in str(refused.value)


# --- property tests: the default hypothesis profile (CI size; `make fuzz` raises it) ----------
ICS_LINES = st.sampled_from(
    [
        "BEGIN:VEVENT",
        "END:VEVENT",
        "SUMMARY:Autumn term",
        "SUMMARY:Half term",
        "SUMMARY:INSET day",
        "CATEGORIES:HOLIDAY,INSET",
        "DTSTART;VALUE=DATE:20250901",
        "DTEND;VALUE=DATE:20251220",
        "DTSTART:20250901T080000Z",
        "DTEND;TZID=Europe/London:20251220T120000",
        "DTSTART;TZID=Nowhere/Else:20250901T080000",
        "DURATION:P1D",
        "DURATION:-PT1H",
        "RRULE:FREQ=WEEKLY",
        "DTSTART;VALUE=PERIOD:20250901T080000Z/PT1H",
        "DTEND;VALUE=DATE:20260230",
    ]
)
DATES = st.sampled_from(
    [
        ";VALUE=DATE:20250901",
        ";VALUE=DATE:20251220",
        ";VALUE=DATE:20260230",
        ";VALUE=DATE:00010101",
        ":20250901T080000Z",
        ":20251220T120000",
        ";TZID=Europe/London:20251027T000000",
        ":soon",
        "",
    ]
)
EVENTS = st.builds(
    lambda summary, start, end, extra: "\r\n".join(
        [
            "BEGIN:VEVENT",
            f"SUMMARY:{summary}",
            f"DTSTART{start}",
            f"DTEND{end}",
            *extra,
            "END:VEVENT",
        ]
    ),
    st.sampled_from(["Autumn term", "Half term", "INSET day", "Trip"]),
    DATES,
    DATES,
    st.lists(st.one_of(ICS_LINES, st.text(max_size=20)), max_size=3),
)
ICS_DOCS = st.one_of(
    st.binary(max_size=400),
    st.lists(st.one_of(ICS_LINES, EVENTS, st.text(max_size=30)), max_size=8).map(
        lambda lines: "\r\n".join(["BEGIN:VCALENDAR", *lines, "END:VCALENDAR"]).encode(
            "utf-8", "surrogatepass"
        )
    ),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ICS_DOCS)
def test_no_bytes_make_the_ics_reader_raise_anything_but_a_refusal(data: bytes) -> None:
    try:
        entry = ics_to_calendar_dict(data)
    except ValueError:
        return
    for term in entry["terms"]:
        assert term["start"] <= term["end"]
        assert (term["end"] - term["start"]).days < MAX_SPAN_DAYS


CALENDAR_PIECES = st.sampled_from(
    [
        "authority: Luton\n",
        "terms:\n",
        "  - {start: 2025-09-01, end: 2025-10-24, name: Autumn 1}\n",
        "  - {start: 2025-10-01, end: 2025-09-24}\n",
        "closures: [2025-02-30]\n",
        "schools: {'1': {terms: [], closures: []}}\n",
        "[",
        "{",
        "&a ",
        "*a ",
        "!!python/object:os.system ",
        "? ",
        "- ",
        "\t",
        "\x00",
        "\ufeff",
        "%YAML 1.1\n",
        "---\n",
    ]
)
CALENDAR_DOCS = st.one_of(
    st.binary(max_size=300),
    st.lists(
        st.one_of(
            CALENDAR_PIECES,
            st.text(max_size=12),
            st.tuples(st.sampled_from("[{"), st.integers(1, 1200)).map(lambda p: p[0] * p[1]),
        ),
        max_size=16,
    ).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CALENDAR_DOCS)
def test_no_bytes_make_the_calendar_reader_raise_anything_but_a_refusal(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calendar.yaml"
        path.write_bytes(data)
        problem = ""
        try:
            load_calendar_file(path)
        except DefinitionError as exc:
            problem = str(exc)
        assert not problem or str(path) in problem
