"""Evidence dates and times are plausible, stored with 4-digit years, and read back safely
(issue 13 items 3, 14 and 15), on the engine with the fakes (the clock at Mon 3 Nov 2025).

The probe: `--set visited_at=0202-12-01T09:30` was stored as "202-12-01T09:31:15.000000Z"
and every later visit step failed with a traceback.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from engine.definition import FieldDef, FieldType
from engine.errors import EvidenceInvalid, StoredValueInvalid
from engine.evidence import (
    CLOCK_TOLERANCE,
    EvidenceWindow,
    ValueRefused,
    format_utc,
    parse_utc,
    parse_value,
)
from tests.workflows.conftest import Desk

NOW = datetime(2025, 11, 3, 10, 0, tzinfo=UTC)
WHEN = FieldDef("visited_at", FieldType.DATETIME, "When")
DAY = FieldDef("made_on", FieldType.DATE, "On")
FLAGS = FieldDef("risk_flags", FieldType.CHOICES, "Flags", ("runaway", "looked_after"))
OFFICER = FieldDef("officer", FieldType.TEXT, "Officer", max_length=200)
SUMMARY = FieldDef("summary", FieldType.TEXT, "Summary")


def visit(**changes: str) -> dict[str, str]:
    return {"visited_at": "2025-11-03T09:30", "officer": "Bob", "outcome": "no_contact", **changes}


def problems(exc: pytest.ExceptionInfo[EvidenceInvalid]) -> dict[str, str]:
    return {p.field: p.rule for p in exc.value.problems}


# --- item 3: a mistyped year ----------------------------------------------------------------
def test_a_three_digit_year_is_refused_naming_the_window(desk: Desk) -> None:
    case_id = desk.open_school().case.id  # first absence Mon 29 Sep 2025
    desk.to_enquiries(case_id)
    desk.at("2025-11-03T10:00")

    with desk.nothing_written(case_id), pytest.raises(EvidenceInvalid) as e:
        desk.do(case_id, "record_first_visit", **visit(visited_at="0202-12-01T09:30"))

    assert problems(e) == {
        "visited_at": "cannot be before 2024-09-29 (a year before the first day of absence "
        "(2025-09-29)): check the year (got 0202-12-01)"
    }


def test_evidence_before_the_childs_birth_is_refused(desk: Desk) -> None:
    case_id = desk.open_out_of_school().case.id  # born 10 Feb 2013, no first absence
    desk.do(case_id, "begin_database_search")
    with desk.nothing_written(case_id), pytest.raises(EvidenceInvalid) as e:
        desk.do(
            case_id,
            "record_database_search",
            searched_on="2012-01-01",
            search_result="no_record",
            contacted_on="2025-11-03",
            enters_cme="yes",
        )

    assert problems(e)["searched_on"].startswith(
        "cannot be before 2013-02-10 (the child's date of birth)"
    )


def test_stored_times_always_have_four_digit_years() -> None:
    assert format_utc(datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == (
        "0999-01-02T03:04:05.000006Z"
    )
    assert parse_utc(format_utc(datetime(202, 12, 1, 9, 30, tzinfo=UTC))).year == 202


def test_a_stored_time_that_cannot_be_read_is_reported_not_a_traceback(desk: Desk) -> None:
    """A case an older version wedged: its first visit was stored with a 3-digit year."""
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)
    desk.at("2025-11-03T10:00")
    desk.do(case_id, "record_first_visit", **visit())
    events = desk.store.events[case_id]
    legacy = replace(
        events[-1], evidence={**events[-1].evidence, "visited_at": "202-12-01T09:31:15.000000Z"}
    )
    events[-1] = legacy
    desk.at("2025-11-04T15:00")

    with desk.nothing_written(case_id), pytest.raises(StoredValueInvalid) as e:
        desk.do(case_id, "record_second_visit", **visit(visited_at="2025-11-04T14:00"))

    message = str(e.value)
    assert "Case CME-000001" in message
    assert "visited_at '202-12-01T09:31:15.000000Z'" in message
    assert f"event {legacy.seq}, record_first_visit" in message


# --- the future and the clock's tolerance -----------------------------------------------------
def test_a_time_within_the_clock_tolerance_is_accepted_beyond_it_refused() -> None:
    assert timedelta(minutes=5) == CLOCK_TOLERANCE
    ahead = (NOW + timedelta(minutes=4)).isoformat()
    assert parse_value(WHEN, ahead, NOW) == "2025-11-03T10:04:00.000000Z"
    with pytest.raises(ValueRefused, match="more than 5 minutes ahead of the server's clock"):
        parse_value(WHEN, (NOW + timedelta(minutes=6)).isoformat(), NOW)


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:59-14:00",
        "0001-01-01T00:00+14:00",
        "0001-01-01T00:00",
        "9999-12-31T23:59:59.999999-23:59",
    ],
)
def test_times_at_the_edges_of_the_calendar_are_refused(text: str) -> None:
    with pytest.raises(ValueRefused):
        parse_value(WHEN, text, NOW)


# --- item 15: only YYYY-MM-DD -----------------------------------------------------------------
@pytest.mark.parametrize(
    "raw", ["2025-W44-1", "20251103", 20251103, True, "2025-11-3", "2025-13-01"]
)
def test_a_date_is_only_yyyy_mm_dd(raw: object) -> None:
    with pytest.raises(ValueRefused, match="must be a date as YYYY-MM-DD"):
        parse_value(DAY, raw, NOW)


@pytest.mark.parametrize("raw", ["2025-W44-1T09:00", "20251103T0930", 1762160000])
def test_a_date_and_time_is_only_iso(raw: object) -> None:
    with pytest.raises(ValueRefused, match="must be a date and time as YYYY-MM-DDTHH:MM"):
        parse_value(WHEN, raw, NOW)


def test_a_date_without_a_time_asks_for_the_time_of_day() -> None:
    with pytest.raises(ValueRefused, match="give the time of day as well as the date"):
        parse_value(WHEN, "2025-11-03", NOW)


def test_a_date_before_the_window_is_refused() -> None:
    window = EvidenceWindow(datetime(2014, 5, 1).date(), "the child's date of birth")
    with pytest.raises(ValueRefused, match=r"cannot be before 2014-05-01 \(the child's"):
        parse_value(DAY, "2014-04-30", NOW, window)
    assert parse_value(DAY, "2014-05-01", NOW, window) == "2014-05-01"


def test_risk_flags_of_only_commas_are_refused_none_clears() -> None:
    with pytest.raises(ValueRefused, match="names no value"):
        parse_value(FLAGS, ",,,", NOW)
    assert parse_value(FLAGS, "none", NOW) == []
    assert parse_value(FLAGS, "runaway,,looked_after", NOW) == ["runaway", "looked_after"]


# --- item 14: control and invisible characters ------------------------------------------------
@pytest.mark.parametrize("char", ["\u0085", "\u202e", "\u200b", "\u2028", "\r\n", "\n", "\x1b"])
def test_single_line_evidence_refuses_control_and_invisible_characters(char: str) -> None:
    with pytest.raises(ValueRefused, match="must not contain control or invisible"):
        parse_value(OFFICER, f"Bob{char}Visitor", NOW)


def test_multi_line_evidence_keeps_line_feeds_and_refuses_the_rest() -> None:
    assert parse_value(SUMMARY, "rang twice\r\nno answer", NOW) == "rang twice\nno answer"
    with pytest.raises(ValueRefused, match="U\\+202E"):
        parse_value(SUMMARY, "rang \u202etwice", NOW)


def test_text_is_normalised_to_nfc() -> None:
    assert parse_value(OFFICER, "Zoe\u0301", NOW) == "Zo\u00e9"
