"""Through the CLI, on SQLite and PostgreSQL, at fixed dates (issue 12, items 4 and 6).

Today is Thu 3 Dec 2026, in 2026/27; the shipped calendar ends on Fri 17 Jul 2026. A removal
counted over 2026/27 is refused (exit 2, nothing written) naming the school year and the
command that loads its term dates; after `cme calendar import`, it goes through. A visit given
as a bare date is refused asking for the time of day; a provisional reminder says so in its
event and in its letter. The 2026/27 feed below is made up for the tests, not Luton's.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from cme import cli, console
from cme.bootstrap import App
from engine import Actor
from engine.clock import LOCAL_ZONE
from engine.testing import FakeClock
from tests.support import school_referral

runner = CliRunner()
CMEO = Actor("alice", "cmeo")
FEED_2026_27 = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:t1
DTSTART;VALUE=DATE:20260902
DTEND;VALUE=DATE:20261219
SUMMARY:Autumn term
END:VEVENT
BEGIN:VEVENT
UID:t2
DTSTART;VALUE=DATE:20261026
DTEND;VALUE=DATE:20261031
SUMMARY:Half term
CATEGORIES:HOLIDAY
END:VEVENT
END:VCALENDAR
"""


def local(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=LOCAL_ZONE).astimezone(UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local("2026-11-10T09:00"))


@pytest.fixture
def app(
    db_url: str,
    tmp_path: Path,
    clock: FakeClock,
    app_factory: Callable[..., App],
    monkeypatch: pytest.MonkeyPatch,
) -> App:
    """An app per CLI call (so an imported calendar is read again), on one database."""
    calendar = tmp_path / "luton.yaml"
    shutil.copy("workflows/calendars/luton.yaml", calendar)
    monkeypatch.setattr(
        console, "APP_FACTORY", lambda: app_factory(db_url, clock, calendar=calendar)
    )
    return app_factory(db_url, clock, calendar=calendar)


def cme(*args: str, code: int = 0) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if "--json" in args and code == 0 else result.output


def written(case_id: int) -> tuple[int, int]:
    shown = cme("case", "show", str(case_id), "--json")
    return shown["version"], shown["events"]


def walk_to_housing_check(app: App) -> int:
    """Absent from Mon 12 Oct 2026; joint enquiries 12 Oct - 10 Nov; visits 4-6 Nov."""
    case_id = app.engine.open_case(
        "school-referral", school_referral(first_absence_date="2026-10-12"), CMEO
    ).case.id
    steps: list[tuple[str, dict[str, str]]] = [
        ("begin_enquiries", {}),
        (
            "record_enquiry",
            {
                "enquiry_method": "school_staff",
                "made_by": "school",
                "made_on": "2026-10-12",
                "summary": "class teacher and SENCO: no word from the family",
            },
        ),
        (
            "record_enquiry",
            {
                "enquiry_method": "letter",
                "made_by": "la",
                "made_on": "2026-11-10",
                "summary": "no reply to the letter of 20 Oct",
            },
        ),
    ]
    for trigger, moment in (
        ("record_first_visit", "2026-11-04T09:30"),
        ("record_second_visit", "2026-11-05T14:00"),
        ("record_third_visit", "2026-11-06T18:30"),
    ):
        steps.append((trigger, {"visited_at": moment, "officer": "EWO", "outcome": "no_contact"}))
    steps.append(("check_housing", {"checked_on": "2026-11-09", "housing_result": "no_trace"}))
    for trigger, evidence in steps:
        app.engine.apply(case_id, trigger, evidence, CMEO)
    return case_id


REMOVE = ["remove_from_roll", "--set", "removal_ground=i", "--set", "pro_forma_reason=enquiries"]


def test_removal_in_2026_27_waits_for_its_term_dates_then_goes_through(
    app: App, clock: FakeClock, tmp_path: Path
) -> None:
    case_id = walk_to_housing_check(app)
    clock.set(local("2026-12-03T10:00"))
    before = written(case_id)

    refused = cme("case", "advance", str(case_id), *REMOVE, code=2)
    after_refusal = written(case_id)
    feed = tmp_path / "school-2026-27.ics"
    feed.write_text(FEED_2026_27)
    cme("calendar", "import", str(feed), "--school", "8212001", "--role", "admin", "--json")
    moved = cme("case", "advance", str(case_id), *REMOVE, "--json")

    flat = " ".join(refused.split())
    assert "school_days_on_term_dates: reg 9(1)(i): the 20 school days of absence from " in flat
    assert "no term dates are loaded for 2026/27" in flat
    assert "`cme calendar import FILE --school 8212001`" in flat
    assert after_refusal == before
    assert (moved["state"], moved["version"]) == ("lost_pupil_upload", before[0] + 1)


def test_the_weekday_count_does_not_let_a_removal_through_before_day_20(
    app: App, clock: FakeClock, tmp_path: Path
) -> None:
    # Tue 10 Nov: on weekdays, day 20 was Fri 6 Nov; on the feed's dates it is Fri 13 Nov.
    case_id = walk_to_housing_check(app)
    feed = tmp_path / "school-2026-27.ics"
    feed.write_text(FEED_2026_27)

    without_dates = cme("case", "advance", str(case_id), *REMOVE, code=2)
    cme("calendar", "import", str(feed), "--school", "8212001", "--role", "admin", "--json")
    with_dates = cme("case", "advance", str(case_id), *REMOVE, code=2)
    clock.set(local("2026-11-16T09:00"))
    moved = cme("case", "advance", str(case_id), *REMOVE, "--json")

    assert "2026/27" in without_dates
    assert "day 20 is 2026-11-13, removal allowed from 2026-11-16" in " ".join(with_dates.split())
    assert moved["state"] == "lost_pupil_upload"


def test_a_visit_without_its_time_of_day_is_refused_and_nothing_is_written(app: App) -> None:
    case_id = app.engine.open_case(
        "school-referral", school_referral(first_absence_date="2026-10-12"), CMEO
    ).case.id
    app.engine.apply(case_id, "begin_enquiries", {}, CMEO)
    cme(
        "case",
        "advance",
        str(case_id),
        "record_enquiry",
        "--set",
        "enquiry_method=telephone",
        "--set",
        "made_by=la",
        "--set",
        "made_on=2026-11-02",
        "--set",
        "summary=no answer",
    )
    before = written(case_id)

    refused = cme(
        "case",
        "advance",
        str(case_id),
        "record_first_visit",
        "--set",
        "visited_at=2026-11-03",
        "--set",
        "officer=EWO",
        "--set",
        "outcome=no_contact",
        code=2,
    )

    assert (
        "visited_at: give the time of day as well as the date (e.g. 2026-11-03T09:30): a date "
        "alone would read as midnight"
    ) in " ".join(refused.split())
    assert written(case_id) == before


def test_an_enquiry_before_the_first_day_of_absence_is_refused_with_status_2(app: App) -> None:
    case_id = app.engine.open_case(
        "school-referral", school_referral(first_absence_date="2026-10-12"), CMEO
    ).case.id
    app.engine.apply(case_id, "begin_enquiries", {}, CMEO)
    before = written(case_id)

    refused = cme(
        "case",
        "advance",
        str(case_id),
        "record_enquiry",
        "--set",
        "enquiry_method=telephone",
        "--set",
        "made_by=school",
        "--set",
        "made_on=2026-10-09",
        "--set",
        "summary=rang home",
        code=2,
    )

    assert (
        "enquiry_dated_in_period: made_on: the enquiry (2026-10-09) is dated before the first "
        "day of absence (2026-10-12)"
    ) in " ".join(refused.split())
    assert written(case_id) == before


def test_a_provisional_reminder_says_provisional_in_its_event_and_its_letter(
    app: App, clock: FakeClock
) -> None:
    # Opened Mon 2 Nov 2026: case_stalled 5 weekdays later, Mon 9 Nov, counted without term
    # dates for 2026/27.
    clock.set(local("2026-11-02T09:00"))
    case_id = app.engine.open_case(
        "school-referral", school_referral(first_absence_date="2026-10-26"), CMEO
    ).case.id
    clock.set(local("2026-11-09T09:00"))

    cme("tick", "--json")
    history = cme("audit", "history", str(case_id), "--json")
    with app.db.connect() as conn:
        letters = conn.execute(
            text("SELECT body_text FROM outbox WHERE case_id = :c AND template = 'case_stalled'"),
            {"c": case_id},
        ).all()

    reached = [h["evidence"] for h in history if h["trigger"] == "deadline_reached"]
    assert reached == [
        {
            "deadline": "case_stalled",
            "due_on": "2026-11-09",
            "provisional": True,
            "provisional_reason": "no term dates loaded for 2026/27",
        }
    ]
    assert len(letters) == 1
    body = " ".join(letters[0].body_text.split())
    assert "This date is provisional (no term dates loaded for 2026/27)" in body
    assert "Monday 9 November 2026 (provisional: no term dates loaded for 2026/27)" in body
