"""Compulsory school age, Education Act 1996 s8 (LAW.md, "Compulsory school age")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.school_age import (
    SchoolAgeSpan,
    birthday,
    compulsory_school_age,
    is_of_compulsory_school_age,
    school_age_refusal,
)

dates_of_birth = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@pytest.mark.parametrize(
    ("born", "starts"),
    [
        (date(2019, 2, 10), date(2024, 3, 31)),
        (date(2007, 9, 23), date(2012, 12, 31)),
        (date(2019, 4, 1), date(2024, 8, 31)),
        (date(2019, 9, 1), date(2024, 12, 31)),
    ],
)
def test_the_law_md_start_dates_hold(born: date, starts: date) -> None:
    assert compulsory_school_age(born).starts == starts


@pytest.mark.parametrize(
    ("born", "ends"),
    [
        (date(2019, 2, 10), date(2035, 6, 29)),
        (date(2007, 9, 23), date(2024, 6, 28)),
        (date(2019, 9, 1), date(2036, 6, 27)),
    ],
)
def test_the_law_md_end_dates_hold(born: date, ends: date) -> None:
    assert compulsory_school_age(born).ends == ends


def test_a_fifth_birthday_on_a_prescribed_day_starts_compulsory_school_age_that_day() -> None:
    assert compulsory_school_age(date(2019, 3, 31)).starts == date(2024, 3, 31)


def test_a_child_born_on_31_august_leaves_with_the_year_group_turning_16_that_summer() -> None:
    # Turns 16 on 2035-08-31, the last day of school year 2034/35.
    assert compulsory_school_age(date(2019, 8, 31)).ends == date(2035, 6, 29)


def test_a_29_february_birthday_is_reached_on_1_march_in_a_common_year() -> None:
    assert birthday(date(2020, 2, 29), 5) == date(2025, 3, 1)
    assert birthday(date(2020, 2, 29), 16) == date(2036, 2, 29)


def test_a_child_born_on_29_february_starts_on_31_march() -> None:
    assert compulsory_school_age(date(2020, 2, 29)) == SchoolAgeSpan(
        starts=date(2025, 3, 31), ends=date(2036, 6, 27)
    )


def test_a_child_is_of_compulsory_school_age_on_the_first_and_last_days() -> None:
    born = date(2019, 2, 10)
    assert is_of_compulsory_school_age(born, date(2024, 3, 31))
    assert is_of_compulsory_school_age(born, date(2035, 6, 29))


def test_a_child_is_not_of_compulsory_school_age_the_day_before_it_starts() -> None:
    assert not is_of_compulsory_school_age(date(2019, 2, 10), date(2024, 3, 30))


def test_a_child_is_not_of_compulsory_school_age_the_day_after_it_ends() -> None:
    assert not is_of_compulsory_school_age(date(2007, 9, 23), date(2024, 6, 29))


def test_the_refusal_for_a_child_too_young_gives_the_start_and_cites_s8() -> None:
    assert school_age_refusal(date(2019, 2, 10), date(2024, 1, 15)) == (
        "not yet of compulsory school age: it starts on 2024-03-31 (Education Act 1996 s8)"
    )


def test_the_refusal_for_a_child_too_old_gives_the_end_and_cites_s8() -> None:
    assert school_age_refusal(date(2007, 9, 23), date(2024, 9, 2)) == (
        "no longer of compulsory school age: it ended on 2024-06-28 (Education Act 1996 s8)"
    )


def test_there_is_no_refusal_for_a_child_of_compulsory_school_age() -> None:
    assert school_age_refusal(date(2015, 5, 5), date(2025, 11, 3)) is None


@given(dates_of_birth)
def test_the_start_is_always_a_prescribed_day(born: date) -> None:
    starts = compulsory_school_age(born).starts
    assert (starts.month, starts.day) in {(12, 31), (3, 31), (8, 31)}


@given(dates_of_birth)
def test_the_start_is_on_or_after_the_5th_birthday_and_within_a_year_of_it(born: date) -> None:
    fifth = birthday(born, 5)
    starts = compulsory_school_age(born).starts
    assert fifth <= starts < birthday(born, 6)


@given(dates_of_birth)
def test_the_start_is_the_first_prescribed_day_on_or_after_the_5th_birthday(born: date) -> None:
    fifth = birthday(born, 5)
    starts = compulsory_school_age(born).starts
    day = fifth
    while day < starts:
        assert (day.month, day.day) not in {(12, 31), (3, 31), (8, 31)}
        day += timedelta(days=1)


@given(dates_of_birth)
def test_the_end_is_always_the_last_friday_in_june(born: date) -> None:
    ends = compulsory_school_age(born).ends
    assert ends.month == 6
    assert ends.weekday() == 4
    assert (ends + timedelta(days=7)).month == 7


@given(dates_of_birth)
def test_the_end_falls_in_the_school_year_in_which_the_child_turns_16(born: date) -> None:
    ends = compulsory_school_age(born).ends
    sixteenth = birthday(born, 16)
    school_year_start = date(ends.year - 1, 9, 1)
    assert school_year_start <= sixteenth <= date(ends.year, 8, 31)
