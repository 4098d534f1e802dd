"""The contract, for deadlines: scheduled on entry, cancelled on exit, claimed and fired once,
void with a reason, read back, moved by a pause. On every backend (`backend`).

The rig's calendar counts every weekday as a school day; the case opens Mon 3 Nov 2025 09:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from engine.audit import OPEN_TRIGGER
from engine.clock import local_date
from engine.ports import DueDate
from engine.testing import WeekdayCalendar
from tests.contract.conftest import CMEO, START, Rig


def at(text: str) -> datetime:
    """A UTC moment, `YYYY-MM-DDTHH:MM` (GMT in November: local and UTC agree)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_entering_a_state_schedules_its_timers_and_leaving_it_cancels_them(rig: Rig) -> None:
    case_id = rig.open().case.id
    rig.later(hours=1)
    moved = rig.do(case_id, "begin_visits", seen_on="2025-11-03")

    assert rig.pending(case_id) == {"visit_overdue": "2025-11-08", "case_stalled": "2025-11-17"}
    assert (moved.timers_cancelled, [t.name for t in moved.timers_started]) == (
        2,
        ["visit_overdue"],
    )
    cancelled = [t for t in rig.backend.timers(case_id) if t.status == "cancelled"]
    assert sorted((t.name, t.reason, t.finished_at) for t in cancelled) == [
        ("nudge", "left 'received' by begin_visits", START + timedelta(hours=1)),
        ("start_escalation", "left 'received' by begin_visits", START + timedelta(hours=1)),
    ]
    visit = next(t for t in rig.backend.timers(case_id) if t.name == "visit_overdue")
    assert (visit.scope, visit.trigger, visit.created_at) == (
        "state:visiting",
        "escalate",
        START + timedelta(hours=1),
    )
    assert visit.due_at == at("2025-11-08T00:00") and visit.id is not None

    rig.do(case_id, "escalate")  # leaves the workflow-wide deadline's states too
    assert rig.pending(case_id) == {}
    assert rig.statuses(case_id)["case_stalled"] == ["cancelled"]


def test_a_step_that_stays_in_its_state_moves_no_timer(rig: Rig) -> None:
    case_id = rig.open().case.id
    before = rig.backend.timers(case_id)

    noted = rig.do(case_id, "add_note", note="rang")

    assert rig.backend.timers(case_id) == before
    assert (noted.timers_started, noted.timers_cancelled) == ((), 0)


def test_pending_timers_read_back_soonest_first(rig: Rig) -> None:
    case_id = rig.open().case.id

    with rig.backend.unit_of_work() as uow:
        pending = uow.pending_timers(case_id)
        assert uow.pending_timers(case_id + 1000) == []

    assert [t.name for t in pending] == ["nudge", "start_escalation", "case_stalled"]
    assert all(t.status == "pending" and t.case_id == case_id for t in pending)
    assert [t.notify for t in pending] == [("nudge",), (), ("stalled",)]
    assert pending[0].provenance["due_on"] == "2025-11-04"
    assert pending[0].due_at == at("2025-11-04T09:00")  # a working day starts at 09:00


def test_each_due_timer_fires_once(rig: Rig) -> None:
    case_id = rig.open().case.id
    rig.clock.set(at("2025-11-04T09:00"))

    first = rig.engine.fire_due_timers()
    again = rig.engine.fire_due_timers()

    assert (first.fired, first.reminders, first.void) == (1, 1, 0)
    assert (again.fired, again.reminders, again.void) == (0, 0, 0)
    assert rig.triggers(case_id)[-1] == "deadline_reached"
    assert rig.backend.events(case_id)[-1].evidence == {
        "deadline": "nudge",
        "due_on": "2025-11-04",
    }
    assert [m.template for m in rig.backend.outbox(case_id)] == ["opened", "nudge"]
    nudge = next(t for t in rig.backend.timers(case_id) if t.name == "nudge")
    assert (nudge.status, nudge.reason, nudge.finished_at) == (
        "fired",
        "due",
        at("2025-11-04T09:00"),
    )

    rig.clock.set(at("2025-11-06T00:00"))
    escalated = rig.engine.fire_due_timers()
    assert (escalated.fired, rig.engine.fire_due_timers().fired) == (1, 0)
    case = rig.backend.case(case_id)
    events = rig.backend.events(case_id)
    assert (case.state, case.version, case.head_hash) == ("escalated", 3, events[-1].hash)
    assert (events[-1].trigger, events[-1].actor, events[-1].role) == (
        "escalate",
        "system:timer",
        "system",
    )
    assert rig.statuses(case_id) == {
        "nudge": ["fired"],
        "start_escalation": ["fired"],
        "case_stalled": ["cancelled"],
    }
    assert [m.template for m in rig.backend.outbox(case_id)] == ["opened", "nudge", "escalated"]


def test_a_timer_no_longer_possible_is_void_with_the_reason(rig: Rig) -> None:
    case_id = rig.open().case.id
    rig.do(case_id, "add_note", note="hold")
    rig.clock.set(at("2025-11-06T00:00"))

    report = rig.engine.fire_due_timers()

    assert (report.fired, report.void, report.reminders) == (0, 2, 0)
    reasons = {t.name: t.reason for t in rig.backend.timers(case_id) if t.status == "void"}
    assert reasons["nudge"] == "a note was recorded"
    assert "the case is on hold" in (reasons["start_escalation"] or "")
    assert rig.backend.case(case_id).state == "received"
    assert rig.triggers(case_id) == [OPEN_TRIGGER, "add_note"]
    assert [m.template for m in rig.backend.outbox(case_id)] == ["opened"]
    assert rig.engine.fire_due_timers().void == 0  # void is final: never retried


def test_claiming_takes_due_timers_oldest_first_up_to_the_limit(rig: Rig) -> None:
    first = rig.open().case.id
    rig.later(hours=1)
    second = rig.open().case.id

    with rig.backend.unit_of_work() as uow:
        claimed = uow.claim_due_timers(at("2025-11-06T00:00"), 3)
        nothing = uow.claim_due_timers(at("2025-11-03T23:59"), 10)

    assert [(t.case_id, t.name) for t in claimed] == [
        (first, "nudge"),
        (second, "nudge"),
        (first, "start_escalation"),
    ]
    assert nothing == []


def test_a_batch_limit_still_fires_every_due_timer(rig: Rig) -> None:
    cases = [rig.open().case.id for _ in range(3)]
    rig.clock.set(at("2025-11-04T09:00"))

    report = rig.engine.fire_due_timers(batch=2)

    assert (report.fired, report.reminders) == (3, 3)
    assert all(rig.statuses(c)["nudge"] == ["fired"] for c in cases)


def test_sweeps_page_through_pending_timers_by_id(rig: Rig) -> None:
    cases = [rig.open().case.id for _ in range(2)]

    with rig.backend.unit_of_work() as uow:
        page = uow.pending_timers_after(0, 4)
        rest = uow.pending_timers_after(page[-1].id or 0, 4)

    ids = [t.id or 0 for t in page + rest]
    assert ids == sorted(ids) and len(ids) == 6
    assert [t.case_id for t in page + rest] == [cases[0]] * 3 + [cases[1]] * 3


def test_a_paused_case_keeps_its_timers_and_resuming_moves_them(rig: Rig) -> None:
    case_id = rig.open().case.id
    rig.engine.pause_clock(case_id, "child in hospital", CMEO)
    rig.clock.set(at("2025-11-07T10:00"))

    assert rig.engine.fire_due_timers().fired == 0
    with rig.backend.unit_of_work() as uow:
        assert uow.claim_due_timers(rig.clock.now(), 10) == []

    moves = rig.engine.resume_clock(case_id, CMEO, "home again")

    # four school (and working) days passed while paused: Mon 3 to Thu 6 Nov
    assert rig.pending(case_id) == {
        "nudge": "2025-11-10",
        "start_escalation": "2025-11-12",
        "case_stalled": "2025-11-21",
    }
    timers = {t.name: t for t in rig.backend.timers(case_id)}
    assert timers["nudge"].due_at == at("2025-11-10T09:00")
    assert timers["start_escalation"].due_at == at("2025-11-12T00:00")
    assert timers["nudge"].provenance["pauses"] == [
        {"from": "2025-11-03", "to": "2025-11-07", "days": 4}
    ]
    assert sorted((m["deadline"], m["from"], m["to"]) for m in moves.moved) == [
        ("case_stalled", "2025-11-17", "2025-11-21"),
        ("nudge", "2025-11-04", "2025-11-10"),
        ("start_escalation", "2025-11-06", "2025-11-12"),
    ]
    case = rig.backend.case(case_id)
    assert (case.paused_since, case.pause_reason, case.version) == (None, None, 3)
    assert rig.triggers(case_id) == [OPEN_TRIGGER, "clock_paused", "clock_resumed"]
    assert local_date(rig.backend.events(case_id)[1].at).isoformat() == "2025-11-03"

    rig.clock.set(at("2025-11-10T09:00"))
    assert rig.engine.fire_due_timers().reminders == 1


class ClosedOnWednesday(WeekdayCalendar):
    """The rig's calendar after a closure day, Wed 5 Nov 2025, was added to it."""

    content_hash = "1" * 64

    def is_school_day(self, day: date) -> bool:
        return day != date(2025, 11, 5) and super().is_school_day(day)

    def add_school_days(self, start: date, days: int) -> DueDate:
        day = start
        for _ in range(days):
            day += timedelta(days=1)
            while not self.is_school_day(day):
                day += timedelta(days=1)
        return DueDate(day)


def test_a_calendar_change_moves_the_deadlines_counted_on_it(rig: Rig) -> None:
    case_id = rig.open().case.id
    rig.calendars.calendar = ClosedOnWednesday()

    moves = rig.engine.reproject("closure day added")

    assert sorted((m["deadline"], m["from"], m["to"]) for m in moves.moved) == [
        ("case_stalled", "2025-11-17", "2025-11-18"),
        ("start_escalation", "2025-11-06", "2025-11-07"),
    ]
    assert rig.pending(case_id) == {
        "nudge": "2025-11-04",
        "start_escalation": "2025-11-07",
        "case_stalled": "2025-11-18",
    }
    timers = {t.name: t for t in rig.backend.timers(case_id)}
    assert timers["start_escalation"].due_at == at("2025-11-07T00:00")
    assert {t.provenance["calendar_hash"] for t in timers.values()} == {"1" * 64}
    assert rig.triggers(case_id) == [OPEN_TRIGGER, "deadline_moved", "deadline_moved"]
    assert rig.backend.case(case_id).version == 3
    assert rig.engine.reproject("again").moved == []  # nothing left counted on the old one
