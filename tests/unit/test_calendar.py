"""School-day and working-day calendars (engine.calendar) and the Luton calendar file."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendar import (
    CalendarSet,
    SchoolCalendar,
    TermRange,
    is_bank_holiday,
    load_calendar_file,
    parse_calendar,
    school_year,
    school_year_label,
)
from engine.errors import DefinitionError
from engine.ports import DueDate, WorkingCalendar

ROOT = Path(__file__).resolve().parents[2]
LUTON_FILE = ROOT / "workflows" / "calendars" / "luton.yaml"


@pytest.fixture(scope="module")
def luton_set() -> CalendarSet:
    return load_calendar_file(LUTON_FILE)


@pytest.fixture(scope="module")
def luton(luton_set: CalendarSet) -> SchoolCalendar:
    return luton_set.for_school(None)


@cache
def _luton() -> SchoolCalendar:
    # Hypothesis cannot take pytest fixtures per example; load once for every example.
    return load_calendar_file(LUTON_FILE).for_school(None)


def _yaml(text: str) -> str:
    return textwrap.dedent(text).lstrip()


TWO_SCHOOLS = _yaml("""
    authority: Testshire
    terms:
      - {start: 2025-09-01, end: 2025-10-24}
      - {start: 2025-11-03, end: 2025-12-19}
    closures: [2025-09-01]
    schools:
      "100001":
        terms:
          - {start: 2025-09-03, end: 2025-10-17, name: Academy autumn 1}
          - {start: 2025-11-03, end: 2025-12-19, name: Academy autumn 2}
      "100002":
        closures: [2025-09-02]
      "100003":
        closures: []
    """)


# --- the Luton 2025/26 file ------------------------------------------------------------------


def test_the_luton_file_loads_with_the_authority_name_and_no_school_overrides(
    luton_set: CalendarSet,
) -> None:
    assert luton_set.authority == "Luton"
    assert luton_set.school_ids == ()
    assert len(luton_set.content_hash) == 64


def test_the_luton_calendar_covers_1_september_2025_to_17_july_2026(luton: SchoolCalendar) -> None:
    assert luton.coverage == (date(2025, 9, 1), date(2026, 7, 17))


def test_a_school_calendar_satisfies_the_working_calendar_port(luton: SchoolCalendar) -> None:
    port: WorkingCalendar = luton
    assert port.name == "Luton"


def test_one_school_day_after_the_friday_before_autumn_half_term_is_3_november(
    luton: SchoolCalendar,
) -> None:
    # Fri 24 Oct 2025; half term Mon 27–Fri 31 Oct; next school day Mon 3 Nov.
    assert luton.add_school_days(date(2025, 10, 24), 1) == DueDate(date(2025, 11, 3))


def test_one_school_day_after_the_last_day_of_autumn_term_is_5_january(
    luton: SchoolCalendar,
) -> None:
    # Fri 19 Dec 2025; Christmas holiday (with 25, 26 Dec and 1 Jan bank holidays); Mon 5 Jan.
    assert luton.add_school_days(date(2025, 12, 19), 1) == DueDate(date(2026, 1, 5))


def test_good_friday_and_easter_monday_fall_in_the_easter_break(luton: SchoolCalendar) -> None:
    # Spring ends Fri 27 Mar 2026, summer starts Mon 13 Apr; Good Friday 3 Apr, Easter Mon 6 Apr.
    assert is_bank_holiday(date(2026, 4, 3))
    assert is_bank_holiday(date(2026, 4, 6))
    assert not luton.is_school_day(date(2026, 4, 3))
    assert not luton.is_school_day(date(2026, 4, 6))
    assert luton.add_school_days(date(2026, 3, 27), 1) == DueDate(date(2026, 4, 13))


def test_the_early_may_bank_holiday_in_term_is_not_a_school_day(luton: SchoolCalendar) -> None:
    # Mon 4 May 2026 is in Summer 1 (13 Apr–22 May) but a bank holiday: Fri 1 May + 1 = Tue 5 May.
    assert not luton.is_school_day(date(2026, 5, 4))
    assert luton.add_school_days(date(2026, 5, 1), 1) == DueDate(date(2026, 5, 5))


def test_twenty_school_days_from_3_november_2025_is_1_december(luton: SchoolCalendar) -> None:
    # After Mon 3 Nov: 4–7 Nov (4), 10–14 (9), 17–21 (14), 24–28 (19), Mon 1 Dec (20).
    assert luton.add_school_days(date(2025, 11, 3), 20) == DueDate(date(2025, 12, 1))


def test_twenty_school_days_across_autumn_half_term_skip_the_whole_week(
    luton: SchoolCalendar,
) -> None:
    # After Mon 13 Oct: 14–17 Oct (4), 20–24 (9), half term, 3–7 Nov (14), 10–14 (19), 17 Nov (20).
    assert luton.add_school_days(date(2025, 10, 13), 20).day == date(2025, 11, 17)


def test_half_term_weekdays_are_not_school_days(luton: SchoolCalendar) -> None:
    for day in (date(2025, 10, 27), date(2026, 2, 16), date(2026, 5, 26)):
        assert not luton.is_school_day(day)


def test_a_weekday_in_term_is_a_school_day_and_a_weekend_is_not(luton: SchoolCalendar) -> None:
    assert luton.is_school_day(date(2025, 11, 5))  # Wednesday
    assert not luton.is_school_day(date(2025, 11, 8))  # Saturday


def test_adding_zero_school_days_returns_the_start_even_on_a_holiday(
    luton: SchoolCalendar,
) -> None:
    assert luton.add_school_days(date(2025, 10, 28), 0) == DueDate(date(2025, 10, 28))


def test_counting_starts_after_a_non_school_day_start(luton: SchoolCalendar) -> None:
    # Sat 25 Oct 2025 (half term follows): the first school day after it is Mon 3 Nov.
    assert luton.add_school_days(date(2025, 10, 25), 1).day == date(2025, 11, 3)


def test_adding_negative_school_days_is_refused(luton: SchoolCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        luton.add_school_days(date(2025, 11, 3), -1)


def test_next_school_day_is_strictly_after_the_given_day(luton: SchoolCalendar) -> None:
    # Wed 5 Nov is itself a school day; the next one is Thu 6 Nov.
    assert luton.next_school_day(date(2025, 11, 5)).day == date(2025, 11, 6)


def test_counting_school_days_over_half_term_counts_only_term_days(luton: SchoolCalendar) -> None:
    # (Fri 24 Oct, Mon 3 Nov]: only 3 Nov.
    assert luton.count_school_days(date(2025, 10, 24), date(2025, 11, 3)) == 1


def test_counting_school_days_is_zero_when_the_end_is_not_after_the_start(
    luton: SchoolCalendar,
) -> None:
    assert luton.count_school_days(date(2025, 11, 3), date(2025, 11, 3)) == 0
    assert luton.count_school_days(date(2025, 11, 10), date(2025, 11, 3)) == 0


def test_counting_school_days_undoes_adding_them(luton: SchoolCalendar) -> None:
    due = luton.add_school_days(date(2025, 11, 3), 20).day
    assert luton.count_school_days(date(2025, 11, 3), due) == 20


def test_a_whole_luton_year_has_194_school_days_before_inset_days(luton: SchoolCalendar) -> None:
    # 195 term weekdays; the early May bank holiday (4 May) falls in term; INSET days are per
    # school, so the LA calendar alone has 194 (a school's five INSET days bring it to 189-190).
    assert luton.count_school_days(date(2025, 8, 31), date(2026, 7, 17)) == 194


def test_working_days_skip_weekends_and_bank_holidays_but_ignore_terms(
    luton: SchoolCalendar,
) -> None:
    # Fri 24 Oct 2025 + 1 working day = Mon 27 Oct (half term, but a working day).
    assert luton.add_working_days(date(2025, 10, 24), 1) == DueDate(date(2025, 10, 27))
    # Thu 24 Dec 2025 + 2: 25, 26 Dec bank holidays, weekend, Mon 29 (1), Tue 30 (2).
    assert luton.add_working_days(date(2025, 12, 24), 2) == DueDate(date(2025, 12, 30))


def test_the_late_summer_bank_holiday_2026_is_31_august() -> None:
    assert is_bank_holiday(date(2026, 8, 31))
    assert not is_bank_holiday(date(2026, 9, 1))


# --- provisional fallback --------------------------------------------------------------------


def test_counting_past_the_last_loaded_term_is_provisional_on_weekdays(
    luton: SchoolCalendar,
) -> None:
    # Fri 17 Jul 2026 is the last Luton term day; 2026/27 is not loaded. Weekdays: Mon 20 (1) …
    # Fri 24 Jul (5).
    due = luton.add_school_days(date(2026, 7, 17), 5)
    assert due == DueDate(
        date(2026, 7, 24), provisional=True, reason="no term dates loaded for 2026/27"
    )


def test_provisional_counting_skips_the_late_summer_bank_holiday(luton: SchoolCalendar) -> None:
    # From Fri 17 Jul 2026: six full weeks 20 Jul–28 Aug = 30 weekdays; Mon 31 Aug is a bank
    # holiday; Tue 1 Sep is the 31st.
    assert luton.add_school_days(date(2026, 7, 17), 30).day == date(2026, 8, 28)
    due = luton.add_school_days(date(2026, 7, 17), 31)
    assert due.day == date(2026, 9, 1)
    assert due.provisional


def test_counting_before_the_first_loaded_term_is_provisional_naming_the_year_before(
    luton: SchoolCalendar,
) -> None:
    # Wed 20 Aug 2025 + 1: Thu 21 Aug is a weekday with no term dates (2024/25 not loaded).
    due = luton.add_school_days(date(2025, 8, 20), 1)
    assert due == DueDate(
        date(2025, 8, 21), provisional=True, reason="no term dates loaded for 2024/25"
    )


def test_a_count_that_passes_only_a_weekend_outside_the_terms_is_not_provisional(
    luton: SchoolCalendar,
) -> None:
    # Fri 29 Aug 2025 + 1: Sat 30 and Sun 31 Aug cannot be school days either way; Mon 1 Sep.
    assert luton.add_school_days(date(2025, 8, 29), 1) == DueDate(date(2025, 9, 1))


def test_a_count_within_the_terms_is_never_provisional(luton: SchoolCalendar) -> None:
    # Fri 19 Dec 2025 + 40 school days stays inside 2025/26 (spring ends 27 Mar).
    assert not luton.add_school_days(date(2025, 12, 19), 40).provisional


def test_the_summer_holiday_between_two_loaded_years_is_not_provisional() -> None:
    cal = SchoolCalendar(
        "Two years",
        [
            TermRange(date(2025, 9, 1), date(2026, 7, 17)),
            TermRange(date(2026, 9, 2), date(2026, 12, 18)),
        ],
    )
    # Fri 17 Jul 2026 + 1: the summer holiday is known; Wed 2 Sep 2026.
    assert cal.add_school_days(date(2026, 7, 17), 1) == DueDate(date(2026, 9, 2))
    assert cal.covers(date(2026, 8, 3))


def test_a_missing_school_year_between_loaded_years_is_counted_provisionally() -> None:
    cal = SchoolCalendar(
        "Gap",
        [
            TermRange(date(2025, 9, 1), date(2026, 7, 17)),
            TermRange(date(2027, 9, 1), date(2027, 12, 17)),
        ],
    )
    # Fri 17 Jul 2026 + 1: 2026/27 has no term, so Mon 20 Jul counts as a weekday.
    assert cal.add_school_days(date(2026, 7, 17), 1) == DueDate(
        date(2026, 7, 20), provisional=True, reason="no term dates loaded for 2026/27"
    )
    # Mon 16 Aug 2027 is in 2027/28 (loaded) but before its first term: 2026/27 is missing.
    assert cal.add_school_days(date(2027, 8, 16), 1).reason == "no term dates loaded for 2026/27"
    assert not cal.covers(date(2027, 1, 4))


def test_covers_is_true_in_term_and_in_breaks_between_terms_only(luton: SchoolCalendar) -> None:
    assert luton.covers(date(2025, 10, 28))  # half term
    assert luton.covers(date(2026, 4, 6))  # Easter break
    assert not luton.covers(date(2025, 8, 29))
    assert not luton.covers(date(2026, 7, 20))


def test_is_school_day_is_false_where_no_term_dates_are_loaded(luton: SchoolCalendar) -> None:
    assert not luton.is_school_day(date(2026, 9, 7))


def test_counting_school_days_counts_provisional_days_as_adding_does(
    luton: SchoolCalendar,
) -> None:
    # (Fri 17 Jul 2026, Fri 24 Jul]: five provisional weekdays.
    assert luton.count_school_days(date(2026, 7, 17), date(2026, 7, 24)) == 5


def test_school_years_run_from_august_to_july() -> None:
    assert school_year(date(2026, 7, 31)) == 2025
    assert school_year(date(2026, 8, 1)) == 2026
    assert school_year_label(2026) == "2026/27"
    assert school_year_label(2099) == "2099/00"


# --- per-school overrides --------------------------------------------------------------------


def test_a_school_with_its_own_terms_counts_on_them() -> None:
    cals = parse_calendar(TWO_SCHOOLS, "test.yaml")
    academy = cals.for_school("100001")
    assert academy.name == "Testshire/school 100001"
    # The academy's autumn 1 ends Fri 17 Oct 2025; the LA's runs to 24 Oct.
    assert not academy.is_school_day(date(2025, 10, 20))
    assert cals.for_school(None).is_school_day(date(2025, 10, 20))


def test_a_school_with_its_own_terms_and_no_closures_inherits_the_authority_closures() -> None:
    cals = parse_calendar(TWO_SCHOOLS, "test.yaml")
    # The LA closes on 2025-09-01 (before the academy's term anyway); check the inherited set.
    assert cals.for_school("100001").closures == frozenset({date(2025, 9, 1)})


def test_a_school_closures_list_replaces_the_authority_closures() -> None:
    cals = parse_calendar(TWO_SCHOOLS, "test.yaml")
    school = cals.for_school("100002")
    assert school.is_school_day(date(2025, 9, 1))  # the LA's closure day does not apply
    assert not school.is_school_day(date(2025, 9, 2))  # its own does
    assert cals.for_school("100003").is_school_day(date(2025, 9, 1))  # [] replaces too


def test_an_unknown_or_missing_school_gets_the_authority_calendar() -> None:
    cals = parse_calendar(TWO_SCHOOLS, "test.yaml")
    assert cals.for_school("999999").name == "Testshire"
    assert cals.for_school(None) is cals.for_school("999999")
    assert cals.school_ids == ("100001", "100002", "100003")


def test_school_calendars_with_different_dates_have_different_content_hashes() -> None:
    cals = parse_calendar(TWO_SCHOOLS, "test.yaml")
    hashes = {cals.for_school(s).content_hash for s in (None, *cals.school_ids)}
    assert len(hashes) == 4


def test_the_content_hash_ignores_layout_and_changes_with_a_date() -> None:
    compact = parse_calendar(TWO_SCHOOLS, "a.yaml")
    spaced = parse_calendar("# comment\n\n" + TWO_SCHOOLS, "b.yaml")
    assert compact.content_hash == spaced.content_hash
    assert hash(compact) == hash(spaced)
    moved = parse_calendar(TWO_SCHOOLS.replace("2025-12-19", "2025-12-18"), "c.yaml")
    assert moved.content_hash != compact.content_hash


# --- strict loading --------------------------------------------------------------------------


def _refusal(text: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        parse_calendar(_yaml(text), "cal.yaml")
    return caught.value


def test_an_unknown_top_level_key_is_refused_naming_the_allowed_keys() -> None:
    error = _refusal("""
        authority: X
        terms: [{start: 2025-09-01, end: 2025-10-24}]
        holidays: []
        """)
    assert error.path == "holidays"
    assert error.line == 3
    assert "allowed: authority, terms, closures, schools" in error.reason


def test_an_unknown_key_in_a_term_is_refused_with_its_path() -> None:
    error = _refusal("""
        authority: X
        terms:
          - {start: 2025-09-01, end: 2025-10-24, label: Autumn}
        """)
    assert error.path == "terms[0].label"
    assert "allowed: start, end, name" in error.reason


def test_a_term_ending_before_it_starts_is_refused_with_file_path_and_line() -> None:
    error = _refusal("""
        authority: X
        terms:
          - start: 2025-09-01
            end: 2025-10-24
          - start: 2025-11-03
            end: 2025-11-02
        """)
    assert (error.source, error.path, error.line) == ("cal.yaml", "terms[1].end", 6)
    assert str(error).startswith("cal.yaml:6: at terms[1].end")


def test_overlapping_terms_are_refused() -> None:
    error = _refusal("""
        authority: X
        terms:
          - {start: 2025-09-01, end: 2025-10-24}
          - {start: 2025-10-24, end: 2025-12-19}
        """)
    assert error.path == "terms[1]"
    assert "overlaps terms[0]" in error.reason


def test_a_date_that_does_not_exist_is_refused() -> None:
    error = _refusal("""
        authority: X
        terms: [{start: 2025-09-01, end: 2025-10-24}]
        closures: [2025-02-30]
        """)
    assert error.path == "closures[0]"
    assert "not a real date" in error.reason


def test_a_date_in_another_format_is_refused() -> None:
    error = _refusal("""
        authority: X
        terms: [{start: 1/9/2025, end: 2025-10-24}]
        """)
    assert error.path == "terms[0].start"
    assert "YYYY-MM-DD" in error.reason


def test_a_missing_authority_is_refused() -> None:
    error = _refusal("""
        terms: [{start: 2025-09-01, end: 2025-10-24}]
        """)
    assert "missing required key 'authority'" in error.reason


def test_an_empty_terms_list_is_refused() -> None:
    assert _refusal("authority: X\nterms: []\n").path == "terms"


def test_an_unknown_key_in_a_school_override_is_refused() -> None:
    error = _refusal("""
        authority: X
        terms: [{start: 2025-09-01, end: 2025-10-24}]
        schools:
          "100001": {inset: [2025-09-01]}
        """)
    assert error.path == "schools.100001.inset"
    assert error.line == 4


def test_broken_yaml_is_refused_with_its_line() -> None:
    error = _refusal("""
        authority: X
        terms: [{start: 2025-09-01, end: 2025-10-24}
        closures: []
        """)
    assert error.line is not None
    assert "not valid YAML" in error.reason


def test_an_empty_file_is_refused() -> None:
    assert "empty" in _refusal("").reason


def test_a_bad_calendar_file_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("authority: X\nterms: [{start: 2025-09-01, end: 2025-08-01}]\n")
    with pytest.raises(DefinitionError) as caught:
        load_calendar_file(path)
    assert caught.value.source == str(path)
    assert caught.value.line == 2
    assert str(path) in str(caught.value)


def test_a_missing_calendar_file_is_a_definition_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="cannot read"):
        load_calendar_file(tmp_path / "absent.yaml")


# --- properties ------------------------------------------------------------------------------

LUTON_TERM_DAYS = st.dates(min_value=date(2025, 9, 1), max_value=date(2026, 5, 1))
ANY_DAYS = st.dates(min_value=date(2024, 6, 1), max_value=date(2027, 12, 31))
COUNTS = st.integers(min_value=0, max_value=40)


@settings(max_examples=200, deadline=None)
@given(start=LUTON_TERM_DAYS, n=COUNTS, m=COUNTS)
def test_adding_school_days_in_two_steps_equals_adding_them_at_once(
    start: date, n: int, m: int
) -> None:
    cal = _luton()
    assert (
        cal.add_school_days(cal.add_school_days(start, n).day, m).day
        == cal.add_school_days(start, n + m).day
    )


@settings(max_examples=200, deadline=None)
@given(start=ANY_DAYS, n=COUNTS, m=COUNTS)
def test_two_step_adding_is_provisional_exactly_when_one_step_is(
    start: date, n: int, m: int
) -> None:
    cal = _luton()
    first = cal.add_school_days(start, n)
    second = cal.add_school_days(first.day, m)
    whole = cal.add_school_days(start, n + m)
    assert second.day == whole.day
    assert whole.provisional == (first.provisional or second.provisional)


@settings(max_examples=200, deadline=None)
@given(start=ANY_DAYS, n=st.integers(min_value=1, max_value=40))
def test_a_due_date_is_later_than_the_start_and_a_school_day_unless_provisional(
    start: date, n: int
) -> None:
    cal = _luton()
    due = cal.add_school_days(start, n)
    assert due.day > start
    assert cal.is_school_day(due.day) or due.provisional


@settings(max_examples=200, deadline=None)
@given(start=ANY_DAYS, n=COUNTS)
def test_counting_up_to_a_due_date_gives_back_the_days_added(start: date, n: int) -> None:
    cal = _luton()
    assert cal.count_school_days(start, cal.add_school_days(start, n).day) == n


@settings(max_examples=100, deadline=None)
@given(start=ANY_DAYS, n=COUNTS)
def test_a_working_day_count_never_lands_on_a_weekend_or_bank_holiday(start: date, n: int) -> None:
    due = _luton().add_working_days(start, n).day
    if n:
        assert due.weekday() < 5
        assert not is_bank_holiday(due)
    assert due - start >= timedelta(days=n)


# --- uncovered_school_years: the years a counted range needs term dates for -------------------


def test_a_range_inside_loaded_terms_and_breaks_touches_no_uncovered_year(
    luton: SchoolCalendar,
) -> None:
    # Autumn 2025 across the October half term and Christmas: all covered.
    assert luton.uncovered_school_years(date(2025, 9, 29), date(2026, 2, 20)) == ()


def test_a_range_into_2026_27_names_that_year(luton: SchoolCalendar) -> None:
    # Luton's file ends Fri 17 Jul 2026: the days after it need 2026/27's dates.
    assert luton.uncovered_school_years(date(2026, 7, 1), date(2026, 7, 20)) == (2026,)
    assert luton.uncovered_school_years(date(2026, 11, 2), date(2026, 12, 3)) == (2026,)


def test_a_range_over_several_missing_years_names_each_once_in_order(
    luton: SchoolCalendar,
) -> None:
    assert luton.uncovered_school_years(date(2024, 6, 3), date(2027, 10, 1)) == (
        2023,
        2024,
        2026,
        2027,
    )


def test_a_missing_year_between_loaded_years_is_named() -> None:
    cal = SchoolCalendar(
        "Gap",
        [
            TermRange(date(2025, 9, 1), date(2026, 7, 17)),
            TermRange(date(2027, 9, 1), date(2027, 12, 17)),
        ],
    )
    assert cal.uncovered_school_years(date(2026, 7, 1), date(2027, 10, 1)) == (2026,)
    assert cal.uncovered_school_years(date(2027, 9, 1), date(2027, 10, 1)) == ()


def test_an_empty_range_touches_no_year(luton: SchoolCalendar) -> None:
    assert luton.uncovered_school_years(date(2026, 12, 3), date(2026, 12, 1)) == ()


@settings(max_examples=200, deadline=None)
@given(
    first=st.dates(date(2024, 1, 1), date(2028, 12, 31)),
    length=st.integers(0, 500),
)
def test_uncovered_school_years_agrees_with_covers_day_by_day(first: date, length: int) -> None:
    cal = _luton()
    last = first + timedelta(days=length)
    expected = set()
    day = first
    while day <= last:
        if not cal.covers(day):
            expected.add(cal._missing_year(day))
        day += timedelta(days=1)
    assert cal.uncovered_school_years(first, last) == tuple(sorted(y for y in expected if y))
