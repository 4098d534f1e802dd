"""Opening a case: referrals refused with the field and the rule, or accepted and triaged.

The desk's clock reads Mon 3 Nov 2025, so "today" below is 2025-11-03.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from engine import Actor, OpeningRefused
from engine.errors import FieldProblem
from workflows.triage import RISK_FLAGS

if TYPE_CHECKING:
    from tests.workflows.conftest import Desk

CMEO = Actor("alice", "cmeo")


def refused(desk: Desk, workflow: str, referral: dict[str, Any]) -> tuple[FieldProblem, ...]:
    with pytest.raises(OpeningRefused) as e:
        desk.engine.open_case(workflow, referral, CMEO)
    assert desk.store.cases == {}, "a refused referral must write nothing"
    return e.value.problems


def with_child(desk: Desk, **child: Any) -> dict[str, Any]:
    referral = desk.school_referral()
    referral["child"].update(child)
    return referral


# --- refused -------------------------------------------------------------------------------
def test_a_child_not_yet_of_compulsory_school_age_is_refused_saying_when_it_starts(
    desk: Desk,
) -> None:
    # Born 1 Jan 2021: 5 on 1 Jan 2026; the next prescribed day is 31 Mar 2026 (s8(2)).
    referral = with_child(desk, date_of_birth="2021-01-01")

    assert refused(desk, "school-referral", referral) == (
        FieldProblem(
            "child.date_of_birth",
            "not yet of compulsory school age: it starts on 2026-03-31 (Education Act 1996 "
            "s8) - no CME case is opened",
        ),
    )


def test_a_child_past_compulsory_school_age_is_refused_saying_when_it_ended(
    desk: Desk,
) -> None:
    # Born 1 May 2009: 16 on 1 May 2025; the last Friday of June 2025 is the 27th (s8(3)).
    referral = with_child(desk, date_of_birth="2009-05-01")

    assert refused(desk, "school-referral", referral) == (
        FieldProblem(
            "child.date_of_birth",
            "no longer of compulsory school age: it ended on 2025-06-27 (Education Act 1996 "
            "s8) - no CME case is opened",
        ),
    )


def test_a_upn_with_the_wrong_check_letter_is_refused(desk: Desk) -> None:
    referral = with_child(desk, upn="Z801200001001")

    assert refused(desk, "school-referral", referral) == (
        FieldProblem("child.upn", "UPN check letter should be H, not Z"),
    )


def test_an_unknown_risk_flag_is_refused_listing_the_known_ones(desk: Desk) -> None:
    referral = desk.school_referral(risk_flags=["runaway", "gang_affiliation"])

    assert refused(desk, "school-referral", referral) == (
        FieldProblem(
            "risk_flags",
            f"unknown flag 'gang_affiliation' (known: {', '.join(RISK_FLAGS)})",
        ),
    )


def test_a_referral_without_a_referrer_is_refused(desk: Desk) -> None:
    referral = desk.school_referral()
    del referral["referrer"]

    assert refused(desk, "school-referral", referral) == (
        FieldProblem("referrer", "is required: who referred the child (name, organisation)"),
    )


def test_an_unknown_top_level_key_is_refused_listing_the_allowed_ones(desk: Desk) -> None:
    referral = desk.school_referral(favourite_colour="blue")

    assert refused(desk, "school-referral", referral) == (
        FieldProblem(
            "favourite_colour",
            "is not a known field (allowed: child, first_absence_date, leave_end_date, notes, "
            "parents, primary_reason, reason, referrer, risk_flags, school, siblings)",
        ),
    )


def test_a_date_of_birth_in_the_future_is_refused(desk: Desk) -> None:
    referral = with_child(desk, date_of_birth="2026-01-01")

    assert refused(desk, "school-referral", referral) == (
        FieldProblem("child.date_of_birth", "cannot be in the future (today is 2025-11-03)"),
    )


def test_a_school_referral_without_a_first_day_of_absence_is_refused(desk: Desk) -> None:
    referral = desk.school_referral()
    del referral["first_absence_date"]

    assert refused(desk, "school-referral", referral) == (
        FieldProblem(
            "first_absence_date",
            "is required for a school referral (or leave_end_date when the pupil did not "
            "return from agreed leave)",
        ),
    )


def test_a_school_referral_without_a_school_is_refused(desk: Desk) -> None:
    referral = desk.school_referral()
    del referral["school"]

    assert refused(desk, "school-referral", referral) == (
        FieldProblem("school", "is required: the school reporting the pupil"),
    )


def test_every_problem_is_listed_in_one_refusal(desk: Desk) -> None:
    referral = desk.school_referral(risk_flags=["gang_affiliation"])
    referral["child"]["upn"] = "Z801200001001"
    del referral["first_absence_date"]

    assert [p.field for p in refused(desk, "school-referral", referral)] == [
        "child.upn",
        "first_absence_date",
        "risk_flags",
    ]


# --- accepted ------------------------------------------------------------------------------
def test_a_referral_without_a_upn_is_accepted(desk: Desk) -> None:
    referral = desk.school_referral()
    del referral["child"]["upn"]

    case_id = desk.engine.open_case("school-referral", referral, CMEO).case.id

    assert desk.store.children[case_id] == {
        "forename": "Sam",
        "surname": "Example",
        "date_of_birth": "2014-05-01",
    }


def test_the_childs_identity_is_kept_apart_from_the_case_facts(desk: Desk) -> None:
    applied = desk.open_school()

    assert applied.case.facts == {
        "school": {"id": "8212001", "name": "Example Primary"},
        "first_absence_date": "2025-09-29",
        "reason": "did not return after the weekend",
        "risk_flags": [],
        "referrer": {
            "name": "Ms Head",
            "organisation": "Example Primary",
            "email": "head@example.sch.uk",
        },
        # the end of compulsory school age (s8(3)), a deadline's anchor, not the birth date:
        # every child of the same school year shares it
        "compulsory_school_age_ends": "2030-06-28",
    }


def test_an_out_of_school_referral_needs_no_school_or_absence_date(desk: Desk) -> None:
    applied = desk.open_out_of_school()

    assert (applied.case.workflow, applied.case.state) == ("out-of-school-referral", "received")


def test_a_runaway_is_high_priority(desk: Desk) -> None:
    applied = desk.open_school(risk_flags=["runaway"])

    assert applied.case.priority == "high"


def test_a_child_with_no_risk_flags_is_standard_priority(desk: Desk) -> None:
    applied = desk.open_school()

    assert applied.case.priority == "standard"


def test_a_school_referral_tells_the_cmeo(desk: Desk) -> None:
    applied = desk.open_school()

    assert [m.template for m in applied.messages] == ["referral_received"]


# --- immediate MASH referral ---------------------------------------------------------------
@pytest.mark.parametrize(
    "flag", ["child_protection_plan", "child_protection_concern", "allocated_social_worker"]
)
def test_a_child_with_a_child_protection_flag_is_escalated_to_mash_on_opening(
    desk: Desk, flag: str
) -> None:
    applied = desk.open_school(risk_flags=[flag])

    assert desk.state(applied.case.id) == "escalated_to_mash"


def test_the_opening_escalation_is_reported_as_a_follow_up_step(desk: Desk) -> None:
    applied = desk.open_school(risk_flags=["child_protection_plan"])

    assert [(f.event.trigger, f.case.state) for f in applied.followed_by] == [
        ("refer_to_mash_at_once", "escalated_to_mash"),
    ]


def test_the_opening_escalation_is_recorded_as_done_by_the_rule(desk: Desk) -> None:
    applied = desk.open_school(risk_flags=["child_protection_plan"])

    assert [
        (e.seq, e.trigger, e.from_state, e.to_state, e.actor, e.role)
        for e in desk.events(applied.case.id)
    ] == [
        (1, "open_case", "", "received", "alice", "cmeo"),
        (2, "refer_to_mash_at_once", "received", "escalated_to_mash", "system:rule", "system"),
    ]


def test_the_opening_escalation_sends_the_mash_escalation(desk: Desk) -> None:
    applied = desk.open_school(risk_flags=["child_protection_plan"])

    assert desk.templates(applied.case.id) == ["referral_received", "mash_escalation"]


def test_a_looked_after_child_is_high_priority_and_referred_to_mash_at_once(desk: Desk) -> None:
    # DfE "Children missing education" (August 2024): a child with a social worker is referred
    # at once, and every looked-after child has one (issue 12 item 5).
    applied = desk.open_school(risk_flags=["looked_after"])

    assert (
        applied.case.priority,
        desk.state(applied.case.id),
        [f.event.trigger for f in applied.followed_by],
    ) == ("high", "escalated_to_mash", ["refer_to_mash_at_once"])
