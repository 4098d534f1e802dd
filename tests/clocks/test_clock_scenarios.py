"""One scenario per row of PROCESS.md's deadlines table, with time moved by freezegun.

The app runs on the system clock (as in production); freezegun moves it to just before and
just after each deadline. Every scenario crosses the October half term (27-31 Oct 2025) or the
Christmas break (22 Dec 2025 - 2 Jan 2026) of Luton's calendar, so a calendar-day count, or one
that ignores bank holidays, fires on the wrong day and fails. Timers fall due at 00:00 local
time on their day; a tick at 23:00 the evening before must not fire them, one at 00:05 must.
Hand-worked dates are in each test's comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from freezegun import freeze_time

from engine import Actor, GuardsFailed, SystemClock
from storage import queries
from tests.support import school_referral

CMEO = Actor("alice", "cmeo")
MASH = Actor("mo", "mash")


@pytest.fixture
def app(tmp_path: Any, app_factory: Any) -> Iterator[Any]:
    with freeze_time("2025-09-01 08:00:00"):
        yield app_factory(f"sqlite:///{tmp_path}/cme.db", SystemClock())


def at(moment: str) -> Any:
    """Freeze the wall clock at a Europe/London local time (GMT in these winter months)."""
    return freeze_time(moment, tz_offset=0)


def fired(app: Any, case_id: int, name: str) -> bool:
    return any(t.name == name and t.status == "fired" for t in queries.all_timers(app.db, case_id))


def templates(app: Any, case_id: int) -> list[str]:
    with app.db.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(
            text("SELECT template FROM outbox WHERE case_id = :c ORDER BY id"), {"c": case_id}
        )
        return [r.template for r in rows]


def walk_to_housing_check(app: Any, case_id: int, days: tuple[str, str, str]) -> None:
    """The school's enquiry on the first day of absence (or the day leave ended) and the LA's
    on `days[0]`, three visits (morning, afternoon, evening) on `days`, housing check."""
    facts = app.engine.get(case_id).facts
    with at(f"{days[0]} 08:00"):
        app.engine.apply(case_id, "begin_enquiries", {}, CMEO)
        enquiry(
            app,
            case_id,
            facts.get("first_absence_date") or facts["leave_end_date"],
            method="school_staff",
            made_by="school",
        )
        enquiry(app, case_id, days[0])
    for day, hour in zip(days, ("09:30", "14:00", "18:30"), strict=True):
        with at(f"{day} 20:00"):
            trigger = {
                "09:30": "record_first_visit",
                "14:00": "record_second_visit",
                "18:30": "record_third_visit",
            }[hour]
            app.engine.apply(
                case_id,
                trigger,
                {"visited_at": f"{day}T{hour}", "officer": "EWO", "outcome": "no_contact"},
                CMEO,
            )
    with at(f"{days[2]} 20:30"):
        app.engine.apply(
            case_id, "check_housing", {"checked_on": days[2], "housing_result": "no_trace"}, CMEO
        )


def enquiry(
    app: Any, case_id: int, day: str, method: str = "telephone", made_by: str = "la"
) -> None:
    """An enquiry made on `day` (policy: enquiries by school and LA over four weeks)."""
    app.engine.apply(
        case_id,
        "record_enquiry",
        {"enquiry_method": method, "made_by": made_by, "made_on": day, "summary": "no answer"},
        CMEO,
    )


def remove(app: Any, case_id: int, ground: str = "i") -> None:
    app.engine.apply(
        case_id,
        "remove_from_roll",
        {"removal_ground": ground, "pro_forma_reason": "enquiries failed"},
        CMEO,
    )


def test_removal_from_roll_waits_for_20_school_days_of_absence(app: Any) -> None:
    # First day of absence Mon 13 Oct 2025 is day 1: 13-17 Oct (5), 20-24 Oct (10), half term
    # 27-31 Oct, 3-7 Nov (15), 10-14 Nov (20). Day 20 is Fri 14 Nov; removal from Mon 17 Nov.
    # 20 calendar days would have allowed it on Sun 2 Nov.
    with at("2025-10-20 09:00"):
        case_id = app.engine.open_case(
            "school-referral", school_referral(first_absence_date="2025-10-13"), CMEO
        ).case.id
    walk_to_housing_check(app, case_id, ("2025-11-03", "2025-11-04", "2025-11-05"))
    with at("2025-11-14 15:00"):  # enquiries 13 Oct - 14 Nov: over four weeks
        enquiry(app, case_id, "2025-11-14", method="letter")

    with at("2025-11-14 16:00"), pytest.raises(GuardsFailed) as refused:
        remove(app, case_id)
    with at("2025-11-17 09:00"):
        remove(app, case_id)

    assert "day 20 is 2025-11-14, removal allowed from 2025-11-17" in str(refused.value)
    assert app.engine.get(case_id).state == "lost_pupil_upload"


def test_removal_after_leave_waits_10_school_days_across_christmas(app: Any) -> None:
    # Leave ended Fri 12 Dec 2025. School days after it: 15-19 Dec (5), Christmas break
    # 22 Dec - 2 Jan (bank holidays 25, 26 Dec and 1 Jan inside it), 5-9 Jan (10).
    # Day 10 is Fri 9 Jan 2026; removal allowed from Mon 12 Jan.
    with at("2025-12-15 09:00"):
        case_id = app.engine.open_case(
            "school-referral",
            school_referral(first_absence_date=None, leave_end_date="2025-12-12"),
            CMEO,
        ).case.id
    walk_to_housing_check(app, case_id, ("2025-12-15", "2025-12-16", "2025-12-17"))
    with at("2026-01-09 15:00"):  # enquiries 12 Dec - 9 Jan: four weeks
        enquiry(app, case_id, "2026-01-09", method="letter")

    with at("2026-01-09 16:00"), pytest.raises(GuardsFailed) as refused:
        remove(app, case_id, "h")
    with at("2026-01-12 09:00"):
        remove(app, case_id, "h")

    assert "reg 9(1)(h)" in str(refused.value)
    assert "day 10 is 2026-01-09, removal allowed from 2026-01-12" in str(refused.value)


def test_the_cmeo_is_told_on_the_28th_calendar_day_even_in_the_holidays(app: Any) -> None:
    # First day of absence Mon 1 Dec 2025 + 28 calendar days = Mon 29 Dec 2025, in the
    # Christmas break: this rule counts calendar days, not school days.
    with at("2025-12-08 09:00"):
        case_id = app.engine.open_case(
            "school-referral", school_referral(first_absence_date="2025-12-01"), CMEO
        ).case.id

    with at("2025-12-28 23:00"):
        app.engine.fire_due_timers()
        before = fired(app, case_id, "missing_four_weeks")
    with at("2025-12-29 00:05"):
        app.engine.fire_due_timers()

    assert (before, fired(app, case_id, "missing_four_weeks")) == (False, True)
    assert templates(app, case_id).count("missing_four_weeks") == 1


def test_the_ctf_upload_is_overdue_after_15_school_days_across_christmas(app: Any) -> None:
    # Removed from roll Fri 5 Dec 2025: 8-12 Dec (5), 15-19 Dec (10), Christmas break,
    # 5-9 Jan (15). The CTF is overdue from Fri 9 Jan 2026.
    with at("2025-10-20 09:00"):
        case_id = app.engine.open_case(
            "school-referral", school_referral(first_absence_date="2025-10-13"), CMEO
        ).case.id
    walk_to_housing_check(app, case_id, ("2025-11-03", "2025-11-04", "2025-11-05"))
    with at("2025-12-05 10:00"):
        enquiry(app, case_id, "2025-12-05", method="letter")
        remove(app, case_id)

    with at("2026-01-08 23:00"):
        app.engine.fire_due_timers()
        before = fired(app, case_id, "ctf_upload_due")
    with at("2026-01-09 00:05"):
        app.engine.fire_due_timers()

    assert (before, fired(app, case_id, "ctf_upload_due")) == (False, True)
    assert templates(app, case_id)[-1] == "ctf_overdue"


def test_a_new_pupils_return_is_due_5_days_after_admission(app: Any) -> None:
    # reg 13 counts days, not school days: admitted Fri 19 Dec 2025 -> due Wed 24 Dec 2025.
    with at("2025-12-15 09:00"):
        case_id = app.engine.open_case(
            "out-of-school-referral", school_referral(school=None, first_absence_date=None), CMEO
        ).case.id
        for trigger, evidence in (
            ("begin_database_search", {}),
            (
                "record_database_search",
                {
                    "searched_on": "2025-12-15",
                    "search_result": "no_record",
                    "contacted_on": "2025-12-15",
                    "enters_cme": "yes",
                },
            ),
            ("begin_enquiries", {}),
            ("seek_school_place", {"applied_on": "2025-12-15"}),
        ):
            app.engine.apply(case_id, trigger, evidence, CMEO)
    with at("2025-12-19 12:00"):
        app.engine.apply(
            case_id,
            "record_admission",
            {"admitted_school": "Sample Primary", "admitted_on": "2025-12-19"},
            CMEO,
        )

    with at("2025-12-23 23:00"):
        app.engine.fire_due_timers()
        before = fired(app, case_id, "new_pupil_return")
    with at("2025-12-24 00:05"):
        app.engine.fire_due_timers()

    assert (before, fired(app, case_id, "new_pupil_return")) == (False, True)


@pytest.mark.parametrize(
    ("flags", "due"),
    [
        # standard: opened Thu 23 Oct 2025 -> 24 Oct (1), half term, 3, 4, 5, 6 Nov (5)
        ([], "2025-11-06"),
        # high risk, 2 school days: 24 Oct (1), half term, Mon 3 Nov (2)
        (["runaway"], "2025-11-03"),
    ],
)
def test_a_case_that_has_not_moved_is_flagged_after_5_school_days_or_2_if_high_risk(
    app: Any, flags: list[str], due: str
) -> None:
    with at("2025-10-23 10:00"):
        case_id = app.engine.open_case(
            "school-referral",
            school_referral(first_absence_date="2025-10-22", risk_flags=flags),
            CMEO,
        ).case.id
    day_before = {"2025-11-06": "2025-11-05", "2025-11-03": "2025-11-02"}[due]

    with at(f"{day_before} 23:00"):
        app.engine.fire_due_timers()
        before = fired(app, case_id, "case_stalled")
    with at(f"{due} 00:05"):
        app.engine.fire_due_timers()

    assert (before, fired(app, case_id, "case_stalled")) == (False, True)


def test_a_high_risk_child_not_located_goes_to_mash_after_5_school_days(app: Any) -> None:
    # Opened Wed 17 Dec 2025: 18 Dec (1), 19 Dec (2), Christmas break, 5 Jan (3), 6 Jan (4),
    # Wed 7 Jan 2026 (5).
    with at("2025-12-17 10:00"):
        case_id = app.engine.open_case(
            "school-referral",
            school_referral(first_absence_date="2025-12-16", risk_flags=["runaway"]),
            CMEO,
        ).case.id

    with at("2026-01-06 23:00"):
        app.engine.fire_due_timers()
        before = app.engine.get(case_id).state
    with at("2026-01-07 00:05"):
        app.engine.fire_due_timers()

    assert (before, app.engine.get(case_id).state) == ("received", "escalated_to_mash")


def test_mash_has_one_working_day_to_acknowledge_bank_holidays_excluded(app: Any) -> None:
    # Escalated Wed 24 Dec 2025. Working days skip 25 and 26 Dec (bank holidays) and the
    # weekend: the acknowledgement is due Mon 29 Dec 2025 at 09:00, when the working day
    # begins (school holidays do not matter). A tick at 00:05 that Monday must not re-send.
    with at("2025-12-24 10:00"):
        case_id = app.engine.open_case(
            "school-referral", school_referral(first_absence_date="2025-12-15"), CMEO
        ).case.id
        app.engine.apply(
            case_id, "raise_concern", {"concern": "injury seen", "raised_by": "EWO"}, CMEO
        )

    with at("2025-12-29 08:59"):
        app.engine.fire_due_timers()
        before = fired(app, case_id, "mash_acknowledgement")
    with at("2025-12-29 09:00"):
        app.engine.fire_due_timers()

    assert (before, fired(app, case_id, "mash_acknowledgement")) == (False, True)
    assert [e.trigger for e in queries.events(app.db, case_id)][-1] == "resend_escalation"


def test_a_second_missed_acknowledgement_goes_to_the_service_manager(app: Any) -> None:
    # Escalated Wed 24 Dec: re-sent Mon 29 Dec (first miss, CMEO told); one working day later,
    # Tue 30 Dec 09:00, still unacknowledged: the service manager is told.
    with at("2025-12-24 10:00"):
        case_id = app.engine.open_case(
            "school-referral", school_referral(first_absence_date="2025-12-15"), CMEO
        ).case.id
        app.engine.apply(
            case_id, "raise_concern", {"concern": "injury seen", "raised_by": "EWO"}, CMEO
        )
    with at("2025-12-29 09:05"):
        app.engine.fire_due_timers()

    with at("2025-12-30 09:05"):
        app.engine.fire_due_timers()

    triggers = [e.trigger for e in queries.events(app.db, case_id)]
    assert triggers[-2:] == ["resend_escalation", "escalate_to_manager"]
    sent = templates(app, case_id)
    assert sent[sent.index("escalation_unacknowledged") :] == [
        "escalation_unacknowledged",
        "mash_escalation",
        "escalation_to_manager",
        "mash_escalation",
    ]


def test_another_authority_has_20_school_days_to_confirm_then_is_chased(app: Any) -> None:
    # Notified Mon 1 Dec 2025: 2-5 Dec (4), 8-12 (9), 15-19 (14), Christmas break, 5-9 Jan
    # (19), Mon 12 Jan 2026 (20).
    with at("2025-12-01 10:00"):
        case_id = app.engine.open_case(
            "school-referral", school_referral(first_absence_date="2025-11-24"), CMEO
        ).case.id
        app.engine.apply(case_id, "begin_enquiries", {}, CMEO)
        app.engine.apply(
            case_id, "notify_other_la", {"other_la": "822", "notified_on": "2025-12-01"}, CMEO
        )

    with at("2026-01-11 23:00"):
        app.engine.fire_due_timers()
        before = fired(app, case_id, "la_confirmation")
    with at("2026-01-12 00:05"):
        app.engine.fire_due_timers()

    assert (before, fired(app, case_id, "la_confirmation")) == (False, True)
    assert [e.trigger for e in queries.events(app.db, case_id)][-1] == "chase_other_la"
    # the chase tells the CMEO and sends the transfer again to the other authority
    assert templates(app, case_id)[2:] == ["la_confirmation_overdue", "la_transfer"]
