"""No removal from roll on a provisional count of school days (issue 12, item 4).

The shipped calendar holds Luton's 2025/26 term dates only. A first day of absence in 2026/27
is counted, without term dates, on weekdays less bank holidays, which counts the October half
term as school days. Reminders may run on such a count (saying so); a removal may not.

The 2026/27 dates below are made up for the tests (autumn 2 Sep - 18 Dec 2026, half term
26-30 Oct): they are not Luton's.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest

from engine import GuardsFailed
from engine.calendar import SchoolCalendar, TermRange
from engine.errors import Block
from engine.testing import SingleCalendar

if TYPE_CHECKING:
    from tests.workflows.conftest import Desk

REMOVAL = {"removal_ground": "i", "pro_forma_reason": "20 school days, joint enquiries failed"}
VISIT = {"officer": "EWO R Patel", "outcome": "no_contact"}
FIX = (
    "load them with `cme calendar import FILE --school 8212001` (the school's term dates as "
    "an ICS file) or add them to the authority's calendar file (CME_CALENDAR), then try again"
)
# First day of absence Mon 12 Oct 2026. Counted on weekdays: 12-16 Oct (5), 19-23 (10),
# 26-30 Oct (15, the half term counted as school days), 2-6 Nov (20): removal "allowed" from
# Mon 9 Nov. On the made-up term dates: 12-16 (5), 19-23 (10), half term, 2-6 Nov (15),
# 9-13 Nov (20): removal allowed from Mon 16 Nov.
NO_2026_27 = Block(
    "school_days_on_term_dates",
    "reg 9(1)(i): the 20 school days of absence from 2026-10-12 cannot be counted: no term "
    "dates are loaded for 2026/27, and no removal from roll may rest on weekdays counted in "
    f"their place (the count runs 2026-10-12 to 2026-11-09); {FIX}",
)


def with_2026_27(luton: SchoolCalendar) -> SchoolCalendar:
    return SchoolCalendar(
        "Luton with 2026/27",
        [
            *luton.terms,
            TermRange(date(2026, 9, 2), date(2026, 10, 23), "Autumn 1"),
            TermRange(date(2026, 11, 2), date(2026, 12, 18), "Autumn 2"),
        ],
    )


def walk_in_2026(desk: Desk, first_absence: str = "2026-10-12") -> int:
    """Opened Tue 10 Nov 2026: joint enquiries 12 Oct - 10 Nov, visits 4-6 Nov, housing 9 Nov."""
    desk.at("2026-11-10T09:00")
    case_id = desk.open_school(first_absence_date=first_absence).case.id
    desk.do(case_id, "begin_enquiries")
    desk.school_enquiry(case_id, "2026-10-12")
    desk.enquiry(case_id, "2026-11-10", method="letter")
    for trigger, moment in (
        ("record_first_visit", "2026-11-04T09:30"),
        ("record_second_visit", "2026-11-05T14:00"),
        ("record_third_visit", "2026-11-06T18:30"),
    ):
        desk.do(case_id, trigger, visited_at=moment, **VISIT)
    desk.do(case_id, "check_housing", checked_on="2026-11-09", housing_result="no_trace")
    return case_id


def refused_removal(desk: Desk, case_id: int, **evidence: str) -> tuple[Block, ...]:
    case = desk.engine.get(case_id)
    events = len(desk.events(case_id))
    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(case_id, "remove_from_roll", **(evidence or REMOVAL))
    assert (desk.engine.get(case_id).version, len(desk.events(case_id))) == (
        case.version,
        events,
    )
    return e.value.blocks


def test_a_removal_counted_over_2026_27_without_its_term_dates_is_refused(desk: Desk) -> None:
    case_id = walk_in_2026(desk)
    desk.at("2026-12-03T10:00")

    assert refused_removal(desk, case_id) == (NO_2026_27,)


def test_the_weekday_count_no_longer_allows_removal_early(desk: Desk) -> None:
    # Tue 10 Nov 2026: the weekday count says removal is allowed from Mon 9 Nov; it is not.
    case_id = walk_in_2026(desk)

    assert refused_removal(desk, case_id) == (NO_2026_27,)


def test_once_the_term_dates_are_loaded_the_real_count_decides(
    desk: Desk, calendar: SchoolCalendar
) -> None:
    case_id = walk_in_2026(desk)
    desk.engine.calendars = SingleCalendar(with_2026_27(calendar))

    early = refused_removal(desk, case_id)
    desk.at("2026-11-16T09:00")
    applied = desk.do(case_id, "remove_from_roll", **REMOVAL)

    # By Mon 9 Nov: 12-16 Oct, 19-23 Oct, 2-6 Nov and Mon 9 Nov: 16 school days.
    assert early == (
        Block(
            "removal_ground_met",
            "reg 9(1)(i): 20 school days of continuous unauthorised absence are needed; 16 so "
            "far since the first day of absence (2026-10-12); day 20 is 2026-11-13, removal "
            "allowed from 2026-11-16",
        ),
    )
    assert applied.case.state == "lost_pupil_upload"


def test_a_count_from_the_summer_term_into_2026_27_is_refused(desk: Desk) -> None:
    # Mon 6 Jul 2026: 6-17 Jul are days 1-10 on the loaded 2025/26 dates; days 11-20 and the
    # removal day fall after 17 Jul, where no term dates are loaded.
    desk.at("2026-09-30T09:00")
    case_id = desk.open_school(first_absence_date="2026-07-06").case.id
    desk.do(case_id, "begin_enquiries")
    desk.school_enquiry(case_id, "2026-07-06")
    desk.enquiry(case_id, "2026-09-30", method="letter")
    for trigger, moment in (
        ("record_first_visit", "2026-09-14T09:30"),
        ("record_second_visit", "2026-09-15T14:00"),
        ("record_third_visit", "2026-09-16T18:30"),
    ):
        desk.do(case_id, trigger, visited_at=moment, **VISIT)
    desk.do(case_id, "check_housing", checked_on="2026-09-29", housing_result="no_trace")

    blocks = refused_removal(desk, case_id)

    # Weekdays after 17 Jul: 20-24 Jul (15), 27-31 Jul (20): "allowed" Mon 3 Aug.
    assert blocks == (
        Block(
            "school_days_on_term_dates",
            "reg 9(1)(i): the 20 school days of absence from 2026-07-06 cannot be counted: no "
            "term dates are loaded for 2026/27, and no removal from roll may rest on weekdays "
            f"counted in their place (the count runs 2026-07-06 to 2026-08-03); {FIX}",
        ),
    )


def test_a_removal_after_leave_counted_over_2026_27_is_refused_under_reg_9_1_h(
    desk: Desk,
) -> None:
    # Leave ended Fri 9 Oct 2026: weekdays 12-16 Oct (5), 19-23 Oct (10): "allowed" 26 Oct.
    desk.at("2026-11-10T09:00")
    case_id = desk.open_school(first_absence_date=None, leave_end_date="2026-10-09").case.id
    desk.do(case_id, "begin_enquiries")
    desk.school_enquiry(case_id, "2026-10-09")
    desk.enquiry(case_id, "2026-11-10", method="letter")
    for trigger, moment in (
        ("record_first_visit", "2026-11-04T09:30"),
        ("record_second_visit", "2026-11-05T14:00"),
        ("record_third_visit", "2026-11-06T18:30"),
    ):
        desk.do(case_id, trigger, visited_at=moment, **VISIT)
    desk.do(case_id, "check_housing", checked_on="2026-11-09", housing_result="no_trace")

    blocks = refused_removal(
        desk, case_id, removal_ground="h", pro_forma_reason="did not return from leave"
    )

    assert blocks == (
        Block(
            "school_days_on_term_dates",
            "reg 9(1)(h): the 10 school days after agreed leave ended (2026-10-09) cannot be "
            "counted: no term dates are loaded for 2026/27, and no removal from roll may rest "
            "on weekdays counted in their place (the count runs 2026-10-10 to 2026-10-26); "
            f"{FIX}",
        ),
    )


def test_a_removal_counted_on_loaded_term_dates_is_not_held_up(desk: Desk) -> None:
    # The default case (absent from Mon 29 Sep 2025) is counted on 2025/26's dates.
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)
    desk.to_housing_check(case_id)

    applied = desk.do(case_id, "remove_from_roll", **REMOVAL)

    assert applied.case.state == "lost_pupil_upload"


def test_the_actions_list_shows_removal_waiting_for_term_dates(desk: Desk) -> None:
    case_id = walk_in_2026(desk)

    actions = {a.trigger: a for a in desk.engine.actions(case_id)}

    assert actions["remove_from_roll"].blocked_by == (
        f"school_days_on_term_dates: {NO_2026_27.reason}",
    )


# --- provisional reminders still run, and say so ------------------------------------------
def test_a_provisional_reminder_fires_and_its_event_says_provisional(desk: Desk) -> None:
    # Opened Mon 2 Nov 2026; case_stalled after 5 weekdays: Mon 9 Nov, provisional. The
    # four-week notice (28 calendar days from Mon 12 Oct) falls the same day and needs no term
    # dates, so it says nothing of provisional.
    desk.at("2026-11-02T09:00")
    case_id = desk.open_school(first_absence_date="2026-10-12").case.id
    desk.at("2026-11-09T09:00")

    desk.engine.fire_due_timers()

    reached = [e for e in desk.events(case_id) if e.trigger == "deadline_reached"]
    assert sorted((dict(e.evidence) for e in reached), key=lambda e: e["deadline"]) == [
        {
            "deadline": "case_stalled",
            "due_on": "2026-11-09",
            "provisional": True,
            "provisional_reason": "no term dates loaded for 2026/27",
        },
        {"deadline": "missing_four_weeks", "due_on": "2026-11-09"},
    ]
    assert sorted(desk.templates(case_id)[-2:]) == ["case_stalled", "missing_four_weeks"]


def test_a_reminder_on_term_dates_says_nothing_of_provisional(desk: Desk) -> None:
    case_id = desk.open_school().case.id
    desk.at("2025-11-10T09:00")

    desk.engine.fire_due_timers()

    reached = [dict(e.evidence) for e in desk.events(case_id) if e.trigger == "deadline_reached"]
    assert {"deadline": "case_stalled", "due_on": "2025-11-10"} in reached
    assert not any("provisional" in e for e in reached)
