"""Issue 12 item 7: the smaller gaps against the policy and the 2024 regulations, as scenarios
at fixed dates on SQLite and PostgreSQL (`db_url`), through the real renderer and recipients.

Dates are worked by hand on Luton's 2025/26 calendar (autumn 2 from Mon 3 Nov to Fri 19 Dec;
spring from Mon 5 Jan 2026). A refused step is checked to write nothing: the case's version,
its events, its timers and the outbox are as they were.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from engine import Actor, GuardsFailed
from engine.clock import LOCAL_ZONE
from engine.testing import FakeClock
from storage import queries
from tests.support import START, school_referral

CMEO = Actor("alice", "cmeo")
EWO = Actor("bob", "caseworker")
EHE = Actor("erin", "ehe_officer")
MASH = Actor("mo", "mash")
CMEO_MAIL = "cme@luton.gov.uk"
SCHOOL_MAIL = "office@example-primary.luton.gov.uk"
BEDFORD_MAIL = "cme@bedford.gov.uk"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: FakeClock, app_factory: Any) -> Any:
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(
        f'schools: {{"8212001": {SCHOOL_MAIL}}}\nlas: {{"823": {BEDFORD_MAIL}}}\n',
        encoding="utf-8",
    )
    return app_factory(
        db_url,
        clock,
        recipients_file=recipients,
        mail_allowed_domains="luton.gov.uk,bedford.gov.uk",
    )


def at(clock: FakeClock, moment: str) -> None:
    """Move the clock to a Europe/London wall-clock time, `YYYY-MM-DDTHH:MM`."""
    clock.set(datetime.fromisoformat(moment).replace(tzinfo=LOCAL_ZONE))


def outbox(app: Any, case_id: int) -> list[tuple[str, str]]:
    """(template, recipient) of every message queued for the case, in order."""
    with app.db.connect() as conn:
        rows = conn.execute(
            text("SELECT template, recipient FROM outbox WHERE case_id = :c ORDER BY id"),
            {"c": case_id},
        )
        return [(r.template, r.recipient) for r in rows]


def body(app: Any, case_id: int, template: str) -> str:
    """The plain-text body of the case's last message from `template`, unwrapped."""
    with app.db.connect() as conn:
        row = conn.execute(
            text(
                "SELECT body_text FROM outbox WHERE case_id = :c AND template = :t "
                "ORDER BY id DESC"
            ),
            {"c": case_id, "t": template},
        ).first()
    assert row is not None, f"no {template} message"
    return " ".join(str(row.body_text).split())


def stored(app: Any, case_id: int) -> tuple[int, int, int, list[tuple[str, str]], str]:
    """Everything a step could write: version, events, pending timers, outbox, state."""
    case = app.engine.get(case_id)
    pending = len(queries.pending_timers(app.db, case_id))
    return (
        case.version,
        queries.count_events(app.db, case_id),
        pending,
        outbox(app, case_id),
        case.state,
    )


def refused(
    app: Any, case_id: int, trigger: str, evidence: dict[str, Any], actor: Actor = CMEO
) -> list[tuple[str, str]]:
    """Apply a step that must be refused; return its blocks; check nothing was written."""
    before = stored(app, case_id)
    with pytest.raises(GuardsFailed) as refusal:
        app.engine.apply(case_id, trigger, evidence, actor)
    assert stored(app, case_id) == before
    return [(b.guard, b.reason) for b in refusal.value.blocks]


def new_messages(app: Any, case_id: int, step: Any) -> list[tuple[str, str]]:
    """Run `step()` and return the (template, recipient) pairs it queued."""
    before = len(outbox(app, case_id))
    step()
    return outbox(app, case_id)[before:]


def open_case(app: Any, **changes: Any) -> int:
    referral = school_referral(**changes)
    return int(app.engine.open_case("school-referral", referral, EWO).case.id)


def walk_to_housing_check(app: Any, clock: FakeClock, case_id: int, housing: str) -> None:
    """Enquiry on Mon 3 Nov; visits morning Mon 3, afternoon Tue 4, evening Wed 5 Nov;
    the housing check on Thu 6 Nov."""
    apply = app.engine.apply
    at(clock, "2025-11-03T10:00")
    apply(case_id, "begin_enquiries", {}, EWO)
    apply(
        case_id,
        "record_enquiry",
        {
            "enquiry_method": "telephone",
            "made_by": "la",
            "made_on": "2025-11-03",
            "summary": "no answer",
        },
        EWO,
    )
    for day, hour, trigger in (
        ("2025-11-03", "09:30", "record_first_visit"),
        ("2025-11-04", "14:00", "record_second_visit"),
        ("2025-11-05", "18:30", "record_third_visit"),
    ):
        at(clock, f"{day}T20:00")
        apply(
            case_id,
            trigger,
            {"visited_at": f"{day}T{hour}", "officer": "Bob EWO", "outcome": "no_contact"},
            EWO,
        )
    at(clock, "2025-11-06T10:00")
    apply(case_id, "check_housing", {"checked_on": "2025-11-06", "housing_result": housing}, EWO)


# --- 1. the four-week notice on a leave-of-absence case ------------------------------------
def test_a_leave_of_absence_case_tells_the_cmeo_four_weeks_after_the_leave_ended(
    app: Any, clock: FakeClock
) -> None:
    # Leave ended Fri 10 Oct 2025; 28 calendar days later is Fri 7 Nov (on main: never).
    referral = school_referral(leave_end_date="2025-10-10")
    del referral["first_absence_date"]
    case_id = int(app.engine.open_case("school-referral", referral, EWO).case.id)

    notice = next(
        t for t in queries.pending_timers(app.db, case_id) if t.name == "missing_four_weeks"
    )
    at(clock, "2025-11-06T23:00")
    app.engine.fire_due_timers()
    early = outbox(app, case_id)
    at(clock, "2025-11-07T00:05")
    app.engine.fire_due_timers()

    assert (notice.provenance["counted_from"], notice.provenance["due_on"]) == (
        "leave_end_date",
        "2025-11-07",
    )
    assert early == [("referral_received", CMEO_MAIL)]
    assert outbox(app, case_id) == [
        ("referral_received", CMEO_MAIL),
        ("missing_four_weeks", CMEO_MAIL),
    ]
    assert (
        "agreed leave of absence ended on Friday 10 October 2025, 28 days ago, and the pupil "
        "has not returned" in body(app, case_id, "missing_four_weeks")
    )


# --- 2. the EHE hand-over on chart 2 ----------------------------------------------------------
def _hand_over(app: Any, clock: FakeClock) -> int:
    case_id = open_case(app, parents=["Pat Example"])
    at(clock, "2025-11-03T10:00")
    app.engine.apply(case_id, "begin_enquiries", {}, EWO)
    return case_id


def test_the_ewo_records_home_education_the_pupil_leaves_under_f_and_the_case_stays_open(
    app: Any, clock: FakeClock
) -> None:
    case_id = _hand_over(app, clock)

    sent = new_messages(
        app,
        case_id,
        lambda: app.engine.apply(
            case_id,
            "record_home_education",
            {
                "home_education_confirmed_on": "2025-11-03",
                "pro_forma_reason": "the parents wrote to the school: home education",
                "parent_phone": "01632 960999",
            },
            EWO,
        ),
    )

    case = app.engine.get(case_id)
    assert (case.state, case.closed_at) == ("home_education", None)
    assert sent == [("pro_forma", CMEO_MAIL), ("ehe_handover", "ehe@luton.gov.uk")]
    letter = body(app, case_id, "pro_forma")
    assert "Ground: reg 9(1)(f): the parent told the school in writing" in letter
    assert "Emergency telephone: 01632 960999" in letter
    assert "the case is handed to the Elective Home Education team" in letter


def test_the_ehe_case_closes_only_once_the_ctf_is_recorded_after_the_removal(
    app: Any, clock: FakeClock
) -> None:
    case_id = _hand_over(app, clock)
    app.engine.apply(
        case_id,
        "record_home_education",
        {"home_education_confirmed_on": "2025-11-03", "pro_forma_reason": "written notice"},
        EWO,
    )

    too_soon = refused(app, case_id, "record_ehe_assessment", {"ehe_assessment": "suitable"}, EHE)
    abroad = refused(
        app,
        case_id,
        "record_ehe_ctf_upload",
        {"uploaded_on": "2025-11-03", "file_name": "8212001_CTF_MMMMMMM_001.xml"},
        EWO,
    )
    before = refused(
        app,
        case_id,
        "record_ehe_ctf_upload",
        {"uploaded_on": "2025-10-31", "file_name": "8212001_CTF_XXXXXXX_001.xml"},
        EWO,
    )
    # 15 school days from Mon 3 Nov: 4-7 (4), 10-14 (9), 17-21 (14), Mon 24 Nov (15)
    at(clock, "2025-11-23T23:00")
    app.engine.fire_due_timers()
    quiet = outbox(app, case_id)[-1]
    at(clock, "2025-11-24T00:05")
    chased = new_messages(app, case_id, app.engine.fire_due_timers)
    at(clock, "2025-11-24T11:00")
    app.engine.apply(
        case_id,
        "record_ehe_ctf_upload",
        {"uploaded_on": "2025-11-24", "file_name": "8212001_CTF_XXXXXXX_001.xml"},
        EWO,
    )
    closed = app.engine.apply(
        case_id, "record_ehe_assessment", {"ehe_assessment": "suitable"}, EHE
    )

    assert too_soon == [
        (
            "ehe_ctf_recorded",
            "the CTF upload for the pupil removed for home education is not recorded: Luton "
            "CME policy 2020: 'Schools should upload CTF files to the 'lost pupil' section of "
            "the S2S secure website when a child has moved ... on to elective home education' "
            "- record it with 'record_ehe_ctf_upload' first",
        )
    ]
    assert abroad == [
        (
            "ehe_ctf_file_name",
            "Luton CME policy 2020: 'Schools should upload CTF files to the 'lost pupil' "
            "section of the S2S secure website when a child has moved ... on to elective home "
            "education'; the file name must be LLLEEEE_CTF_XXXXXXX_NNN.xml (source a school's "
            "LAESTAB or the authority's, e.g. 821LLLL; destination XXXXXXX; 3-digit sequence), "
            "or the name of a lost-pupil CTF exported for this case, got "
            "'8212001_CTF_MMMMMMM_001.xml'",
        )
    ]
    assert before == [
        (
            "ctf_not_before_removal",
            "the CTF upload date 2025-10-31 is before the pupil was removed from roll on "
            "2025-11-03 (reg 9(1)(f)): Luton CME policy 2020: 'A CTF must be sent within 15 "
            "school days of the pupil ceasing to be registered at the old school' - record "
            "the day the file was actually uploaded",
        )
    ]
    assert quiet == ("ehe_handover", "ehe@luton.gov.uk")
    assert chased == [("ctf_overdue", SCHOOL_MAIL), ("ctf_overdue", CMEO_MAIL)]
    assert (closed.case.state, closed.case.outcome) == ("closed", "home_educated")


def test_unsuitable_home_education_goes_back_to_enquiries_or_to_a_school_attendance_order(
    app: Any, clock: FakeClock
) -> None:
    back = _hand_over(app, clock)
    sao = _hand_over(app, clock)
    for case_id in (back, sao):
        app.engine.apply(
            case_id,
            "record_home_education",
            {"home_education_confirmed_on": "2025-11-03", "pro_forma_reason": "written notice"},
            EWO,
        )

    returned = app.engine.apply(
        back, "return_from_ehe", {"ehe_assessment": "unsuitable", "summary": "no work seen"}, EHE
    )
    twice = refused(
        app,
        back,
        "record_home_education",
        {"home_education_confirmed_on": "2025-11-03", "pro_forma_reason": "again"},
        EWO,
    )
    again = app.engine.apply(
        back, "hand_to_ehe_after_removal", {"home_education_confirmed_on": "2025-11-03"}, EWO
    )
    served = app.engine.apply(
        sao,
        "issue_school_attendance_order",
        {"ehe_assessment": "unsuitable", "notice_served_on": "2025-11-03"},
        EHE,
    )
    complied = app.engine.apply(
        sao,
        "record_attendance_order_complied",
        {
            "order_served_on": "2025-11-03",
            "admitted_school": "Example Primary",
            "admitted_on": "2025-11-03",
        },
        CMEO,
    )

    assert returned.case.state == "enquiries"
    assert twice == [
        (
            "removal_ground_fits_route",
            "the pupil was already removed from roll on 2025-11-03 under reg 9(1)(f): a name "
            "is deleted from the admission register once (2024 regulations, reg 9) - hand the "
            "case to the EHE team with 'hand_to_ehe_after_removal'",
        )
    ]
    assert again.case.state == "home_education"
    assert outbox(app, back)[-1] == ("ehe_handover", "ehe@luton.gov.uk")
    assert served.case.state == "school_attendance_order"
    assert (complied.case.state, complied.case.outcome) == ("closed", "on_roll_elsewhere")


# --- 3 and 8. ground (g), and the reg 13 deletion return ------------------------------------
def test_ground_g_needs_an_address_beyond_reach_and_the_return_lists_every_particular(
    app: Any, clock: FakeClock
) -> None:
    # First absence Mon 20 Oct: on Thu 6 Nov far fewer than 20 school days have passed, so
    # (i) could not be cited; (g) does not count days.
    case_id = open_case(app, first_absence_date="2025-10-20", parents=["Pat Example"])
    walk_to_housing_check(app, clock, case_id, "address_outside_authority")
    at(clock, "2025-11-06T11:00")
    ground_g = {"removal_ground": "g", "pro_forma_reason": "moved to Scotland"}

    no_address = refused(app, case_id, "remove_from_roll", ground_g, EWO)
    sent = new_messages(
        app,
        case_id,
        lambda: app.engine.apply(
            case_id,
            "remove_from_roll",
            {
                **ground_g,
                "future_address": "3 Sample Wynd, Inverness IV1 1AA",
                "parents_address": "3 Sample Wynd, Inverness IV1 1AA",
            },
            EWO,
        ),
    )

    assert no_address == [
        (
            "ground_g_met",
            "reg 9(1)(g): the pupil has ceased to attend the school and no longer lives within "
            "a reasonable distance of it (boarders excepted); the future address is not given: "
            "under (g) the new address must be known to show it is beyond reasonable distance, "
            "and reg 13(4) puts it on the deletion return (give 'future_address')",
        )
    ]
    assert (app.engine.get(case_id).state, sent) == (
        "lost_pupil_upload",
        [("pro_forma", CMEO_MAIL)],
    )
    letter = body(app, case_id, "pro_forma")
    for row in (
        "Full name: Sam Testchild",
        "Address: not known",
        "Parents: Pat Example",
        "Parents' address: 3 Sample Wynd, Inverness IV1 1AA",
        "Emergency telephone: not known",
        "Future address: 3 Sample Wynd, Inverness IV1 1AA",
        "New school: not known",
        "Ground: reg 9(1)(g): no longer lives within reasonable distance",
    ):
        assert row in letter


def test_ground_g_is_refused_when_nothing_shows_the_child_lives_beyond_reach(
    app: Any, clock: FakeClock
) -> None:
    case_id = open_case(app, first_absence_date="2025-10-20")
    walk_to_housing_check(app, clock, case_id, "no_trace")
    at(clock, "2025-11-06T11:00")

    blocks = refused(
        app,
        case_id,
        "remove_from_roll",
        {"removal_ground": "g", "pro_forma_reason": "gone", "future_address": "unknown"},
        EWO,
    )

    assert blocks == [
        (
            "ground_g_met",
            "reg 9(1)(g): the pupil has ceased to attend the school and no longer lives within "
            "a reasonable distance of it (boarders excepted); nothing recorded shows the child "
            "lives beyond reasonable distance: the housing check found no_trace, and no other "
            "authority has been told - cite (g) on a housing check that found an address "
            "outside the authority or a move abroad, or after notifying the other authority",
        )
    ]


# --- 4, 5 and 6. another authority never confirms; the CTF; the tracking review -----------
def test_a_child_the_other_authority_never_confirms_is_removed_under_g_and_tracked(
    app: Any, clock: FakeClock
) -> None:
    case_id = open_case(app, first_absence_date="2025-10-20")
    at(clock, "2025-11-03T10:00")
    app.engine.apply(case_id, "begin_enquiries", {}, EWO)
    told = new_messages(
        app,
        case_id,
        lambda: app.engine.apply(
            case_id, "notify_other_la", {"other_la": "823", "notified_on": "2025-11-03"}, EWO
        ),
    )
    moved_away = {
        "removal_ground": "g",
        "pro_forma_reason": "moved to Bedford; Bedford never confirmed a school",
        "future_address": "4 Sample Close, Bedford MK40 1AA",
    }

    not_yet = refused(app, case_id, "remove_from_roll_moved_away", moved_away, EWO)
    # 20 school days from Mon 3 Nov: Mon 1 Dec; the chase goes at 00:05
    at(clock, "2025-12-01T00:05")
    app.engine.fire_due_timers()
    at(clock, "2025-12-01T10:00")
    wrong_ground = refused(
        app, case_id, "remove_from_roll_moved_away", {**moved_away, "removal_ground": "i"}, EWO
    )
    removed = new_messages(
        app,
        case_id,
        lambda: app.engine.apply(case_id, "remove_from_roll_moved_away", moved_away, EWO),
    )
    ctf = {"file_name": "8212001_CTF_XXXXXXX_001.xml"}
    backdated = refused(
        app, case_id, "record_ctf_upload", {**ctf, "uploaded_on": "2025-11-28"}, EWO
    )
    at(clock, "2025-12-02T10:00")
    app.engine.apply(case_id, "record_ctf_upload", {**ctf, "uploaded_on": "2025-12-02"}, EWO)
    # tracking from Tue 2 Dec: 3-5 Dec (3), 8-12 (8), 15-19 (13), Christmas break,
    # 5-9 Jan (18), Mon 12 (19), Tue 13 Jan (20)
    at(clock, "2026-01-12T23:00")
    app.engine.fire_due_timers()
    quiet = [e.trigger for e in queries.events(app.db, case_id)][-1]
    at(clock, "2026-01-13T00:05")
    reviewed = new_messages(app, case_id, app.engine.fire_due_timers)

    assert told == [("la_transfer", BEDFORD_MAIL)]
    assert not_yet == [
        (
            "other_la_never_confirmed",
            "the other authority (LA 823) was told on 2025-11-03 and has not yet missed its "
            "deadline to confirm the child is in education there (deadline 'la_confirmation', "
            "20 school days by default): remove from roll on this route only once it has "
            "missed it and been chased",
        )
    ]
    assert wrong_ground == [
        (
            "removal_ground_fits_route",
            "the child moved to another authority, so the ground is reg 9(1)(g): the pupil "
            "has ceased to attend the school and no longer lives within a reasonable distance "
            "of it (boarders excepted); reg 9(1)(i) is not cited on this route",
        )
    ]
    assert removed == [("pro_forma", CMEO_MAIL)]
    assert "Future address: 4 Sample Close, Bedford MK40 1AA" in body(app, case_id, "pro_forma")
    assert backdated == [
        (
            "ctf_not_before_removal",
            "the CTF upload date 2025-11-28 is before the pupil was removed from roll on "
            "2025-12-01 (reg 9(1)(g)): Luton CME policy 2020: 'A CTF must be sent within 15 "
            "school days of the pupil ceasing to be registered at the old school' - record "
            "the day the file was actually uploaded",
        )
    ]
    assert quiet == "record_ctf_upload"
    assert reviewed == [("tracking_review", CMEO_MAIL)]
    pending = {t.name: t.provenance["due_on"] for t in queries.pending_timers(app.db, case_id)}
    # the next review: 20 school days from Tue 13 Jan 2026 is Tue 10 Feb
    assert (app.engine.get(case_id).state, pending["tracking_review"]) == (
        "tracking",
        "2026-02-10",
    )


# --- 7. the child passes compulsory school age mid-case ---------------------------------------
def _year_11(app: Any, clock: FakeClock, **changes: Any) -> int:
    # Born 1 May 2010: 16 on 1 May 2026, so compulsory school age ends on the last Friday
    # of June 2026, Fri 26 Jun (Education Act 1996 s8(3)).
    at(clock, "2026-05-11T09:00")
    child = {**school_referral()["child"], "date_of_birth": "2010-05-01"}
    return open_case(app, child=child, first_absence_date="2026-04-20", **changes)


def test_the_cmeo_is_told_when_the_child_leaves_compulsory_school_age_and_decides(
    app: Any, clock: FakeClock
) -> None:
    case_id = _year_11(app, clock)
    closing = {"case_outcome": "left_compulsory_school_age", "closure_reason": "turned 16"}

    at(clock, "2026-06-26T16:00")
    still_of_age = refused(app, case_id, "close_case", closing)
    at(clock, "2026-06-26T23:00")
    app.engine.fire_due_timers()
    quiet = outbox(app, case_id)
    at(clock, "2026-06-27T00:05")
    told = new_messages(app, case_id, app.engine.fire_due_timers)
    open_after = app.engine.get(case_id).state
    at(clock, "2026-06-29T09:00")
    closed = app.engine.apply(case_id, "close_case", closing, CMEO)

    assert still_of_age == [
        (
            "school_age_outcome",
            "Education Act 1996 s8(3): the child is of compulsory school age until the school "
            "leaving date, 2026-06-26 (the last Friday in June of the school year in which "
            "they turn 16); this outcome is allowed from 2026-06-27",
        )
    ]
    assert ("school_age_ended", CMEO_MAIL) not in quiet
    assert told == [("school_age_ended", CMEO_MAIL)]
    assert "ceased to be of compulsory school age at the end of Friday 26 June 2026" in body(
        app, case_id, "school_age_ended"
    )
    assert open_after == "received"
    assert (closed.case.state, closed.case.outcome) == ("closed", "left_compulsory_school_age")


def test_a_mash_escalation_is_untouched_when_the_child_leaves_compulsory_school_age(
    app: Any, clock: FakeClock
) -> None:
    case_id = _year_11(app, clock)
    at(clock, "2026-06-26T23:00")
    app.engine.fire_due_timers()  # the reminders due before (four weeks, stalled) go now
    at(clock, "2026-06-26T23:30")
    app.engine.apply(
        case_id, "raise_concern", {"concern": "seen with adults", "raised_by": "Bob EWO"}, EWO
    )
    at(clock, "2026-06-27T00:05")

    told = new_messages(app, case_id, app.engine.fire_due_timers)
    closing = refused(
        app,
        case_id,
        "close_case",
        {"case_outcome": "left_compulsory_school_age", "closure_reason": "turned 16"},
    )

    assert told == [("school_age_ended", CMEO_MAIL)]
    assert closing == [
        (
            "no_open_child_protection_escalation",
            "MASH has not acknowledged the escalation yet: it cannot be closed before",
        )
    ]
    assert app.engine.get(case_id).state == "escalated_to_mash"


def test_chart_1_closes_with_the_school_age_outcome_once_it_has_passed(
    app: Any, clock: FakeClock
) -> None:
    at(clock, "2026-05-11T09:00")
    referral = {
        "child": {"forename": "Alex", "surname": "Example", "date_of_birth": "2010-05-01"},
        "reason": "moved into Luton, on no roll",
        "risk_flags": [],
        "referrer": {"name": "Mr Officer", "organisation": "Bedford Borough Council"},
    }
    case_id = int(app.engine.open_case("out-of-school-referral", referral, CMEO).case.id)
    at(clock, "2026-06-26T23:00")
    app.engine.fire_due_timers()
    at(clock, "2026-06-27T00:05")
    told = new_messages(app, case_id, app.engine.fire_due_timers)
    closed = app.engine.apply(
        case_id,
        "close_case",
        {"case_outcome": "left_compulsory_school_age", "closure_reason": "turned 16"},
        CMEO,
    )

    assert told == [("school_age_ended", CMEO_MAIL)]
    assert closed.case.outcome == "left_compulsory_school_age"


def test_a_pause_holds_the_school_age_notice_back_but_never_moves_it(
    app: Any, clock: FakeClock
) -> None:
    case_id = _year_11(app, clock)
    at(clock, "2026-06-26T23:00")
    app.engine.fire_due_timers()  # the reminders due before go now
    app.engine.pause_clock(case_id, "family abroad, awaiting evidence", CMEO)
    at(clock, "2026-06-29T09:00")
    while_paused = new_messages(app, case_id, app.engine.fire_due_timers)
    at(clock, "2026-07-01T09:00")
    moves = app.engine.resume_clock(case_id, CMEO)

    told = new_messages(app, case_id, app.engine.fire_due_timers)

    assert while_paused == []
    assert "compulsory_school_age_ended" not in [m["deadline"] for m in moves.moved]
    assert told == [("school_age_ended", CMEO_MAIL)]
