"""Unique Pupil Number: normalising, check letter and validation (LAW.md, "UPN")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.upn import CHECK_LETTERS, check_letter, is_valid_upn, normalise_upn, validate_upn

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

digits = st.text(alphabet="0123456789", min_size=11, max_size=11)
last_character = st.sampled_from("0123456789" + CHECK_LETTERS)
bodies = st.builds(lambda head, last: head + last, digits, last_character)


@pytest.mark.parametrize(
    ("upn", "reason"),
    [
        ("H801200001001", None),
        ("Z801200001001", "UPN check letter should be H, not Z"),
        ("G80120000101A", None),
        ("B801200005001", None),
        ("A801200005001", "UPN check letter should be B, not A"),
    ],
)
def test_the_law_md_cases_validate_as_stated(upn: str, reason: str | None) -> None:
    assert validate_upn(upn) == reason


@pytest.mark.parametrize(
    ("body", "letter"),
    [("801200001001", "H"), ("80120000101A", "G"), ("801200005001", "B")],
)
def test_check_letter_weights_characters_2_to_13_by_2_to_13_mod_23(body: str, letter: str) -> None:
    assert check_letter(body) == letter


def test_a_final_letter_counts_by_its_position_in_the_check_letter_table() -> None:
    # 80120000101A: 8*2 + 1*4 + 2*5 + 1*10 + 1*12 + 0*13 = 52; 52 mod 23 = 6 -> G.
    assert check_letter("80120000101A") == "G"
    # Z is position 22: 52 + 22*13 = 338; 338 mod 23 = 16 -> T.
    assert check_letter("80120000101Z") == "T"


def test_a_upn_of_the_wrong_length_is_refused_with_its_length() -> None:
    assert validate_upn("H80120000100") == "UPN must be 13 characters (got 12)"


def test_an_empty_upn_is_refused_as_empty() -> None:
    assert validate_upn("   ") == "UPN is empty (leave it out when it is not known)"


def test_a_letter_inside_the_number_is_refused() -> None:
    assert validate_upn("H8012000X1001") == (
        "characters 2-13 must be digits (the last may be a letter for a temporary UPN)"
    )


@pytest.mark.parametrize("first", ["I", "O", "S"])
def test_i_o_and_s_are_never_accepted_as_the_check_letter(first: str) -> None:
    assert validate_upn(first + "801200001001") == (
        f"UPN check letter cannot be I, O or S (got {first}); it should be H"
    )


@pytest.mark.parametrize("last", ["I", "O", "S"])
def test_a_temporary_upn_cannot_end_in_i_o_or_s(last: str) -> None:
    assert validate_upn("G80120000101" + last) == (
        f"the last character of a temporary UPN cannot be I, O or S (got {last})"
    )


def test_a_digit_in_place_of_the_check_letter_is_refused_naming_the_right_letter() -> None:
    assert validate_upn("8801200001001") == (
        "the first character of a UPN must be its check letter (should be H)"
    )


def test_lower_case_and_spaces_are_normalised_before_validation() -> None:
    assert validate_upn(" h801 2000 01001 ") is None


def test_normalise_upn_removes_whitespace_and_upper_cases() -> None:
    assert normalise_upn(" g801\t20000101a\n") == "G80120000101A"


def test_is_valid_upn_agrees_with_validate_upn() -> None:
    assert is_valid_upn("H801200001001")
    assert not is_valid_upn("Z801200001001")


def test_check_letter_refuses_a_malformed_body() -> None:
    with pytest.raises(ValueError, match="characters 2-13 must be digits"):
        check_letter("8012000010")


def test_check_letter_never_returns_i_o_or_s() -> None:
    assert not set("IOS") & set(CHECK_LETTERS)
    assert len(CHECK_LETTERS) == 23


@given(bodies)
def test_every_body_with_its_computed_check_letter_is_valid(body: str) -> None:
    assert validate_upn(check_letter(body) + body) is None


@given(bodies, st.sampled_from(ALPHABET))
def test_any_other_check_letter_is_refused(body: str, letter: str) -> None:
    right = check_letter(body)
    if letter == right:
        return
    assert validate_upn(letter + body) is not None


@given(st.text())
def test_validate_upn_never_raises_on_any_text(text: str) -> None:
    result = validate_upn(text)
    assert result is None or isinstance(result, str)
