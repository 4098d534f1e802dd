"""Chart 2 (`school-referral`), walked from `received` to each of its endings.

Dates, worked by hand on Luton's 2025/26 calendar (autumn 1: 1 Sep-24 Oct; half term
27-31 Oct; autumn 2 from Mon 3 Nov; no bank holiday in between):

    first day of absence   Mon 29 Sep 2025 = school day 1
    29-30 Sep               days 1-2
    1-3 Oct                 days 3-5
    6-10 Oct                days 6-10
    13-17 Oct               days 11-15
    20-24 Oct               days 16-20   -> day 20 is Fri 24 Oct
    27-31 Oct               half term, not counted
    Mon 3 Nov               the first school day after day 20: removal allowed from here

The case is opened on Mon 3 Nov 09:00 and removed from roll on Thu 6 Nov, after day 20.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from engine import Actor
from engine.ports import EventRecord

if TYPE_CHECKING:
    from tests.workflows.conftest import Desk

CMEO = Actor("alice", "cmeo")
CASEWORKER = Actor("bob", "caseworker")


def test_a_school_referral_walks_from_received_to_closed_through_the_lost_pupil_upload(
    desk: Desk,
) -> None:
    case_id = desk.open_school().case.id
    states = [desk.state(case_id)]

    desk.do(case_id, "begin_enquiries", CASEWORKER)
    states.append(desk.state(case_id))
    desk.do(
        case_id,
        "record_enquiry",
        CASEWORKER,
        enquiry_method="school_staff",
        made_by="school",
        made_on="2025-09-30",
        summary="SENCO last saw the child on Fri 26 Sep",
    )
    states.append(desk.state(case_id))
    desk.do(
        case_id,
        "record_enquiry",
        CASEWORKER,
        enquiry_method="letter",
        made_by="la",
        made_on="2025-11-03",
        summary="letter to the last known address, no reply",
    )
    states.append(desk.state(case_id))
    # morning, Mon 3 Nov
    desk.at("2025-11-03T10:00")
    desk.do(
        case_id,
        "record_first_visit",
        CASEWORKER,
        visited_at="2025-11-03T09:30",
        officer="Bob Visitor",
        outcome="no_contact",
        notes="curtains drawn",
    )
    states.append(desk.state(case_id))
    # afternoon, Tue 4 Nov
    desk.at("2025-11-04T15:00")
    desk.do(
        case_id,
        "record_second_visit",
        CASEWORKER,
        visited_at="2025-11-04T14:00",
        officer="Bob Visitor",
        outcome="no_contact",
    )
    states.append(desk.state(case_id))
    # evening, Wed 5 Nov
    desk.at("2025-11-05T19:00")
    desk.do(
        case_id,
        "record_third_visit",
        CASEWORKER,
        visited_at="2025-11-05T18:30",
        officer="Bob Visitor",
        outcome="no_contact",
    )
    states.append(desk.state(case_id))
    desk.at("2025-11-06T10:00")
    desk.do(
        case_id, "check_housing", CASEWORKER, checked_on="2025-11-06", housing_result="no_trace"
    )
    states.append(desk.state(case_id))
    # Thu 6 Nov is after day 20 (Fri 24 Oct): reg 9(1)(i) is met.
    desk.do(
        case_id,
        "remove_from_roll",
        CMEO,
        removal_ground="i",
        pro_forma_reason="20 school days of unauthorised absence, enquiries failed",
    )
    states.append(desk.state(case_id))
    desk.do(
        case_id,
        "record_ctf_upload",
        CASEWORKER,
        uploaded_on="2025-11-06",
        file_name="8212001_CTF_XXXXXXX_001.xml",
    )
    states.append(desk.state(case_id))
    desk.at("2026-01-12T10:00")
    desk.do(
        case_id,
        "close_case",
        CMEO,
        case_outcome="on_roll_elsewhere",
        closure_reason="found on roll at a school in Leeds via the lost-pupil database",
    )
    states.append(desk.state(case_id))

    assert states == [
        "received",
        "enquiries",
        "enquiries",
        "enquiries",
        "home_visit_1",
        "home_visit_2",
        "home_visit_3",
        "housing_check",
        "lost_pupil_upload",
        "tracking",
        "closed",
    ]


def test_a_closed_school_referral_records_its_outcome_and_when_it_closed(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)
    desk.to_housing_check(case_id)
    desk.do(case_id, "remove_from_roll", removal_ground="i", pro_forma_reason="reg 9(1)(i)")
    desk.do(
        case_id,
        "record_ctf_upload",
        uploaded_on="2025-11-06",
        file_name="8212001_CTF_XXXXXXX_001.xml",
    )
    desk.at("2026-01-12T10:00")

    desk.do(case_id, "close_case", case_outcome="on_roll_elsewhere", closure_reason="found")

    case = desk.engine.get(case_id)
    assert (case.state, case.outcome, case.closed_at) == (
        "closed",
        "on_roll_elsewhere",
        desk.clock.now(),
    )


def test_removal_from_roll_sends_the_pro_forma_and_starts_the_15_school_day_ctf_clock(
    desk: Desk,
) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)
    desk.to_housing_check(case_id)

    applied = desk.do(
        case_id, "remove_from_roll", removal_ground="i", pro_forma_reason="reg 9(1)(i)"
    )

    # Removed Thu 6 Nov. 15 school days after: Fri 7 (1), 10-14 Nov (2-6), 17-21 (7-11),
    # 24-27 Nov (12-15) -> due Thu 27 Nov.
    assert (
        [m.template for m in applied.messages],
        [(t.name, t.provenance["due_on"]) for t in applied.timers_started],
    ) == (["pro_forma"], [("ctf_upload_due", "2025-11-27")])


def test_recording_the_ctf_upload_stops_the_ctf_clock(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)
    desk.to_housing_check(case_id)
    desk.do(case_id, "remove_from_roll", removal_ground="i", pro_forma_reason="reg 9(1)(i)")

    desk.do(
        case_id,
        "record_ctf_upload",
        uploaded_on="2025-11-06",
        file_name="8212001_CTF_XXXXXXX_001.xml",
    )

    # only the tracking review (20 school days from Thu 6 Nov) and the end of compulsory
    # school age (born 2014-05-01: the day after Fri 28 Jun 2030) are left
    assert desk.pending(case_id) == {
        "tracking_review": "2025-12-04",
        "compulsory_school_age_ended": "2030-06-29",
    }


@pytest.mark.parametrize("located_in", ["received", "enquiries", "housing_check"])
def test_locating_the_child_closes_the_case_with_the_outcome_given(
    desk: Desk, located_in: str
) -> None:
    case_id = desk.open_school().case.id
    if located_in != "received":
        desk.to_enquiries(case_id)
    if located_in == "housing_check":
        desk.to_housing_check(case_id)

    desk.do(
        case_id,
        "locate_child",
        located_on=desk.clock.now().date().isoformat(),
        how_located="the family answered the door; the child is back at school",
        case_outcome="located_and_returned",
    )

    case = desk.engine.get(case_id)
    assert (case.state, case.outcome) == ("closed", "located_and_returned")


def test_written_confirmation_of_home_education_removes_under_f_and_tells_the_ehe_team(
    desk: Desk,
) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)

    applied = desk.do(
        case_id,
        "record_home_education",
        CMEO,
        home_education_confirmed_on="2025-11-03",
        pro_forma_reason="the parents wrote to the school on 3 Nov: home education",
    )

    assert (applied.case.state, applied.case.outcome, [m.template for m in applied.messages]) == (
        "home_education",
        None,
        ["pro_forma", "ehe_handover"],
    )


def test_a_move_to_another_authority_is_tracked_until_that_authority_confirms(
    desk: Desk,
) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)

    moved = desk.do(case_id, "notify_other_la", other_la="823", notified_on="2025-11-03")
    desk.at("2025-11-20T11:00")
    confirmed = desk.do(case_id, "confirm_engaged_in_other_la", CMEO, confirmed_on="2025-11-20")

    assert (
        moved.case.state,
        moved.case.facts["other_la"],
        [m.template for m in moved.messages],
        confirmed.case.state,
        confirmed.case.outcome,
    ) == ("other_la_tracking", "823", ["la_transfer"], "closed", "moved_to_other_la")


def test_notifying_another_authority_starts_the_20_school_day_confirmation_clock(
    desk: Desk,
) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)

    desk.do(case_id, "notify_other_la", other_la="823", notified_on="2025-11-03")

    # From Mon 3 Nov: 4-7 Nov (1-4), 10-14 (5-9), 17-21 (10-14), 24-28 (15-19), Mon 1 Dec (20).
    # two rungs of the ladder start together; their `when` rules decide which one fires
    assert desk.pending(case_id) == {
        "la_confirmation": "2025-12-01",
        "la_confirmation_again": "2025-12-01",
        "compulsory_school_age_ended": "2030-06-29",
    }


def test_a_closed_case_has_no_pending_deadlines(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)

    desk.do(
        case_id,
        "record_home_education",
        CMEO,
        home_education_confirmed_on="2025-11-03",
        pro_forma_reason="written notice of home education",
    )
    desk.do(
        case_id,
        "record_ehe_ctf_upload",
        uploaded_on="2025-11-03",
        file_name="8212001_CTF_XXXXXXX_001.xml",
    )
    desk.do(
        case_id, "record_ehe_assessment", Actor("eh", "ehe_officer"), ehe_assessment="suitable"
    )

    assert (desk.state(case_id), desk.pending(case_id)) == ("closed", {})


def test_a_message_nobody_could_receive_is_neither_built_nor_queued(desk: Desk) -> None:
    from engine.testing import RecordingRenderer

    class NobodyConfigured(RecordingRenderer):
        def wants(self, template: str) -> bool:
            return False

    built: list[str] = []
    desk.engine.renderer = NobodyConfigured()

    def context(case: object, d: object, ev: EventRecord, *_: object) -> dict[str, Any]:
        built.append(ev.trigger)
        return {}

    desk.engine.context_builder = context

    applied = desk.open_school()

    assert applied.messages == () and built == []
    assert desk.store.outbox == []
