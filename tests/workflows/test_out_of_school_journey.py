"""Chart 1 (`out-of-school-referral`), walked from `received` to each outcome (table-driven).

Every step happens on Mon 3 Nov 2025 (the desk's clock), so every date given is that day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from engine import Actor

if TYPE_CHECKING:
    from tests.workflows.conftest import Desk

TODAY = "2025-11-03"
ACTORS = {
    "caseworker": Actor("bob", "caseworker"),
    "cmeo": Actor("alice", "cmeo"),
    "ehe_officer": Actor("erin", "ehe_officer"),
    "mash": Actor("mo", "mash"),
}


class Step(NamedTuple):
    trigger: str
    role: str
    evidence: dict[str, Any]


class Journey(NamedTuple):
    steps: list[Step]
    states: list[str]
    """The state after each step."""
    outcome: str


INTO_CASEWORK = [
    Step("begin_database_search", "caseworker", {}),
    Step(
        "record_database_search",
        "caseworker",
        {
            "searched_on": TODAY,
            "search_result": "no_record",
            "contacted_on": TODAY,
            "enters_cme": "yes",
        },
    ),
    Step("begin_enquiries", "caseworker", {}),
    Step(
        "record_enquiry",
        "caseworker",
        {
            "enquiry_method": "other_agencies",
            "made_by": "la",
            "made_on": TODAY,
            "summary": "health visitor confirms the family lives at the address",
        },
    ),
]
INTO_CASEWORK_STATES = ["database_search", "referrer_contacted", "enquiries", "enquiries"]
INTO_EHE = [Step("record_home_education", "cmeo", {"home_education_confirmed_on": TODAY})]

JOURNEYS = {
    "school place, admitted and attending": Journey(
        [
            *INTO_CASEWORK,
            Step("seek_school_place", "caseworker", {"applied_on": TODAY}),
            Step(
                "record_admission",
                "caseworker",
                {"admitted_school": "Example Primary", "admitted_on": TODAY},
            ),
            Step("confirm_attending", "caseworker", {"attending_confirmed_on": TODAY}),
        ],
        [*INTO_CASEWORK_STATES, "school_place", "on_roll_pending_return", "closed"],
        "on_roll",
    ),
    "home education found suitable": Journey(
        [
            *INTO_CASEWORK,
            *INTO_EHE,
            Step("record_ehe_assessment", "ehe_officer", {"ehe_assessment": "suitable"}),
        ],
        [*INTO_CASEWORK_STATES, "home_education", "closed"],
        "home_educated",
    ),
    "home education unsuitable, School Attendance Order complied with": Journey(
        [
            *INTO_CASEWORK,
            *INTO_EHE,
            Step(
                "return_from_ehe",
                "ehe_officer",
                {"ehe_assessment": "unsuitable", "notice_served_on": TODAY},
            ),
            Step(
                "record_attendance_order_complied",
                "cmeo",
                {
                    "order_served_on": TODAY,
                    "admitted_school": "Example Primary",
                    "admitted_on": TODAY,
                },
            ),
        ],
        [*INTO_CASEWORK_STATES, "home_education", "school_attendance_order", "closed"],
        "on_roll",
    ),
    "moved to another authority, engaged there": Journey(
        [
            *INTO_CASEWORK,
            Step("notify_other_la", "caseworker", {"other_la": "823", "notified_on": TODAY}),
            Step("confirm_engaged_in_other_la", "cmeo", {"confirmed_on": TODAY}),
        ],
        [*INTO_CASEWORK_STATES, "other_la_tracking", "closed"],
        "moved_to_other_la",
    ),
    "not a CME case": Journey(
        [
            Step("begin_database_search", "caseworker", {}),
            Step(
                "close_not_cme",
                "cmeo",
                {"closure_reason": "the search found the child on roll at a Bedford school"},
            ),
        ],
        ["database_search", "closed"],
        "not_cme",
    ),
    "closed as moved abroad": Journey(
        [
            *INTO_CASEWORK,
            Step(
                "close_case",
                "cmeo",
                {
                    "case_outcome": "moved_abroad",
                    "closure_reason": "the father confirmed in writing the family moved to Poland",
                },
            ),
        ],
        [*INTO_CASEWORK_STATES, "closed"],
        "moved_abroad",
    ),
    "escalated to MASH, acknowledged, closed by MASH": Journey(
        [
            *INTO_CASEWORK,
            Step(
                "raise_concern",
                "caseworker",
                {
                    "concern": "neighbours report the child has not been seen for weeks",
                    "raised_by": "Bob Visitor",
                },
            ),
            Step("mash_acknowledged", "mash", {"acknowledged_by": "Mo MASH"}),
            Step(
                "close_case",
                "mash",
                {
                    "case_outcome": "located_and_returned",
                    "closure_reason": "social care located the child; back in school",
                },
            ),
        ],
        [*INTO_CASEWORK_STATES, "escalated_to_mash", "with_mash", "closed"],
        "located_and_returned",
    ),
}


def walk(desk: Desk, steps: list[Step]) -> tuple[int, list[str]]:
    case_id = desk.open_out_of_school().case.id
    states = []
    for step in steps:
        desk.engine.apply(case_id, step.trigger, step.evidence, ACTORS[step.role])
        states.append(desk.state(case_id))
    return case_id, states


def test_an_out_of_school_referral_opens_in_received(desk: Desk) -> None:
    applied = desk.open_out_of_school()

    assert (applied.case.state, [m.template for m in applied.messages]) == (
        "received",
        ["referral_received"],
    )


@pytest.mark.parametrize("journey", list(JOURNEYS.values()), ids=list(JOURNEYS))
def test_each_journey_passes_through_the_expected_states(desk: Desk, journey: Journey) -> None:
    _, states = walk(desk, journey.steps)

    assert states == journey.states


@pytest.mark.parametrize("journey", list(JOURNEYS.values()), ids=list(JOURNEYS))
def test_each_journey_closes_with_its_outcome(desk: Desk, journey: Journey) -> None:
    case_id, _ = walk(desk, journey.steps)

    case = desk.engine.get(case_id)
    assert (case.state, case.outcome, case.closed_at) == (
        "closed",
        journey.outcome,
        desk.clock.now(),
    )


def test_every_outcome_of_the_chart_is_reached_by_a_journey(desk: Desk) -> None:
    outcomes = desk.definitions["out-of-school-referral"].states["closed"].outcomes

    # left_compulsory_school_age needs the clock past the child's school leaving date: its
    # journey is in tests/workflows/test_item7_gaps.py
    assert set(outcomes) - {"left_compulsory_school_age"} == {j.outcome for j in JOURNEYS.values()}


def test_the_home_education_hand_over_notifies_the_ehe_officer(desk: Desk) -> None:
    case_id, _ = walk(desk, [*INTO_CASEWORK, *INTO_EHE])

    assert desk.templates(case_id) == ["referral_received", "ehe_handover"]


def test_an_admission_starts_the_reg_13_five_day_new_pupil_return_clock(desk: Desk) -> None:
    steps = [
        *INTO_CASEWORK,
        Step("seek_school_place", "caseworker", {"applied_on": TODAY}),
        Step(
            "record_admission",
            "caseworker",
            {"admitted_school": "Example Primary", "admitted_on": "2025-10-31"},
        ),
    ]

    case_id, _ = walk(desk, steps)

    # reg 13 counts days, not school days: Fri 31 Oct + 5 = Wed 5 Nov.
    # (and the end of compulsory school age: born 2013-02-10, the day after Fri 29 Jun 2029)
    assert desk.pending(case_id) == {
        "new_pupil_return": "2025-11-05",
        "compulsory_school_age_ended": "2029-06-30",
    }
