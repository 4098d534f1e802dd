"""Reasonable enquiries with substance, and home visits with a day and a time (issue 12, item 6).

Luton CME policy 2020: "Schools cannot remove a pupil from roll until all reasonable enquiries
have taken place over a period of no less than four weeks"; the regulations: school and LA
"jointly" make them. Dates on Luton's 2025/26 calendar; the desk opens on Mon 3 Nov 2025 09:00
and the default first day of absence is Mon 29 Sep 2025 (removal under reg 9(1)(i) is allowed
from Mon 3 Nov 2025).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from engine import EvidenceInvalid, GuardsFailed
from engine.errors import Block, FieldProblem

if TYPE_CHECKING:
    from tests.workflows.conftest import Desk

POLICY_FOUR_WEEKS = (
    'Luton CME policy 2020: "Schools cannot remove a pupil from roll until all reasonable '
    'enquiries have taken place over a period of no less than four weeks"'
)
POLICY_VISITS = (
    'Luton CME policy 2020: "minimum of 3 non contact visits made at different times of day '
    'to be evidenced"'
)
POLICY_KINDS = (
    'Luton CME policy 2020: "reasonable efforts must be made in collaboration between the '
    "EWO/school to identify the child's current whereabouts/destination\" - friends, siblings "
    "and relatives, extended family, school staff, other agencies, telephone calls, letters"
)
REMOVAL = {"removal_ground": "i", "pro_forma_reason": "20 school days, joint enquiries failed"}
VISIT = {"officer": "EWO R Patel", "outcome": "no_contact"}


def version_and_events(desk: Desk, case_id: int) -> tuple[int, int]:
    return desk.engine.get(case_id).version, len(desk.events(case_id))


def refused(desk: Desk, case_id: int, trigger: str, **evidence: str) -> tuple[Block, ...]:
    """Apply a step that must be refused by guards; assert that nothing was written."""
    before = version_and_events(desk, case_id)
    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(case_id, trigger, **evidence)
    assert version_and_events(desk, case_id) == before
    return e.value.blocks


def at_housing_check(desk: Desk) -> int:
    """Enquiries begun (none recorded but the first visit's), visits 3-5 Nov, housing 6 Nov."""
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")
    desk.enquiry(case_id, "2025-10-01", method="letter", made_by="la")
    desk.to_housing_check(case_id)
    return case_id


# --- each enquiry: who made it, and when ---------------------------------------------------
def test_an_enquiry_without_who_made_it_is_refused_naming_the_field(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")

    with desk.nothing_written(case_id), pytest.raises(EvidenceInvalid) as e:
        desk.do(
            case_id,
            "record_enquiry",
            enquiry_method="letter",
            made_on="2025-10-01",
            summary="letter sent",
        )

    assert e.value.problems == (
        FieldProblem(
            "made_by",
            "is required (Who made the enquiry: the school or the LA, who enquire jointly)",
        ),
    )


def test_who_made_an_enquiry_is_the_school_or_the_la(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")

    with desk.nothing_written(case_id), pytest.raises(EvidenceInvalid) as e:
        desk.enquiry(case_id, "2025-10-01", made_by="police")

    assert e.value.problems == (
        FieldProblem("made_by", "must be one of: school, la (got 'police')"),
    )


def test_an_enquiry_dated_before_the_first_day_of_absence_is_refused(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")

    blocks = refused(
        desk,
        case_id,
        "record_enquiry",
        enquiry_method="telephone",
        made_by="school",
        made_on="2025-09-26",
        summary="rang home",
    )

    assert blocks == (
        Block(
            "enquiry_dated_in_period",
            "made_on: the enquiry (2025-09-26) is dated before the first day of absence "
            "(2025-09-29); enquiries into where the child is count from that day "
            f"({POLICY_FOUR_WEEKS})",
        ),
    )


def test_an_enquiry_on_the_first_day_of_absence_is_recorded_with_who_made_it(
    desk: Desk,
) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")

    applied = desk.enquiry(case_id, "2025-09-29", method="school_staff", made_by="school")

    assert dict(applied.event.evidence) == {
        "enquiry_method": "school_staff",
        "made_by": "school",
        "made_on": "2025-09-29",
        "summary": "rang every number held; no answer",
    }


def test_an_enquiry_in_the_future_is_refused(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")

    with desk.nothing_written(case_id), pytest.raises(EvidenceInvalid) as e:
        desk.enquiry(case_id, "2025-11-04")

    assert e.value.problems == (
        FieldProblem("made_on", "cannot be in the future (today is 2025-11-03)"),
    )


def test_after_agreed_leave_an_enquiry_before_the_day_leave_ended_is_refused(
    desk: Desk,
) -> None:
    case_id = desk.open_school(first_absence_date=None, leave_end_date="2025-10-24").case.id
    desk.do(case_id, "begin_enquiries")

    blocks = refused(
        desk,
        case_id,
        "record_enquiry",
        enquiry_method="letter",
        made_by="la",
        made_on="2025-10-20",
        summary="letter sent",
    )

    assert blocks == (
        Block(
            "enquiry_dated_in_period",
            "made_on: the enquiry (2025-10-20) is dated before the day agreed leave ended "
            "(2025-10-24); enquiries into where the child is count from that day "
            f"({POLICY_FOUR_WEEKS})",
        ),
    )


def test_chart_1_refuses_an_enquiry_dated_before_the_referral_was_received(
    desk: Desk,
) -> None:
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

    blocks = refused(
        desk,
        case_id,
        "record_enquiry",
        enquiry_method="other_agencies",
        made_by="la",
        made_on="2025-10-31",
        summary="health visitor",
    )
    desk.enquiry(case_id, "2025-11-03", method="other_agencies")

    assert blocks == (
        Block(
            "enquiry_dated_in_period",
            "made_on: the enquiry (2025-10-31) is dated before the day the referral was "
            "received (2025-11-03); enquiries into where the child is count from that day "
            f"({POLICY_FOUR_WEEKS})",
        ),
    )
    assert desk.state(case_id) == "enquiries"


# --- home visits: a time of day, a day of their own, after the child went missing ----------
def in_enquiries(desk: Desk, chart: str = "school") -> int:
    if chart == "school":
        case_id = desk.open_school().case.id
        desk.to_enquiries(case_id)
        return case_id
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
    desk.to_enquiries(case_id)
    return case_id


@pytest.mark.parametrize("chart", ["school", "out_of_school"])
def test_a_visit_given_as_a_bare_date_is_refused_asking_for_the_time_of_day(
    desk: Desk, chart: str
) -> None:
    case_id = in_enquiries(desk, chart)
    desk.at("2025-11-03T20:00")

    with desk.nothing_written(case_id), pytest.raises(EvidenceInvalid) as e:
        desk.do(case_id, "record_first_visit", visited_at="2025-11-03", **VISIT)
    applied = desk.do(case_id, "record_first_visit", visited_at="2025-11-03T18:30", **VISIT)

    assert [(p.field, p.rule) for p in e.value.problems] == [
        (
            "visited_at",
            "give the time of day as well as the date (e.g. 2025-11-03T09:30): a date alone "
            "would read as midnight",
        )
    ]
    assert applied.case.state == "home_visit_1"


def test_a_visit_entered_at_midnight_is_refused_asking_for_the_time_of_day(desk: Desk) -> None:
    case_id = in_enquiries(desk)
    desk.at("2025-11-03T20:00")

    blocks = refused(desk, case_id, "record_first_visit", visited_at="2025-11-03T00:00", **VISIT)

    assert blocks == (
        Block(
            "visit_time_of_day_given",
            "visited_at: give the time of day of the visit as well as the date (e.g. "
            "2025-11-03T09:30); visits must be at different times of day "
            f"({POLICY_VISITS}), and a date alone reads as midnight",
        ),
    )


def test_a_visit_dated_before_the_first_day_of_absence_is_refused(desk: Desk) -> None:
    case_id = in_enquiries(desk)

    blocks = refused(desk, case_id, "record_first_visit", visited_at="2025-09-26T16:00", **VISIT)

    assert blocks == (
        Block(
            "visit_dated_in_period",
            "visited_at: the visit (Fri 26 Sep 2025) is dated before the first day of absence "
            "(2025-09-29); a home visit for this case is made after the child went missing",
        ),
    )


def test_a_visit_in_the_future_is_refused(desk: Desk) -> None:
    case_id = in_enquiries(desk)

    with desk.nothing_written(case_id), pytest.raises(EvidenceInvalid) as e:
        desk.do(case_id, "record_first_visit", visited_at="2025-11-03T18:30", **VISIT)

    assert e.value.problems == (
        FieldProblem(
            "visited_at",
            "cannot be in the future (more than 5 minutes ahead of the server's clock, "
            "2025-11-03T09:00 UTC)",
        ),
    )


@pytest.mark.parametrize("chart", ["school", "out_of_school"])
def test_a_second_visit_on_the_day_of_the_first_is_refused_even_at_another_time(
    desk: Desk, chart: str
) -> None:
    case_id = in_enquiries(desk, chart)
    desk.at("2025-11-03T20:00")
    desk.do(case_id, "record_first_visit", visited_at="2025-11-03T09:30", **VISIT)

    blocks = refused(desk, case_id, "record_second_visit", visited_at="2025-11-03T14:00", **VISIT)
    desk.at("2025-11-04T20:00")
    applied = desk.do(case_id, "record_second_visit", visited_at="2025-11-04T14:00", **VISIT)

    assert blocks == (
        Block(
            "visit_on_a_new_day",
            "a visit was already made on Mon 03 Nov 2025 (09:30): the three visits must be on "
            "three different days as well as at different times of day "
            f"({POLICY_VISITS})",
        ),
    )
    assert applied.case.state == "home_visit_2"


def test_a_third_visit_on_the_day_of_the_first_is_refused(desk: Desk) -> None:
    case_id = in_enquiries(desk)
    desk.at("2025-11-04T20:00")
    desk.do(case_id, "record_first_visit", visited_at="2025-11-03T09:30", **VISIT)
    desk.do(case_id, "record_second_visit", visited_at="2025-11-04T14:00", **VISIT)

    blocks = refused(desk, case_id, "record_third_visit", visited_at="2025-11-03T18:30", **VISIT)

    assert [b.guard for b in blocks] == ["later_than_previous_visit", "visit_on_a_new_day"]
    assert blocks[1].reason.startswith("a visit was already made on Mon 03 Nov 2025 (09:30)")


def test_everything_on_one_day_is_refused_at_the_second_visit(desk: Desk) -> None:
    """The issue's case: one enquiry, three visits and a housing check on one day."""
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")
    desk.enquiry(case_id, "2025-11-03")
    desk.at("2025-11-03T20:00")
    desk.do(case_id, "record_first_visit", visited_at="2025-11-03T09:30", **VISIT)

    blocks = refused(desk, case_id, "record_second_visit", visited_at="2025-11-03T14:00", **VISIT)

    assert [b.guard for b in blocks] == ["visit_on_a_new_day"]


# --- removal under reg 9(1)(i) or (h): two kinds, both parties, four weeks -----------------
def test_removal_after_enquiries_of_one_kind_only_is_refused(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")
    desk.enquiry(case_id, "2025-09-29", method="telephone", made_by="school")
    desk.enquiry(case_id, "2025-11-03", method="telephone", made_by="la")
    desk.to_housing_check(case_id)

    blocks = refused(desk, case_id, "remove_from_roll", **REMOVAL)
    desk.enquiry(case_id, "2025-11-06", method="letter", made_by="la")
    applied = desk.do(case_id, "remove_from_roll", **REMOVAL)

    assert blocks == (
        Block(
            "enquiries_of_two_kinds",
            "reasonable enquiries of at least two different kinds are needed before removal "
            "from roll; recorded so far: telephone (2025-09-29), telephone (2025-11-03) "
            f"({POLICY_KINDS})",
        ),
    )
    assert applied.case.state == "lost_pupil_upload"


def test_removal_after_enquiries_by_the_la_alone_is_refused(desk: Desk) -> None:
    case_id = at_housing_check(desk)
    desk.enquiry(case_id, "2025-11-03", method="telephone", made_by="la")

    blocks = refused(desk, case_id, "remove_from_roll", **REMOVAL)
    desk.enquiry(case_id, "2025-11-06", method="school_staff", made_by="school")
    applied = desk.do(case_id, "remove_from_roll", **REMOVAL)

    assert blocks == (
        Block(
            "enquiries_by_school_and_la",
            "reg 9(1)(i): the school and the LA make reasonable enquiries jointly, and no "
            "enquiry is recorded as made by the school yet (made_by: school); the policy "
            'quotes the regulations: "the proprietor of the school and the local authority '
            "have failed, after jointly making reasonable enquiries, to ascertain where the "
            'pupil is"',
        ),
    )
    assert applied.case.state == "lost_pupil_upload"


def test_removal_after_27_days_of_enquiries_is_refused_and_after_28_allowed(
    desk: Desk,
) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")
    desk.enquiry(case_id, "2025-10-10", method="school_staff", made_by="school")
    desk.enquiry(case_id, "2025-11-03", method="letter", made_by="la")
    desk.to_housing_check(case_id)  # Thu 6 Nov 10:00
    desk.enquiry(case_id, "2025-11-06", method="telephone", made_by="la")  # 27 days

    blocks = refused(desk, case_id, "remove_from_roll", **REMOVAL)
    desk.at("2025-11-07T09:00")
    desk.enquiry(case_id, "2025-11-07", method="telephone", made_by="la")  # 28 days
    applied = desk.do(case_id, "remove_from_roll", **REMOVAL)

    assert blocks == (
        Block(
            "enquiries_over_four_weeks",
            "reasonable enquiries must span at least four weeks (28 days) from the first to "
            "the last: the first was made on 2025-10-10, the last on 2025-11-06 (27 days); "
            f"record a further enquiry on or after 2025-11-07 ({POLICY_FOUR_WEEKS})",
        ),
    )
    assert applied.case.state == "lost_pupil_upload"


def test_removal_with_no_enquiry_of_its_own_lists_every_missing_rule(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")
    desk.enquiry(case_id, "2025-11-03", method="telephone", made_by="la")
    desk.to_housing_check(case_id)

    blocks = refused(desk, case_id, "remove_from_roll", **REMOVAL)

    assert [b.guard for b in blocks] == [
        "enquiries_of_two_kinds",
        "enquiries_by_school_and_la",
        "enquiries_over_four_weeks",
    ]


def test_the_actions_list_shows_the_enquiry_rules_blocking_removal(desk: Desk) -> None:
    case_id = at_housing_check(desk)

    actions = {a.trigger: a for a in desk.engine.actions(case_id)}

    assert [b.split(":")[0] for b in actions["remove_from_roll"].blocked_by] == [
        "enquiries_of_two_kinds",
        "enquiries_by_school_and_la",
        "enquiries_over_four_weeks",
    ]
