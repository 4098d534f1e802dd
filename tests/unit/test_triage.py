"""Risk triage (PROCESS.md, "Risk and priority")."""

from __future__ import annotations

import pytest

from workflows.triage import (
    HIGH_RISK_FLAGS,
    REMOVAL_BLOCKING_FLAGS,
    RISK_FLAGS,
    needs_immediate_mash_referral,
    priority,
    unknown_flags,
)

PROCESS_MD_HIGH_RISK = [
    "child_protection_plan",
    "looked_after",
    "runaway",
    "offending",
    "child_in_need",
    "domestic_abuse",
    "specific_vulnerability",
    "parental_vulnerability",
]


def test_every_flag_has_a_description() -> None:
    assert set(RISK_FLAGS) == {
        *PROCESS_MD_HIGH_RISK,
        "ehc_plan",
        "child_protection_concern",
        "allocated_social_worker",
    }
    assert all(RISK_FLAGS.values())


def test_high_risk_flags_are_all_known_flags() -> None:
    assert set(RISK_FLAGS) >= HIGH_RISK_FLAGS


@pytest.mark.parametrize(
    "flag", [*PROCESS_MD_HIGH_RISK, "child_protection_concern", "allocated_social_worker"]
)
def test_any_one_high_risk_flag_makes_the_case_high_priority(flag: str) -> None:
    assert priority([flag]) == "high"


def test_an_ehc_plan_alone_is_standard_priority() -> None:
    assert priority(["ehc_plan"]) == "standard"


def test_an_ehc_plan_blocks_removal_from_roll() -> None:
    assert "ehc_plan" in REMOVAL_BLOCKING_FLAGS


def test_no_flags_is_standard_priority() -> None:
    assert priority([]) == "standard"


def test_a_high_risk_flag_beside_an_ehc_plan_is_high_priority() -> None:
    assert priority({"ehc_plan", "runaway"}) == "high"


@pytest.mark.parametrize(
    "flag",
    [
        "child_protection_concern",
        "child_protection_plan",
        "allocated_social_worker",
        "looked_after",
    ],
)
def test_these_flags_need_an_immediate_mash_referral(flag: str) -> None:
    assert needs_immediate_mash_referral([flag])


@pytest.mark.parametrize(
    "flag",
    ["runaway", "offending", "child_in_need", "domestic_abuse", "ehc_plan"],
)
def test_other_flags_alone_do_not_need_an_immediate_mash_referral(flag: str) -> None:
    assert not needs_immediate_mash_referral([flag])


def test_unknown_flags_lists_them_in_order_without_repeats() -> None:
    assert unknown_flags(["runaway", "lookedafter", "x", "lookedafter"]) == ["lookedafter", "x"]


def test_unknown_flags_is_empty_for_known_flags() -> None:
    assert unknown_flags(["runaway", "ehc_plan"]) == []


def test_priority_refuses_a_misspelt_flag_rather_than_lowering_the_risk() -> None:
    with pytest.raises(ValueError, match="unknown risk flag\\(s\\): looked_afer"):
        priority(["looked_afer"])


def test_mash_check_refuses_an_unknown_flag() -> None:
    with pytest.raises(ValueError, match="child_protection"):
        needs_immediate_mash_referral(["child_protection"])


def test_a_single_string_is_refused_rather_than_read_as_letters() -> None:
    with pytest.raises(TypeError, match="collection of flags"):
        priority("runaway")
