"""Deletion grounds by the date of the event (LAW.md, "The regulations moved in 2024")."""

from __future__ import annotations

from datetime import date

import pytest

from workflows.regulations import (
    REGULATIONS,
    REGULATIONS_2006_2016,
    REGULATIONS_2024,
    REMOVAL_GROUND_CHOICES_2024,
    absence_ground,
    ground,
    leave_ground,
    regulations_on,
)

LAST_DAY_OF_2006_REGS = date(2024, 8, 18)
FIRST_DAY_OF_2024_REGS = date(2024, 8, 19)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2006, 9, 1), "2006-2016"),
        (date(2016, 9, 1), "2006-2016"),
        (LAST_DAY_OF_2006_REGS, "2006-2016"),
        (FIRST_DAY_OF_2024_REGS, "2024"),
        (date(2026, 11, 27), "2024"),
    ],
)
def test_the_set_in_force_is_chosen_by_the_day_of_the_event(day: date, name: str) -> None:
    assert regulations_on(day).name == name


def test_an_event_before_the_2006_regulations_has_no_set() -> None:
    with pytest.raises(LookupError, match="2006-09-01"):
        regulations_on(date(2006, 8, 31))


def test_the_2024_set_has_the_fifteen_grounds_a_to_o() -> None:
    assert tuple(REGULATIONS_2024.grounds) == tuple("abcdefghijklmno")


def test_the_2006_set_has_the_grounds_a_to_n() -> None:
    assert tuple(REGULATIONS_2006_2016.grounds) == tuple("abcdefghijklmn")


def test_the_2024_set_cites_si_2024_208() -> None:
    assert REGULATIONS_2024.citation == "SI 2024/208"
    assert REGULATIONS_2024.in_force_from == FIRST_DAY_OF_2024_REGS


def test_the_sets_are_held_by_name() -> None:
    assert REGULATIONS["2024"] is REGULATIONS_2024
    assert REGULATIONS["2006-2016"] is REGULATIONS_2006_2016


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("a", "another school"),
        ("b", "nursery"),
        ("c", "dual-registered"),
        ("d", "amended a School Attendance Order"),
        ("e", "revoked a School Attendance Order"),
        ("f", "in writing"),
        ("g", "reasonable distance"),
        ("h", "10 school days"),
        ("i", "20 school days"),
        ("j", "custody"),
        ("k", "died"),
        ("l", "compulsory school age"),
        ("m", "boarding fees"),
        ("n", "independent or non-maintained special school"),
        ("o", "permanently excluded"),
    ],
)
def test_each_2024_ground_matches_the_law_md_table(code: str, words: str) -> None:
    found = ground(code, FIRST_DAY_OF_2024_REGS)
    assert found.clause == f"reg 9(1)({code})"
    assert words in found.summary


@pytest.mark.parametrize("code", ["h", "i"])
def test_the_cme_grounds_of_2024_are_cme_relevant(code: str) -> None:
    assert REGULATIONS_2024.grounds[code].cme_relevant
    assert REGULATIONS_2024.grounds[code].cme_note == "CME"


@pytest.mark.parametrize("code", ["b", "c", "j", "k", "l", "m"])
def test_grounds_marked_with_a_dash_in_law_md_are_not_cme_relevant(code: str) -> None:
    assert not REGULATIONS_2024.grounds[code].cme_relevant
    assert REGULATIONS_2024.grounds[code].cme_note == ""


def test_the_absence_ground_is_reg_9_1_i_from_19_august_2024() -> None:
    assert absence_ground(FIRST_DAY_OF_2024_REGS).clause == "reg 9(1)(i)"


def test_the_leave_ground_is_reg_9_1_h_from_19_august_2024() -> None:
    assert leave_ground(FIRST_DAY_OF_2024_REGS).clause == "reg 9(1)(h)"


def test_the_absence_ground_is_reg_8_1_h_under_the_2006_regulations() -> None:
    assert absence_ground(LAST_DAY_OF_2006_REGS).clause == "reg 8(1)(h)"


def test_the_leave_ground_is_reg_8_1_f_under_the_2006_regulations() -> None:
    assert leave_ground(LAST_DAY_OF_2006_REGS).clause == "reg 8(1)(f)"


@pytest.mark.parametrize("day", [LAST_DAY_OF_2006_REGS, FIRST_DAY_OF_2024_REGS])
def test_the_absence_ground_mentions_20_school_days_and_joint_enquiries(day: date) -> None:
    summary = absence_ground(day).summary
    assert "20 school days" in summary
    assert "jointly" in summary


@pytest.mark.parametrize("day", [LAST_DAY_OF_2006_REGS, FIRST_DAY_OF_2024_REGS])
def test_the_leave_ground_mentions_10_school_days_and_joint_enquiries(day: date) -> None:
    summary = leave_ground(day).summary
    assert "10 school days" in summary
    assert "jointly" in summary


def test_the_same_letter_means_different_grounds_either_side_of_the_change() -> None:
    assert ground("h", LAST_DAY_OF_2006_REGS) == absence_ground(LAST_DAY_OF_2006_REGS)
    assert ground("h", FIRST_DAY_OF_2024_REGS) == leave_ground(FIRST_DAY_OF_2024_REGS)


def test_a_code_may_be_given_in_brackets_or_upper_case() -> None:
    assert ground("(I)", FIRST_DAY_OF_2024_REGS).code == "i"


def test_an_unknown_code_raises_key_error_naming_the_regulations_and_valid_codes() -> None:
    with pytest.raises(KeyError) as raised:
        ground("o", LAST_DAY_OF_2006_REGS)
    message = raised.value.args[0]
    assert "'o'" in message
    assert "reg 8(1)" in message
    assert "Education (Pupil Registration) (England) Regulations 2006" in message
    assert "a, b, c, d, e, f, g, h, i, j, k, l, m, n" in message


def test_the_removal_choices_are_the_2024_codes_a_to_o() -> None:
    assert tuple("abcdefghijklmno") == REMOVAL_GROUND_CHOICES_2024


def test_the_grounds_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        REGULATIONS_2024.grounds["p"] = REGULATIONS_2024.grounds["a"]  # type: ignore[index]
