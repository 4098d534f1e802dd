"""Pausing and resuming a case's clock, and re-projecting deadlines when a calendar changes.
Expected dates are worked out by hand on Luton's 2025/26 calendar in each test's comments."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import Actor, ActorNotPermitted
from engine.clock import LOCAL_ZONE
from engine.deadlines import ClockRefused
from engine.testing import FakeClock
from storage import queries
from tests.support import school_referral

CMEO = Actor("alice", "cmeo")
LUTON = Path("workflows/calendars/luton.yaml")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_ZONE).astimezone(UTC)


def due(app: Any, case_id: int) -> dict[str, str]:
    return {t.name: t.provenance["due_on"] for t in queries.pending_timers(app.db, case_id)}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local("2025-11-03T09:00"))  # Monday, autumn term 2025


@pytest.fixture
def calendar_file(tmp_path: Path) -> Path:
    copy = tmp_path / "luton.yaml"
    shutil.copy(LUTON, copy)
    return copy


@pytest.fixture
def app(tmp_path: Path, app_factory: Any, clock: FakeClock, calendar_file: Path) -> Any:
    return app_factory(f"sqlite:///{tmp_path}/cme.db", clock, calendar=calendar_file)


def open_case(app: Any, **overrides: Any) -> int:
    referral = school_referral(**{"first_absence_date": "2025-10-20", **overrides})
    return int(app.engine.open_case("school-referral", referral, CMEO).case.id)


def test_resuming_moves_each_deadline_by_the_days_the_clock_was_paused(
    app: Any, clock: FakeClock
) -> None:
    # Opened Mon 3 Nov. case_stalled: 5 school days -> Mon 10 Nov. high_risk_unlocated:
    # 5 school days from opening -> Mon 10 Nov. missing_four_weeks: 20 Oct + 28 days -> 17 Nov.
    case_id = open_case(app)
    clock.set(local("2025-11-05T10:00"))
    app.engine.pause_clock(case_id, "family confirmed abroad, awaiting evidence", CMEO)
    clock.set(local("2025-11-13T11:00"))

    moves = app.engine.resume_clock(case_id, CMEO)

    # Paused Wed 5 Nov to Thu 13 Nov: school days 5, 6, 7, 10, 11, 12 Nov = 6, and 8
    # calendar days. 10 Nov + 6 school days = 11, 12, 13, 14, 17, 18 -> Tue 18 Nov;
    # 17 Nov + 8 days = Tue 25 Nov.
    assert due(app, case_id) == {
        "case_stalled": "2025-11-18",
        "high_risk_unlocated": "2025-11-18",
        "missing_four_weeks": "2025-11-25",
        # the end of compulsory school age is the law's date: a pause never moves it
        "compulsory_school_age_ended": "2030-06-29",
    }
    assert sorted((m["deadline"], m["from"], m["to"]) for m in moves.moved) == [
        ("case_stalled", "2025-11-10", "2025-11-18"),
        ("high_risk_unlocated", "2025-11-10", "2025-11-18"),
        ("missing_four_weeks", "2025-11-17", "2025-11-25"),
    ]
    resumed = queries.events(app.db, case_id)[-1]
    assert (resumed.trigger, resumed.evidence["paused_since"]) == ("clock_resumed", "2025-11-05")


def test_a_paused_case_fires_no_deadline(app: Any, clock: FakeClock) -> None:
    case_id = open_case(app)
    app.engine.pause_clock(case_id, "awaiting evidence from abroad", CMEO)
    clock.set(local("2025-12-01T09:00"))

    report = app.engine.fire_due_timers()

    assert report.fired == 0
    assert app.engine.get(case_id).paused_since is not None
    assert set(due(app, case_id)) == {
        "case_stalled",
        "high_risk_unlocated",
        "missing_four_weeks",
        "compulsory_school_age_ended",
    }


def test_a_pause_across_half_term_counts_only_school_days(app: Any, clock: FakeClock) -> None:
    # Opened Thu 23 Oct: case_stalled 24 Oct (1), half term, 3-6 Nov (5) -> Thu 6 Nov.
    clock.set(local("2025-10-23T09:00"))
    case_id = open_case(app)
    clock.set(local("2025-10-24T09:00"))
    app.engine.pause_clock(case_id, "awaiting evidence", CMEO)
    clock.set(local("2025-11-04T09:00"))

    app.engine.resume_clock(case_id, CMEO)

    # Paused Fri 24 Oct to Tue 4 Nov: school days 24 Oct, 3 Nov = 2 (half term in between).
    # Thu 6 Nov + 2 school days = Mon 10 Nov.
    assert due(app, case_id)["case_stalled"] == "2025-11-10"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("pause twice", "the clock is already paused since 2025-11-03 because abroad"),
        ("resume unpaused", "the clock is not paused"),
        ("no reason", "a pause needs a reason"),
    ],
)
def test_pause_and_resume_refuse_what_makes_no_sense(app: Any, step: str, message: str) -> None:
    case_id = open_case(app)
    version = app.engine.get(case_id).version
    if step == "pause twice":
        app.engine.pause_clock(case_id, "abroad", CMEO)
        version += 1

    with pytest.raises(ClockRefused) as refused:
        if step == "resume unpaused":
            app.engine.resume_clock(case_id, CMEO)
        else:
            app.engine.pause_clock(case_id, "" if step == "no reason" else "again", CMEO)

    assert message in str(refused.value)
    assert app.engine.get(case_id).version == version


def test_an_auditor_cannot_pause_a_clock(app: Any) -> None:
    case_id = open_case(app)

    with pytest.raises(ActorNotPermitted):
        app.engine.pause_clock(case_id, "abroad", Actor("ann", "auditor"))


def test_a_new_closure_day_moves_the_deadlines_counted_over_it(
    app: Any, app_factory: Any, tmp_path: Path, clock: FakeClock, calendar_file: Path
) -> None:
    # case_stalled from Mon 3 Nov: 4, 5, 6, 7, 10 Nov -> Mon 10 Nov. Declaring Fri 7 Nov an
    # authority closure day moves it to Tue 11 Nov; missing_four_weeks counts calendar days
    # and stays on Mon 17 Nov.
    case_id = open_case(app)
    calendar_file.write_text(
        calendar_file.read_text().replace("closures: []", "closures: [2025-11-07]")
    )
    changed = app_factory(f"sqlite:///{tmp_path}/cme.db", clock, calendar=calendar_file)

    moves = changed.engine.reproject("INSET day added on 7 Nov")

    assert due(changed, case_id)["case_stalled"] == "2025-11-11"
    assert due(changed, case_id)["missing_four_weeks"] == "2025-11-17"
    assert (moves.cases, len(moves.moved)) == (1, 2)  # case_stalled and high_risk_unlocated
    moved = [e for e in queries.events(changed.db, case_id) if e.trigger == "deadline_moved"]
    assert {
        (e.evidence["deadline"], e.evidence["from"], e.evidence["to"], e.evidence["why"])
        for e in moved
    } == {
        ("case_stalled", "2025-11-10", "2025-11-11", "INSET day added on 7 Nov"),
        ("high_risk_unlocated", "2025-11-10", "2025-11-11", "INSET day added on 7 Nov"),
    }


def test_loading_next_years_term_dates_replaces_provisional_deadlines(
    app: Any, app_factory: Any, tmp_path: Path, clock: FakeClock, calendar_file: Path
) -> None:
    # Opened Mon 19 Oct 2026: no 2026/27 dates are loaded, so case_stalled counts weekdays:
    # 20-23, 26 Oct -> Mon 26 Oct, provisional. The (test-only) 2026/27 dates below put a
    # half term on 26-30 Oct, so the real count is 20-23 Oct, 2 Nov -> Mon 2 Nov.
    clock.set(local("2026-10-19T09:00"))
    case_id = open_case(app, first_absence_date="2026-10-12")
    before = queries.pending_timers(app.db, case_id)
    content = yaml.safe_load(calendar_file.read_text())
    content["terms"] += [
        {"start": date(2026, 9, 2), "end": date(2026, 10, 23), "name": "Test autumn 1 2026"},
        {"start": date(2026, 11, 2), "end": date(2026, 12, 18), "name": "Test autumn 2 2026"},
    ]
    calendar_file.write_text(yaml.safe_dump(content))
    changed = app_factory(f"sqlite:///{tmp_path}/cme.db", clock, calendar=calendar_file)

    changed.engine.reproject("2026/27 term dates published")

    stalled_before = next(t for t in before if t.name == "case_stalled").provenance
    stalled_after = next(
        t for t in queries.pending_timers(changed.db, case_id) if t.name == "case_stalled"
    ).provenance
    assert (stalled_before["due_on"], stalled_before["provisional"]) == ("2026-10-26", True)
    assert stalled_before["provisional_reason"] == "no term dates loaded for 2026/27"
    assert (stalled_after["due_on"], stalled_after["provisional"]) == ("2026-11-02", False)


def test_reprojecting_an_unchanged_calendar_moves_nothing(app: Any) -> None:
    case_id = open_case(app)
    version = app.engine.get(case_id).version

    moves = app.engine.reproject("nothing changed")

    assert (moves.cases, moves.moved, app.engine.get(case_id).version) == (0, [], version)
