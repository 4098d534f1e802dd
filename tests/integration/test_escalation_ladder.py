"""Issue 12 items 2, 3 and 5 on real storage (SQLite, and PostgreSQL when configured).

The escalation ladders, rung by rung, with the outbox delivered between ticks (delivery events
on the case were once counted as re-sends and skipped the CMEO's rung); MASH's acknowledgement
due at 09:00 local on the next working day (GMT and BST, across a weekend and a bank holiday);
and what every MASH letter says: the reason, the concern in its own words, the due time, and
on a re-send its number and the first send's time. Dates are worked by hand in the comments.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from cme.delivery import deliver
from engine import Actor
from engine.clock import LOCAL_ZONE
from engine.testing import FakeClock
from storage import queries
from tests.support import school_referral

CMEO = Actor("alice", "cmeo")
CONCERN = {"concern": "bruises on the child's arms seen by a neighbour", "raised_by": "Ms Head"}
ADDRESSES = {
    "cmeo": "cme@luton.gov.uk",
    "mash": "mash@luton.gov.uk",
    "manager": "manager@luton.gov.uk",
    "other_la": "cme@bedford.gov.uk",
}


def local(moment: str) -> datetime:
    """A Europe/London wall-clock time `YYYY-MM-DD HH:MM` as aware UTC."""
    return datetime.fromisoformat(moment).replace(tzinfo=LOCAL_ZONE).astimezone(UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local("2025-11-07 15:00"))  # Friday 7 Nov 2025, autumn 2 term (GMT)


@pytest.fixture
def app(db_url: str, app_factory: Any, clock: FakeClock, tmp_path: Path) -> Any:
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text('las: {"822": cme@bedford.gov.uk}\n', encoding="utf-8")
    return app_factory(
        db_url,
        clock,
        outbox_dir=tmp_path / "outbox",
        recipients_file=recipients,
        mail_allowed_domains="luton.gov.uk,bedford.gov.uk",
    )


def outbox(app: Any, case_id: int) -> list[tuple[int, str, str, str, str, str]]:
    with app.db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, template, recipient_role, recipient, subject, body_text FROM outbox "
                "WHERE case_id = :c ORDER BY id"
            ),
            {"c": case_id},
        )
        return [tuple(r) for r in rows]


def sent_since(app: Any, case_id: int, last_id: int) -> list[tuple[str, str, str]]:
    """(template, role, address) of the messages queued after outbox row `last_id`."""
    return [(r[1], r[2], r[3]) for r in outbox(app, case_id) if r[0] > last_id]


def last_id(app: Any, case_id: int) -> int:
    rows = outbox(app, case_id)
    return rows[-1][0] if rows else 0


def tick(app: Any, clock: FakeClock, moment: str) -> Any:
    """Fire what is due at `moment` and deliver the outbox (recording delivery events)."""
    clock.set(local(moment))
    report = app.engine.fire_due_timers()
    deliver(app)
    return report


def pending_due(app: Any, case_id: int) -> dict[str, datetime]:
    """The case's pending deadlines but the end of compulsory school age, which runs beside
    every state for the case's whole life."""
    return {
        t.name: t.due_at
        for t in queries.pending_timers(app.db, case_id)
        if t.name != "compulsory_school_age_ended"
    }


def body(app: Any, case_id: int, template: str, nth: int = -1) -> str:
    texts = [r[5] for r in outbox(app, case_id) if r[1] == template]
    return " ".join(texts[nth].split())


def subject(app: Any, case_id: int, template: str, nth: int = -1) -> str:
    return [r[4] for r in outbox(app, case_id) if r[1] == template][nth]


# --- the MASH ladder -----------------------------------------------------------------------
def test_mash_ladder_rung_by_rung_across_a_weekend(app: Any, clock: FakeClock) -> None:
    # Raised Fri 7 Nov 2025 15:00 GMT: one working day -> Mon 10 Nov 09:00 (the weekend is not
    # a working day); each re-send waits one more: Tue 11 Nov 09:00, Wed 12 Nov 09:00.
    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id
    app.engine.apply(case_id, "raise_concern", CONCERN, CMEO)
    deliver(app)  # the first send is delivered: a delivery event is not a re-send
    start = last_id(app, case_id)

    assert pending_due(app, case_id) == {
        "mash_acknowledgement": local("2025-11-10 09:00"),
        "mash_acknowledgement_again": local("2025-11-10 09:00"),
    }
    tick(app, clock, "2025-11-10 00:05")  # the chase once fired here, before the working day
    tick(app, clock, "2025-11-10 08:59")
    assert sent_since(app, case_id, start) == []

    tick(app, clock, "2025-11-10 09:00")
    rung1 = sent_since(app, case_id, start)
    tick(app, clock, "2025-11-11 09:00")
    rung2 = sent_since(app, case_id, start)[len(rung1) :]
    tick(app, clock, "2025-11-12 09:00")
    rung3 = sent_since(app, case_id, start)[len(rung1) + len(rung2) :]

    mash = ("mash_escalation", "mash", ADDRESSES["mash"])
    assert rung1 == [("escalation_unacknowledged", "cmeo", ADDRESSES["cmeo"]), mash]
    assert rung2 == [("escalation_to_manager", "manager", ADDRESSES["manager"]), mash]
    assert rung3 == [("escalation_to_manager", "manager", ADDRESSES["manager"]), mash]
    triggers = [e.trigger for e in queries.events(app.db, case_id) if e.trigger in LADDER]
    assert triggers == ["resend_escalation", "escalate_to_manager", "escalate_to_manager"]


LADDER = {"resend_escalation", "escalate_to_manager", "chase_other_la", "escalate_la_to_manager"}


def test_the_chase_is_due_at_0900_bst_after_a_bank_holiday(app: Any, clock: FakeClock) -> None:
    # Raised Fri 22 May 2026 15:00 BST. Sat 23, Sun 24 and Mon 25 May (spring bank holiday)
    # are not working days: due Tue 26 May 2026 09:00 BST, which is 08:00 UTC.
    clock.set(local("2026-05-22 15:00"))
    referral = school_referral(first_absence_date="2026-05-11")
    case_id = app.engine.open_case("school-referral", referral, CMEO).case.id
    app.engine.apply(case_id, "raise_concern", CONCERN, CMEO)

    due = pending_due(app, case_id)["mash_acknowledgement"]
    assert due == datetime(2026, 5, 26, 8, 0, tzinfo=UTC)
    assert "Please acknowledge this referral by 09:00 on Tuesday 26 May 2026" in body(
        app, case_id, "mash_escalation"
    )
    tick(app, clock, "2026-05-26 08:59")
    assert "escalation_unacknowledged" not in [r[1] for r in outbox(app, case_id)]
    tick(app, clock, "2026-05-26 09:00")
    assert [r[1] for r in outbox(app, case_id)][-2:] == [
        "escalation_unacknowledged",
        "mash_escalation",
    ]


# --- the other-LA ladder ---------------------------------------------------------------------
def test_other_la_ladder_rung_by_rung(app: Any, clock: FakeClock) -> None:
    # Notified Mon 3 Nov 2025. 20 school days: 4-7 Nov (4), 10-14 (9), 17-21 (14), 24-28 (19),
    # Mon 1 Dec (20). From Mon 1 Dec: 2-5 Dec (4), 8-12 (9), 15-19 (14), Christmas break to
    # Fri 2 Jan, 5-9 Jan (19), Mon 12 Jan 2026 (20).
    clock.set(local("2025-11-03 10:00"))
    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id
    app.engine.apply(case_id, "begin_enquiries", {}, CMEO)
    app.engine.apply(
        case_id, "notify_other_la", {"other_la": "822", "notified_on": "2025-11-03"}, CMEO
    )
    deliver(app)
    start = last_id(app, case_id)
    assert pending_due(app, case_id)["la_confirmation"] == local("2025-12-01 00:00")

    tick(app, clock, "2025-11-30 23:59")
    assert sent_since(app, case_id, start) == []
    tick(app, clock, "2025-12-01 00:05")
    rung1 = sent_since(app, case_id, start)
    assert pending_due(app, case_id)["la_confirmation_again"] == local("2026-01-12 00:00")
    tick(app, clock, "2026-01-12 00:05")
    rung2 = sent_since(app, case_id, start)[len(rung1) :]

    other_la = ("la_transfer", "other_la", ADDRESSES["other_la"])
    assert rung1 == [("la_confirmation_overdue", "cmeo", ADDRESSES["cmeo"]), other_la]
    assert rung2 == [("la_escalation_to_manager", "manager", ADDRESSES["manager"]), other_la]
    chase = body(app, case_id, "la_transfer")
    assert "This is chase 2 of our notice, first sent at 10:00 on Monday 3 November 2025" in (
        chase
    )
    assert subject(app, case_id, "la_transfer").endswith("to your area (chase 2)")


# --- what every MASH letter says -------------------------------------------------------------
def test_a_hand_raised_concern_and_its_resends_carry_the_concern(
    app: Any, clock: FakeClock
) -> None:
    case_id = app.engine.open_case(
        "school-referral", school_referral(parents=["Pat Testparent"]), CMEO
    ).case.id
    app.engine.apply(case_id, "raise_concern", CONCERN, CMEO)
    deliver(app)
    tick(app, clock, "2025-11-10 09:00")
    tick(app, clock, "2025-11-11 09:00")

    first, resend, second = (body(app, case_id, "mash_escalation", n) for n in (0, 1, 2))
    for letter in (first, resend, second):
        assert "Why this child is referred: a child-protection concern was raised by Ms Head" in (
            letter
        )
        assert '"bruises on the child\'s arms seen by a neighbour"' in letter
        assert "Referrer: Ms Head, Example Primary" in letter
        assert "Parents or carers: Pat Testparent" in letter
        assert "high-risk child had not been located" not in letter
    assert "by 09:00 on Monday 10 November 2025" in first
    assert "re-send" not in first
    assert "This is re-send 1, first sent at 15:00 on Friday 7 November 2025" in resend
    assert "by 09:00 on Tuesday 11 November 2025" in resend
    assert "This is re-send 2, first sent at 15:00 on Friday 7 November 2025" in second
    assert subject(app, case_id, "mash_escalation", 1) == (
        f"{app.engine.get(case_id).ref}: child protection concern — referral to MASH "
        "(re-send 1: not yet acknowledged)"
    )
    manager = body(app, case_id, "escalation_to_manager")
    assert "re-send 2" in manager and "bruises on the child's arms" in manager


def test_an_automatic_escalation_names_the_rule_and_its_days(app: Any, clock: FakeClock) -> None:
    # Opened Mon 3 Nov 2025, high risk (runaway): 5 school days -> Mon 10 Nov 2025 00:00.
    clock.set(local("2025-11-03 10:00"))
    referral = school_referral(risk_flags=["runaway"])
    case_id = app.engine.open_case("school-referral", referral, CMEO).case.id
    tick(app, clock, "2025-11-10 00:05")

    letter = body(app, case_id, "mash_escalation")
    assert (
        "escalated automatically: a high-risk child had not been located within 5 school days "
        "of the case opening" in letter
    )
    assert "by 09:00 on Tuesday 11 November 2025" in letter


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        ("child_protection_plan", "the child has a child protection plan"),
        ("looked_after", "the child is looked after (and so has a social worker)"),
    ],
)
def test_a_referral_at_opening_names_its_flag(
    app: Any, clock: FakeClock, flag: str, words: str
) -> None:
    referral = school_referral(risk_flags=[flag])
    case = app.engine.open_case("school-referral", referral, CMEO).case

    assert app.engine.get(case.id).state == "escalated_to_mash"
    letter = body(app, case.id, "mash_escalation")
    assert f"Why this child is referred: referred at once when the case was opened: {words}" in (
        letter
    )
    assert "high-risk child had not been located" not in letter
    assert "by 09:00 on Monday 10 November 2025" in letter
    subjects = [r[4] for r in outbox(app, case.id)]
    assert all("Testchild" not in s and "Sam" not in s for s in subjects)


# --- the review while MASH decides ------------------------------------------------------------
def test_a_case_waiting_on_mashs_decision_reminds_the_cmeo_again_and_again(
    app: Any, clock: FakeClock
) -> None:
    # Acknowledged Mon 10 Nov 2025 10:00; standard priority: 5 school days -> Mon 17 Nov, then
    # 5 more from Mon 17 Nov -> Mon 24 Nov.
    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id
    app.engine.apply(case_id, "raise_concern", CONCERN, CMEO)
    clock.set(local("2025-11-10 08:30"))
    app.engine.apply(case_id, "mash_acknowledged", {"acknowledged_by": "Mo"}, Actor("mo", "mash"))
    assert pending_due(app, case_id) == {"mash_decision_review": local("2025-11-17 00:00")}

    tick(app, clock, "2025-11-17 00:05")
    tick(app, clock, "2025-11-24 00:05")

    reminders = [r for r in outbox(app, case_id) if r[1] == "mash_decision_overdue"]
    assert [(r[2], r[3]) for r in reminders] == [("cmeo", ADDRESSES["cmeo"])] * 2
    assert "This is reminder 2." in body(app, case_id, "mash_decision_overdue")
    assert app.engine.get(case_id).state == "with_mash"
