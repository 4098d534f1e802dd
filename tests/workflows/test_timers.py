"""Deadlines on chart 2: which timers start and stop, and what happens when they fall due.

Counted on Luton's 2025/26 calendar (autumn 1 ends Fri 24 Oct, half term 27-31 Oct, autumn 2
from Mon 3 Nov). A deadline counted to a day falls due at 00:00 Europe/London on that day
(00:00 UTC in winter); one counted in working days at 09:00, when the working day begins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine import Actor, TickReport

if TYPE_CHECKING:
    from tests.workflows.conftest import Desk

CMEO = Actor("alice", "cmeo")
MASH = Actor("mo", "mash")
CONCERN = {"concern": "bruising seen by a neighbour", "raised_by": "Bob Visitor"}


def timers(desk: Desk, case_id: int) -> list[tuple[str, str, str, str]]:
    """(name, scope, status, due day) of every timer of the case, in creation order."""
    return [
        (t.name, t.scope, t.status, t.provenance["due_on"])
        for t in desk.store.timers.values()
        if t.case_id == case_id
    ]


# --- opening and moving on -----------------------------------------------------------------
def test_opening_a_school_referral_starts_its_three_deadlines(desk: Desk) -> None:
    applied = desk.open_school()

    # Opened Mon 3 Nov. case_stalled: 5 school days, 4-7 Nov (1-4), Mon 10 Nov (5).
    # missing_four_weeks: 28 days from the first day of absence, Mon 29 Sep -> Mon 27 Oct
    # (already past: the CMEO is told at the next tick). high_risk_unlocated: 5 school days
    # from opening -> Mon 10 Nov; it is started for every case and checks the priority when due.
    assert [(t.name, t.scope, t.provenance["due_on"]) for t in applied.timers_started] == [
        ("case_stalled", "state:received", "2025-11-10"),
        ("missing_four_weeks", "workflow", "2025-10-27"),
        ("high_risk_unlocated", "workflow", "2025-11-10"),
        # the day after the school leaving date (born 2014-05-01: Fri 28 Jun 2030), s8(3)
        ("compulsory_school_age_ended", "workflow", "2030-06-29"),
    ]


def test_a_high_risk_case_is_chased_after_two_school_days_not_five(desk: Desk) -> None:
    applied = desk.open_school(risk_flags=["runaway"])

    # Opened Mon 3 Nov: Tue 4 (1), Wed 5 Nov (2).
    assert desk.pending(applied.case.id) == {
        "case_stalled": "2025-11-05",
        "missing_four_weeks": "2025-10-27",
        "high_risk_unlocated": "2025-11-10",
        "compulsory_school_age_ended": "2030-06-29",
    }


def test_a_deadline_records_how_its_due_day_was_worked_out(desk: Desk) -> None:
    applied = desk.open_school(risk_flags=["runaway"])

    stalled = applied.timers_started[0]
    assert dict(stalled.provenance) == {
        "rule": "case_stalled",
        "title": "Case has not moved",
        "after": 2,
        "unit": "school_days",
        "counted_from": "state_entered",
        "anchor": "2025-11-03",
        "calendar": "Luton",
        "calendar_hash": desk.engine.calendars.for_case(applied.case).content_hash,
        "due_on": "2025-11-05",
        "provisional": False,
        "provisional_reason": "",
        "priority": "high",
        "condition": None,
    }


def test_beginning_enquiries_swaps_the_received_stall_clock_for_the_enquiries_one(
    desk: Desk,
) -> None:
    case_id = desk.open_school().case.id
    desk.at("2025-11-04T09:00")

    applied = desk.do(case_id, "begin_enquiries")

    # Entered enquiries Tue 4 Nov: 5-7 Nov (1-3), 10-11 Nov (4-5) -> Tue 11 Nov.
    assert (applied.timers_cancelled, timers(desk, case_id)) == (
        1,
        [
            ("case_stalled", "state:received", "cancelled", "2025-11-10"),
            ("missing_four_weeks", "workflow", "pending", "2025-10-27"),
            ("high_risk_unlocated", "workflow", "pending", "2025-11-10"),
            ("compulsory_school_age_ended", "workflow", "pending", "2030-06-29"),
            ("case_stalled", "state:enquiries", "pending", "2025-11-11"),
        ],
    )


def test_a_cancelled_deadline_says_which_step_cancelled_it(desk: Desk) -> None:
    case_id = desk.open_school().case.id

    desk.do(case_id, "begin_enquiries")

    stalled = next(t for t in desk.store.timers.values() if t.scope == "state:received")
    assert (stalled.status, stalled.reason, stalled.finished_at) == (
        "cancelled",
        "left 'received' by begin_enquiries",
        desk.clock.now(),
    )


def test_recording_an_enquiry_does_not_restart_the_stall_clock(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")
    before = desk.pending(case_id)
    desk.at("2025-11-06T09:00")

    desk.do(
        case_id,
        "record_enquiry",
        enquiry_method="letter",
        made_by="la",
        made_on="2025-11-06",
        summary="letter to the last known address",
    )

    assert desk.pending(case_id) == before


# --- automatic MASH escalation of a high-risk child ----------------------------------------
def open_high_risk_before_half_term(desk: Desk) -> int:
    # Opened Wed 22 Oct 2025. Five school days: Thu 23 (1), Fri 24 Oct (2), half term 27-31
    # Oct, Mon 3 (3), Tue 4 (4), Wed 5 Nov (5): due Wed 5 Nov 00:00.
    desk.at("2025-10-22T09:00")
    return desk.open_school(risk_flags=["runaway"], first_absence_date="2025-10-13").case.id


def test_the_high_risk_deadline_is_counted_across_the_half_term(desk: Desk) -> None:
    case_id = open_high_risk_before_half_term(desk)

    assert desk.pending(case_id)["high_risk_unlocated"] == "2025-11-05"


def test_a_high_risk_child_is_not_escalated_the_day_before_the_fifth_school_day(
    desk: Desk,
) -> None:
    case_id = open_high_risk_before_half_term(desk)
    desk.at("2025-11-04T23:59")

    desk.engine.fire_due_timers()

    assert desk.state(case_id) == "received"


def test_a_high_risk_child_not_located_by_the_fifth_school_day_is_escalated_to_mash(
    desk: Desk,
) -> None:
    case_id = open_high_risk_before_half_term(desk)
    desk.at("2025-11-05T00:00")

    desk.engine.fire_due_timers()

    assert desk.state(case_id) == "escalated_to_mash"


def test_the_automatic_escalation_is_recorded_as_done_by_the_timer(desk: Desk) -> None:
    case_id = open_high_risk_before_half_term(desk)
    desk.at("2025-11-05T00:00")

    desk.engine.fire_due_timers()

    last = desk.events(case_id)[-1]
    assert (last.trigger, last.from_state, last.to_state, last.actor, last.role) == (
        "escalate_automatically",
        "received",
        "escalated_to_mash",
        "system:timer",
        "system",
    )


def test_the_automatic_escalation_sends_the_mash_escalation(desk: Desk) -> None:
    case_id = open_high_risk_before_half_term(desk)
    desk.at("2025-11-05T00:00")

    desk.engine.fire_due_timers()

    # the stall reminder (due Fri 24 Oct, 2 school days) fires in the same tick, first.
    assert desk.templates(case_id) == ["referral_received", "case_stalled", "mash_escalation"]


def test_a_standard_case_is_not_escalated_and_its_high_risk_deadline_is_void(
    desk: Desk,
) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "begin_enquiries")
    desk.at("2025-11-10T00:00")

    desk.engine.fire_due_timers()

    timer = next(t for t in desk.store.timers.values() if t.name == "high_risk_unlocated")
    assert (desk.state(case_id), timer.status, timer.reason) == (
        "enquiries",
        "void",
        "the case is not high risk",
    )


def test_locating_the_child_cancels_the_high_risk_deadline(desk: Desk) -> None:
    case_id = open_high_risk_before_half_term(desk)
    desk.at("2025-10-23T10:00")
    desk.do(
        case_id,
        "locate_child",
        located_on="2025-10-23",
        how_located="back at school",
        case_outcome="located_and_returned",
    )
    desk.at("2025-11-05T00:00")

    report = desk.engine.fire_due_timers()

    assert (report, desk.state(case_id)) == (TickReport(), "closed")


# --- reminders -----------------------------------------------------------------------------
def test_a_reminder_records_deadline_reached_and_leaves_the_state(desk: Desk) -> None:
    case_id = desk.open_school().case.id

    report = desk.engine.fire_due_timers()

    last = desk.events(case_id)[-1]
    assert (
        report,
        desk.state(case_id),
        (last.seq, last.trigger, last.from_state, last.to_state, last.actor),
        dict(last.evidence),
    ) == (
        TickReport(
            fired=1,
            reminders=1,
            details=[
                {
                    "case_id": case_id,
                    "timer": "missing_four_weeks",
                    "status": "fired",
                    "trigger": None,
                },
            ],
        ),
        "received",
        (2, "deadline_reached", "received", "received", "system:timer"),
        {"deadline": "missing_four_weeks", "due_on": "2025-10-27"},
    )


def test_a_reminder_tells_the_cmeo_the_child_is_missing_over_four_weeks(desk: Desk) -> None:
    case_id = desk.open_school().case.id

    desk.engine.fire_due_timers()

    assert desk.templates(case_id) == ["referral_received", "missing_four_weeks"]


def test_a_reminder_fires_once(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.engine.fire_due_timers()

    report = desk.engine.fire_due_timers()

    assert (report, len(desk.events(case_id))) == (TickReport(), 2)


def test_a_ctf_not_uploaded_by_the_fifteenth_school_day_is_chased(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)
    desk.to_housing_check(case_id)
    desk.do(case_id, "remove_from_roll", removal_ground="i", pro_forma_reason="reg 9(1)(i)")
    # Removed Thu 6 Nov: Fri 7 (1), 10-14 (2-6), 17-21 (7-11), 24-27 Nov (12-15).
    desk.at("2025-11-27T00:00")

    desk.engine.fire_due_timers()

    assert (desk.state(case_id), desk.templates(case_id)[-1]) == (
        "lost_pupil_upload",
        "ctf_overdue",
    )


# --- MASH acknowledgement ladder -----------------------------------------------------------
def test_an_escalation_waits_one_working_day_for_mash_to_acknowledge(desk: Desk) -> None:
    case_id = desk.open_school().case.id

    desk.do(case_id, "raise_concern", **CONCERN)

    # Raised Mon 3 Nov: one working day -> Tue 4 Nov.
    assert desk.pending(case_id) == {
        "mash_acknowledgement": "2025-11-04",
        "mash_acknowledgement_again": "2025-11-04",
        "compulsory_school_age_ended": "2030-06-29",
    }


def test_the_mash_acknowledgement_clock_skips_bank_holidays(desk: Desk) -> None:
    desk.at("2025-12-24T10:00")
    case_id = desk.open_school().case.id

    desk.do(case_id, "raise_concern", **CONCERN)

    # Raised Wed 24 Dec: Thu 25 and Fri 26 Dec are bank holidays, then the weekend.
    assert desk.pending(case_id) == {
        "mash_acknowledgement": "2025-12-29",
        "mash_acknowledgement_again": "2025-12-29",
        "compulsory_school_age_ended": "2030-06-29",
    }


def test_an_unacknowledged_escalation_is_not_resent_before_its_working_day(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "raise_concern", **CONCERN)
    desk.at("2025-11-04T08:59")  # the working day begins at 09:00

    desk.engine.fire_due_timers()

    assert [e.trigger for e in desk.events(case_id)] == ["open_case", "raise_concern"]


def test_an_unacknowledged_escalation_is_resent_by_the_timer(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "raise_concern", **CONCERN)
    desk.at("2025-11-04T09:00")

    desk.engine.fire_due_timers()

    last = desk.events(case_id)[-1]
    assert (last.trigger, last.from_state, last.to_state, last.actor) == (
        "resend_escalation",
        "escalated_to_mash",
        "escalated_to_mash",
        "system:timer",
    )


def test_a_resent_escalation_tells_the_cmeo_and_sends_to_mash_again(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "raise_concern", **CONCERN)
    desk.at("2025-11-04T09:00")

    desk.engine.fire_due_timers()

    assert desk.templates(case_id) == [
        "referral_received",
        "mash_escalation",
        "escalation_unacknowledged",
        "mash_escalation",
    ]


def test_a_resent_escalation_waits_another_working_day(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "raise_concern", **CONCERN)
    desk.at("2025-11-04T09:00")

    desk.engine.fire_due_timers()

    assert [t[1:] for t in timers(desk, case_id) if t[0] == "mash_acknowledgement"] == [
        ("state:escalated_to_mash", "fired", "2025-11-04"),
        ("state:escalated_to_mash", "pending", "2025-11-05"),
    ]


def test_mash_acknowledging_stops_the_acknowledgement_clock(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.do(case_id, "raise_concern", **CONCERN)
    desk.at("2025-11-03T15:00")

    desk.do(case_id, "mash_acknowledged", MASH, acknowledged_by="Mo MASH")

    # only the review of MASH's decision runs on (5 school days from Mon 3 Nov), beside the
    # notice for the end of compulsory school age
    assert desk.pending(case_id) == {
        "mash_decision_review": "2025-11-10",
        "compulsory_school_age_ended": "2030-06-29",
    }


def test_a_high_risk_case_mash_returns_to_casework_is_not_escalated_again_at_once(
    desk: Desk,
) -> None:
    case_id = open_high_risk_before_half_term(desk)
    desk.at("2025-11-05T00:00")
    desk.engine.fire_due_timers()  # escalated automatically on the 5th school day
    desk.at("2025-11-05T10:00")
    desk.do(case_id, "mash_acknowledged", MASH, acknowledged_by="Mo MASH")
    desk.do(case_id, "return_from_mash", MASH, mash_decision="return_to_cme_casework")
    desk.at("2025-11-05T10:05")

    desk.engine.fire_due_timers()

    assert desk.state(case_id) == "enquiries"


def test_the_cmeo_is_told_once_that_a_child_is_missing_over_four_weeks(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.engine.fire_due_timers()  # due Mon 27 Oct: told at once
    desk.do(case_id, "raise_concern", **CONCERN)
    desk.do(case_id, "mash_acknowledged", MASH, acknowledged_by="Mo MASH")
    desk.do(case_id, "return_from_mash", MASH, mash_decision="return_to_cme_casework")

    desk.engine.fire_due_timers()

    assert desk.templates(case_id).count("missing_four_weeks") == 1
