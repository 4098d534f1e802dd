"""Every refusal, with its message; after each, nothing was written.

Dates are on Luton's 2025/26 calendar (half term 27-31 Oct 2025). The desk's standard walk
opens on Mon 3 Nov 09:00, records an enquiry, visits on Mon 3 (morning), Tue 4 (afternoon) and
Wed 5 Nov (evening), and checks housing on Thu 6 Nov 10:00, where removal is tried.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from engine import (
    Actor,
    ActorNotPermitted,
    EvidenceInvalid,
    GuardsFailed,
    TriggerNotAvailable,
)
from engine.errors import Block, FieldProblem
from engine.ports import GuardContext
from workflows.rules import RULES, no_child_protection_concern

if TYPE_CHECKING:
    from tests.workflows.conftest import Desk

CMEO = Actor("alice", "cmeo")
MASH = Actor("mo", "mash")

LOOKED_AFTER = Block(
    "not_looked_after",
    "the child is looked after: a looked-after child must not be removed from roll - involve "
    "the Virtual School and the child's social worker",
)
EHC_PLAN = Block(
    "no_ehc_plan",
    "the child has an EHC plan: the child must not be removed from roll - consult the SEN "
    "team, who maintain the plan",
)
CP_CONCERN = Block(
    "no_child_protection_concern",
    "child-protection concerns are recorded (child_protection_concern): the child must not be "
    "removed from roll while they stand",
)
ELSEWHERE = Block(
    "not_known_elsewhere_in_authority",
    "the family is known to live at another address in this authority: the child is not "
    "missing - follow up at the new address instead of removing from roll",
)
# First day of absence Mon 20 Oct 2025: 20-24 Oct are days 1-5, 27-31 Oct half term,
# 3-7 Nov days 6-10, 10-14 Nov days 11-15, 17-21 Nov days 16-20: day 20 is Fri 21 Nov and
# removal is allowed from the next school day, Mon 24 Nov. On Thu 6 Nov the days completed
# (up to Wed 5 Nov) are 20-24 Oct and 3-5 Nov: 8.
TOO_EARLY = Block(
    "removal_ground_met",
    "reg 9(1)(i): 20 school days of continuous unauthorised absence are needed; 8 so far since "
    "the first day of absence (2025-10-20); day 20 is 2025-11-21, removal allowed from "
    "2025-11-24",
)
REMOVAL = {"removal_ground": "i", "pro_forma_reason": "20 school days, enquiries failed"}
POLICY_FOUR_WEEKS = (
    'Luton CME policy 2020: "Schools cannot remove a pupil from roll until all reasonable '
    'enquiries have taken place over a period of no less than four weeks"'
)


def short_enquiries(first: str, days: int, further: str) -> Block:
    """The school's enquiry on `first` and the LA's on Mon 3 Nov span too few days."""
    return Block(
        "enquiries_over_four_weeks",
        "reasonable enquiries must span at least four weeks (28 days) from the first to the "
        f"last: the first was made on {first}, the last on 2025-11-03 ({days} days); record a "
        f"further enquiry on or after {further} ({POLICY_FOUR_WEEKS})",
    )


# The school's enquiry on Mon 20 Oct and the LA's on Mon 3 Nov: 14 days.
SHORT_FROM_20_OCT = short_enquiries("2025-10-20", 14, "2025-11-17")


def at_housing_check(desk: Desk, housing_result: str = "no_trace", **referral: object) -> int:
    case_id = desk.open_school(**referral).case.id
    if desk.state(case_id) == "escalated_to_mash":  # a looked-after child goes to MASH at once
        desk.do(case_id, "mash_acknowledged", MASH, acknowledged_by="Mo MASH")
        desk.do(case_id, "return_from_mash", MASH, mash_decision="return_to_cme_casework")
        desk.school_enquiry(case_id)
        desk.enquiry(case_id, "2025-11-03")
    else:
        desk.to_enquiries(case_id)
    desk.to_housing_check(case_id, housing_result)
    return case_id


def refused_removal(desk: Desk, case_id: int) -> tuple[Block, ...]:
    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(case_id, "remove_from_roll", **REMOVAL)
    return e.value.blocks


# --- removal from roll: the four "must not remove" rules ----------------------------------
def test_removal_is_refused_while_the_child_is_looked_after(desk: Desk) -> None:
    case_id = at_housing_check(desk, risk_flags=["looked_after"])

    assert refused_removal(desk, case_id) == (LOOKED_AFTER,)


def test_removal_is_refused_while_the_child_has_an_ehc_plan(desk: Desk) -> None:
    case_id = at_housing_check(desk, risk_flags=["ehc_plan"])

    assert refused_removal(desk, case_id) == (EHC_PLAN,)


def removal_blocks(desk: Desk, case_id: int, flags: list[str]) -> tuple[Block, ...]:
    """The removal guards judged as if `flags` stood on the case at its housing check.

    Recording such a flag sends the case to MASH at once, and only MASH's answer brings it back
    (to enquiries), so the guards are asked directly with the case's real history.
    """
    case = replace(
        desk.engine.get(case_id), facts={**desk.engine.get(case_id).facts, "risk_flags": flags}
    )
    history = desk.events(case_id)
    context = GuardContext(
        case=case,
        trigger="remove_from_roll",
        evidence={"removal_ground": "i"},
        now=desk.clock.now(),
        calendar=desk.engine.calendars.for_case(case),
        history=lambda: history,
    )
    names = desk.engine.registry.current("school-referral").triggers["remove_from_roll"].guards
    return tuple(Block(n, r) for n in names if (r := RULES.guards[n](context)) is not None)


def test_recording_a_concern_at_the_housing_check_refers_the_case_to_mash_at_once(
    desk: Desk,
) -> None:
    case_id = at_housing_check(desk)

    desk.do(case_id, "update_risk", risk_flags="child_protection_concern")

    assert desk.engine.get(case_id).state == "escalated_to_mash"


def test_removal_is_refused_while_a_child_protection_concern_is_recorded(desk: Desk) -> None:
    case_id = at_housing_check(desk)

    assert removal_blocks(desk, case_id, ["child_protection_concern"]) == (CP_CONCERN,)


def test_removal_is_refused_while_the_child_has_a_child_protection_plan(desk: Desk) -> None:
    case_id = at_housing_check(desk)

    assert removal_blocks(desk, case_id, ["child_protection_plan"]) == (
        Block(
            "no_child_protection_concern",
            "child-protection concerns are recorded (child_protection_plan): the child must "
            "not be removed from roll while they stand",
        ),
    )


def test_a_concern_sent_to_mash_and_not_answered_blocks_removal(desk: Desk) -> None:
    # The chart cannot bring such a case back to housing_check (only MASH's answer returns
    # it, to enquiries), so the guard is asked directly with the real history.
    case_id = at_housing_check(desk)
    desk.do(case_id, "raise_concern", concern="bruising seen by a neighbour", raised_by="Bob")
    history = desk.events(case_id)
    context = GuardContext(
        case=desk.engine.get(case_id),
        trigger="remove_from_roll",
        evidence={},
        now=desk.clock.now(),
        calendar=desk.engine.calendars.for_case(desk.engine.get(case_id)),
        history=lambda: history,
    )

    reason = no_child_protection_concern(context)

    assert reason == (
        "a child-protection concern sent to MASH on 2025-11-06 has not been answered by MASH"
    )


def test_a_concern_mash_has_answered_no_longer_blocks_removal(desk: Desk) -> None:
    case_id = at_housing_check(desk)
    desk.do(case_id, "raise_concern", concern="bruising seen by a neighbour", raised_by="Bob")
    desk.do(case_id, "mash_acknowledged", MASH, acknowledged_by="Mo")
    desk.do(case_id, "return_from_mash", MASH, mash_decision="return_to_cme_casework")
    history = desk.events(case_id)
    context = GuardContext(
        case=desk.engine.get(case_id),
        trigger="remove_from_roll",
        evidence={},
        now=desk.clock.now(),
        calendar=desk.engine.calendars.for_case(desk.engine.get(case_id)),
        history=lambda: history,
    )

    assert no_child_protection_concern(context) is None


def test_removal_is_refused_while_the_family_lives_elsewhere_in_the_authority(
    desk: Desk,
) -> None:
    case_id = at_housing_check(desk, housing_result="address_elsewhere_in_authority")

    assert refused_removal(desk, case_id) == (ELSEWHERE,)


def test_every_rule_blocking_removal_is_listed_together(desk: Desk) -> None:
    case_id = at_housing_check(
        desk,
        housing_result="address_elsewhere_in_authority",
        first_absence_date="2025-10-20",
        risk_flags=["looked_after", "ehc_plan"],
    )

    flags = ["looked_after", "ehc_plan", "child_protection_concern"]
    assert removal_blocks(desk, case_id, flags) == (
        TOO_EARLY,
        LOOKED_AFTER,
        EHC_PLAN,
        Block(
            "no_child_protection_concern",
            "child-protection concerns are recorded (child_protection_concern): the child "
            "must not be removed from roll while they stand",
        ),
        ELSEWHERE,
        SHORT_FROM_20_OCT,
    )


def test_the_refusal_message_lists_every_block_under_the_case_reference(desk: Desk) -> None:
    case_id = at_housing_check(desk, risk_flags=["looked_after", "ehc_plan"])

    with pytest.raises(GuardsFailed) as e:
        desk.do(case_id, "remove_from_roll", **REMOVAL)

    assert str(e.value) == (
        "Case CME-000001: cannot remove from roll:\n"
        f"  - not_looked_after: {LOOKED_AFTER.reason}\n"
        f"  - no_ehc_plan: {EHC_PLAN.reason}"
    )


# --- removal from roll: the day counts, reg 9(1)(i) and (h) --------------------------------
def test_removal_before_day_20_is_refused_citing_reg_9_1_i_and_the_dates(desk: Desk) -> None:
    case_id = at_housing_check(desk, first_absence_date="2025-10-20")

    assert refused_removal(desk, case_id) == (TOO_EARLY, SHORT_FROM_20_OCT)


def test_removal_on_day_20_itself_is_refused(desk: Desk) -> None:
    case_id = at_housing_check(desk, first_absence_date="2025-10-20")
    desk.at("2025-11-21T15:00")
    desk.enquiry(case_id, "2025-11-17", method="letter")

    # Fri 21 Nov is day 20; 19 days are complete by the end of Thu 20 Nov.
    assert refused_removal(desk, case_id) == (
        Block(
            "removal_ground_met",
            "reg 9(1)(i): 20 school days of continuous unauthorised absence are needed; 19 so "
            "far since the first day of absence (2025-10-20); day 20 is 2025-11-21, removal "
            "allowed from 2025-11-24",
        ),
    )


def test_removal_is_allowed_on_the_first_school_day_after_day_20(desk: Desk) -> None:
    case_id = at_housing_check(desk, first_absence_date="2025-10-20")
    desk.at("2025-11-24T09:00")
    desk.enquiry(case_id, "2025-11-17", method="letter")

    applied = desk.do(case_id, "remove_from_roll", **REMOVAL)

    assert applied.case.state == "lost_pupil_upload"


def test_removal_under_ground_h_is_refused_until_10_school_days_after_leave_ended(
    desk: Desk,
) -> None:
    # Leave ended Fri 24 Oct; after the half term: 3-7 Nov days 1-5, 10-14 Nov days 6-10.
    case_id = at_housing_check(desk, first_absence_date=None, leave_end_date="2025-10-24")

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(
            case_id,
            "remove_from_roll",
            removal_ground="h",
            pro_forma_reason="did not return from agreed leave",
        )

    assert e.value.blocks == (
        Block(
            "removal_ground_met",
            "reg 9(1)(h): 10 school days must pass after agreed leave ended (2025-10-24); day "
            "10 is 2025-11-14, removal allowed from 2025-11-17",
        ),
        short_enquiries("2025-10-24", 10, "2025-11-21"),
    )


def test_removal_under_ground_h_is_allowed_after_day_10_once_enquiries_span_four_weeks(
    desk: Desk,
) -> None:
    # Day 10 is Fri 14 Nov; the school's enquiry on Fri 24 Oct, a further one on Fri 21 Nov.
    case_id = at_housing_check(desk, first_absence_date=None, leave_end_date="2025-10-24")
    desk.at("2025-11-21T09:00")
    desk.enquiry(case_id, "2025-11-21", method="letter")

    applied = desk.do(
        case_id,
        "remove_from_roll",
        removal_ground="h",
        pro_forma_reason="did not return from agreed leave",
    )

    assert (applied.case.state, applied.case.facts["removal_ground"]) == (
        "lost_pupil_upload",
        "h",
    )


def test_removal_under_ground_i_is_refused_when_no_first_day_of_absence_is_recorded(
    desk: Desk,
) -> None:
    case_id = at_housing_check(desk, first_absence_date=None, leave_end_date="2025-10-24")

    assert refused_removal(desk, case_id) == (
        Block("removal_ground_met", "reg 9(1)(i): the first day of absence is not recorded"),
        short_enquiries("2025-10-24", 10, "2025-11-21"),
    )


def test_the_actions_list_shows_why_removal_is_blocked_under_either_ground(desk: Desk) -> None:
    case_id = at_housing_check(desk, first_absence_date="2025-10-20", leave_end_date="2025-10-24")

    actions = {a.trigger: a for a in desk.engine.actions(case_id, CMEO)}

    assert actions["remove_from_roll"].blocked_by == (
        f"removal_ground_met: {TOO_EARLY.reason}; or reg 9(1)(h): 10 school days must pass "
        "after agreed leave ended (2025-10-24); day 10 is 2025-11-14, removal allowed from "
        "2025-11-17",
        f"enquiries_over_four_weeks: {SHORT_FROM_20_OCT.reason}",
    )


# --- home visits -------------------------------------------------------------------------
def in_home_visit_1(desk: Desk) -> int:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)
    desk.at("2025-11-03T10:00")
    desk.do(
        case_id,
        "record_first_visit",
        visited_at="2025-11-03T09:30",
        officer="Bob",
        outcome="no_contact",
    )
    return case_id


def test_a_second_visit_in_the_same_part_of_the_day_is_refused_naming_the_free_ones(
    desk: Desk,
) -> None:
    case_id = in_home_visit_1(desk)
    desk.at("2025-11-04T11:00")

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(
            case_id,
            "record_second_visit",
            visited_at="2025-11-04T10:15",
            officer="Bob",
            outcome="no_contact",
        )

    assert e.value.blocks == (
        Block(
            "different_time_of_day",
            "a visit was already made in the morning (Mon 03 Nov 2025 09:30); visits must be "
            "at different times of day - still needed: afternoon or evening (morning before "
            "12:00, afternoon 12:00-16:59, evening from 17:00)",
        ),
    )


def test_a_third_visit_in_a_used_part_of_the_day_names_the_one_part_left(desk: Desk) -> None:
    case_id = in_home_visit_1(desk)
    desk.at("2025-11-04T15:00")
    desk.do(
        case_id,
        "record_second_visit",
        visited_at="2025-11-04T14:00",
        officer="Bob",
        outcome="no_contact",
    )
    desk.at("2025-11-05T16:00")

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(
            case_id,
            "record_third_visit",
            visited_at="2025-11-05T12:00",
            officer="Bob",
            outcome="no_contact",
        )

    assert e.value.blocks == (
        Block(
            "different_time_of_day",
            "a visit was already made in the afternoon (Tue 04 Nov 2025 14:00); visits must "
            "be at different times of day - still needed: evening (morning before 12:00, "
            "afternoon 12:00-16:59, evening from 17:00)",
        ),
    )


def test_a_visit_not_later_than_the_previous_one_is_refused(desk: Desk) -> None:
    case_id = in_home_visit_1(desk)

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(
            case_id,
            "record_second_visit",
            visited_at="2025-11-02T14:00",
            officer="Bob",
            outcome="no_contact",
        )

    assert e.value.blocks == (
        Block(
            "later_than_previous_visit",
            "this visit (Sun 02 Nov 2025 14:00) is not later than the previous one "
            "(Mon 03 Nov 2025 09:30)",
        ),
    )


def test_a_visit_with_contact_is_refused_pointing_to_locate_child(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)
    desk.at("2025-11-03T10:00")

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(
            case_id,
            "record_first_visit",
            visited_at="2025-11-03T09:30",
            officer="Bob",
            outcome="contact",
        )

    assert e.value.blocks == (
        Block(
            "no_contact_at_visit",
            "contact was made at this visit, so the child is located: record it with "
            "'locate_child' instead",
        ),
    )


def test_a_first_visit_before_any_enquiry_is_refused(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")
    desk.at("2025-11-03T10:00")

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(
            case_id,
            "record_first_visit",
            visited_at="2025-11-03T09:30",
            officer="Bob",
            outcome="no_contact",
        )

    assert e.value.blocks == (
        Block(
            "enquiries_evidenced",
            "no enquiry is recorded yet: record at least one reasonable enquiry (friends, "
            "family, school staff, agencies, phone, letter) before the first home visit",
        ),
    )


# --- CTF upload and other authorities ----------------------------------------------------
def test_a_ctf_file_name_without_the_lost_pupil_destination_is_refused(desk: Desk) -> None:
    case_id = at_housing_check(desk)
    desk.do(case_id, "remove_from_roll", **REMOVAL)

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(
            case_id,
            "record_ctf_upload",
            uploaded_on="2025-11-06",
            file_name="8212001_CTF_8232001_001.xml",
        )

    assert e.value.blocks == (
        Block(
            "lost_pupil_ctf_file_name",
            "the file name must be a lost-pupil CTF: LLLEEEE_CTF_XXXXXXX_NNN.xml (source a "
            "school's LAESTAB, or the authority's LA number and LLLL as cme writes it, e.g. "
            "821LLLL; destination XXXXXXX, or MMMMMMM if the child moved abroad; 3-digit "
            "sequence), or the name of a lost-pupil CTF exported for this case, got "
            "'8212001_CTF_8232001_001.xml'",
        ),
    )


def test_luton_own_la_number_is_refused_as_another_authority(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(case_id, "notify_other_la", other_la="821", notified_on="2025-11-03")

    assert e.value.blocks == (
        Block(
            "valid_la_number", "821 is Luton itself: a move within the authority is not a transfer"
        ),
    )


def test_an_la_number_that_is_not_three_digits_is_refused(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(case_id, "notify_other_la", other_la="8a3", notified_on="2025-11-03")

    assert e.value.blocks == (
        Block("valid_la_number", "the LA number must be 3 digits, got '8a3'"),
    )


# --- MASH ----------------------------------------------------------------------------------
def test_a_case_awaiting_mash_acknowledgement_cannot_be_closed(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "raise_concern", concern="bruising seen by a neighbour", raised_by="Bob")

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(case_id, "close_case", MASH, case_outcome="not_cme", closure_reason="n/a")

    assert e.value.blocks == (
        Block(
            "no_open_child_protection_escalation",
            "MASH has not acknowledged the escalation yet: it cannot be closed before",
        ),
    )


def test_a_child_protection_concern_recorded_during_enquiries_escalates_to_mash_at_once(
    desk: Desk,
) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)

    desk.do(case_id, "update_risk", risk_flags="child_protection_concern")

    assert desk.state(case_id) == "escalated_to_mash"


def test_a_child_protection_concern_recorded_in_received_escalates_to_mash_at_once(
    desk: Desk,
) -> None:
    case_id = desk.open_school().case.id

    applied = desk.do(case_id, "update_risk", risk_flags="child_protection_concern")

    assert [(f.event.trigger, f.event.actor) for f in applied.followed_by] == [
        ("refer_to_mash_at_once", "system:rule"),
    ]


# --- chart 1 guards ------------------------------------------------------------------------
def test_a_referrer_saying_the_case_is_not_cme_is_sent_to_close_not_cme(desk: Desk) -> None:
    case_id = desk.open_out_of_school().case.id
    desk.do(case_id, "begin_database_search")

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(
            case_id,
            "record_database_search",
            searched_on="2025-11-03",
            search_result="on_roll_elsewhere",
            contacted_on="2025-11-03",
            enters_cme="no",
        )

    assert e.value.blocks == (
        Block(
            "referrer_confirms_cme",
            "the referrer says this is not a CME case: close it with 'close_not_cme'",
        ),
    )


def in_home_education(desk: Desk) -> int:
    case_id = desk.open_out_of_school().case.id
    desk.do(case_id, "begin_database_search")
    desk.do(
        case_id,
        "record_database_search",
        searched_on="2025-11-03",
        search_result="no_record",
        contacted_on="2025-11-03",
        enters_cme="yes",
    )
    desk.do(case_id, "begin_enquiries")
    desk.do(case_id, "record_home_education", home_education_confirmed_on="2025-11-03")
    return case_id


def test_home_education_found_unsuitable_cannot_close_as_home_educated(desk: Desk) -> None:
    case_id = in_home_education(desk)

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(case_id, "record_ehe_assessment", ehe_assessment="unsuitable")

    assert e.value.blocks == (
        Block(
            "education_suitable",
            "the education was found unsuitable: use 'return_from_ehe' instead",
        ),
    )


def test_home_education_found_suitable_cannot_be_returned_from_ehe(desk: Desk) -> None:
    case_id = in_home_education(desk)

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(
            case_id, "return_from_ehe", ehe_assessment="suitable", notice_served_on="2025-11-03"
        )

    assert e.value.blocks == (
        Block(
            "education_unsuitable",
            "the education was found suitable: close it with 'record_ehe_assessment'",
        ),
    )


# --- triggers, roles, evidence -------------------------------------------------------------
def test_a_trigger_not_possible_from_the_state_is_refused_listing_the_possible_ones(
    desk: Desk,
) -> None:
    case_id = desk.open_school().case.id

    with desk.nothing_written(case_id), pytest.raises(TriggerNotAvailable) as e:
        desk.do(
            case_id,
            "record_ctf_upload",
            uploaded_on="2025-11-03",
            file_name="8212001_CTF_XXXXXXX_001.xml",
        )

    assert str(e.value) == (
        "Case CME-000001: 'record_ctf_upload' is not possible from state 'received'. "
        "Possible now: begin_enquiries, locate_child, close_case, update_risk, raise_concern."
    )


def test_system_only_triggers_are_not_offered_to_people(desk: Desk) -> None:
    case_id = desk.open_school().case.id

    with pytest.raises(TriggerNotAvailable) as e:
        desk.do(case_id, "resend_escalation")

    assert e.value.allowed == (
        "begin_enquiries",
        "locate_child",
        "close_case",
        "update_risk",
        "raise_concern",
    )


def test_nothing_is_possible_on_a_closed_case(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "close_case", case_outcome="not_cme", closure_reason="on roll elsewhere")

    with desk.nothing_written(case_id), pytest.raises(TriggerNotAvailable) as e:
        desk.do(case_id, "begin_enquiries")

    assert str(e.value) == (
        "Case CME-000001: 'begin_enquiries' is not possible from state 'closed'. "
        "Possible now: none (the case is closed)."
    )


def test_an_unknown_trigger_is_refused_as_not_available(desk: Desk) -> None:
    case_id = desk.open_school().case.id

    with desk.nothing_written(case_id), pytest.raises(TriggerNotAvailable) as e:
        desk.do(case_id, "delete_case")

    assert (e.value.trigger, e.value.state) == ("delete_case", "received")


def test_a_role_not_allowed_to_fire_a_trigger_is_refused(desk: Desk) -> None:
    case_id = desk.open_school().case.id

    with desk.nothing_written(case_id), pytest.raises(ActorNotPermitted) as e:
        desk.do(case_id, "begin_enquiries", Actor("ann", "auditor"))

    assert str(e.value) == (
        "Case CME-000001: role 'auditor' may not begin enquiries (allowed: caseworker, cmeo)."
    )


def test_a_caseworker_may_not_close_a_case(desk: Desk) -> None:
    case_id = desk.open_school().case.id

    with desk.nothing_written(case_id), pytest.raises(ActorNotPermitted) as e:
        desk.do(
            case_id,
            "close_case",
            Actor("bob", "caseworker"),
            case_outcome="not_cme",
            closure_reason="x",
        )

    assert (e.value.role, e.value.allowed) == ("caseworker", ("cmeo", "mash"))


def visit_evidence(**changes: str | None) -> dict[str, str]:
    evidence: dict[str, str | None] = {
        "visited_at": "2025-11-03T09:30",
        "officer": "Bob",
        "outcome": "no_contact",
    }
    evidence.update(changes)
    return {k: v for k, v in evidence.items() if v is not None}


@pytest.mark.parametrize(
    ("evidence", "problems"),
    [
        pytest.param(
            visit_evidence(officer=None),
            (FieldProblem("officer", "is required (Officer who made the visit)"),),
            id="missing required field",
        ),
        pytest.param(
            visit_evidence(outcome="maybe"),
            (FieldProblem("outcome", "must be one of: no_contact, contact (got 'maybe')"),),
            id="bad choice",
        ),
        pytest.param(
            visit_evidence(visited_at="2025-11-03T11:00"),
            (
                FieldProblem(
                    "visited_at",
                    "cannot be in the future (more than 5 minutes ahead of the server's "
                    "clock, 2025-11-03T10:00 UTC)",
                ),
            ),
            id="time in the future",
        ),
        pytest.param(
            visit_evidence(visited_at="3/11/2025 9:30"),
            (
                FieldProblem(
                    "visited_at",
                    "must be a date and time as YYYY-MM-DDTHH:MM (local time) "
                    "(got '3/11/2025 9:30')",
                ),
            ),
            id="unreadable time",
        ),
        pytest.param(
            visit_evidence(weather="rain"),
            (
                FieldProblem(
                    "weather",
                    "is not evidence for this step "
                    "(expected: visited_at, officer, outcome, notes)",
                ),
            ),
            id="unknown field",
        ),
    ],
)
def test_invalid_visit_evidence_is_refused_naming_the_field(
    desk: Desk, evidence: dict[str, str], problems: tuple[FieldProblem, ...]
) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)
    desk.at("2025-11-03T10:00")

    with desk.nothing_written(case_id), pytest.raises(EvidenceInvalid) as e:
        desk.do(case_id, "record_first_visit", **evidence)

    assert e.value.problems == problems


def test_a_date_in_the_future_is_refused_naming_today(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")

    with desk.nothing_written(case_id), pytest.raises(EvidenceInvalid) as e:
        desk.do(
            case_id,
            "record_enquiry",
            enquiry_method="letter",
            made_by="la",
            made_on="2025-11-04",
            summary="letter to the family",
        )

    assert e.value.problems == (
        FieldProblem("made_on", "cannot be in the future (today is 2025-11-03)"),
    )


def test_every_evidence_problem_is_listed_in_one_refusal(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")

    with desk.nothing_written(case_id), pytest.raises(EvidenceInvalid) as e:
        desk.do(
            case_id, "record_enquiry", enquiry_method="carrier_pigeon", made_by="", made_on="soon"
        )

    assert str(e.value) == (
        "Evidence for 'record_enquiry' is not valid:\n"
        "  - enquiry_method: must be one of: friends_and_siblings, extended_family, "
        "school_staff, other_agencies, telephone, letter, other_schools, other "
        "(got 'carrier_pigeon')\n"
        "  - made_by: is required (Who made the enquiry: the school or the LA, who enquire "
        "jointly)\n"
        "  - made_on: must be a date as YYYY-MM-DD (got 'soon')\n"
        "  - summary: is required (What was asked and what was learned)"
    )
