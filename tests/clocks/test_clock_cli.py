"""The clock commands through the CLI: pause, resume, timeline, calendar show and import."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cme import cli, console
from cme.bootstrap import build_app
from cme.settings import Settings
from engine import Actor
from engine.clock import LOCAL_ZONE
from engine.testing import FakeClock
from tests.support import school_referral

runner = CliRunner()
ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:a1
DTSTART;VALUE=DATE:20250901
DTEND;VALUE=DATE:20251220
SUMMARY:Autumn term
END:VEVENT
BEGIN:VEVENT
UID:a2
DTSTART;VALUE=DATE:20251027
DTEND;VALUE=DATE:20251101
SUMMARY:Half term
CATEGORIES:HOLIDAY
END:VEVENT
BEGIN:VEVENT
UID:a3
DTSTART;VALUE=DATE:20251104
DTEND;VALUE=DATE:20251105
SUMMARY:INSET day
CATEGORIES:INSET
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 11, 3, 9, 0, tzinfo=LOCAL_ZONE).astimezone(UTC))


@pytest.fixture
def app(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Any:
    calendar = tmp_path / "luton.yaml"
    shutil.copy("workflows/calendars/luton.yaml", calendar)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/cme.db",
        calendar=calendar,
        actor="tester",
        cmeo_email="cme@luton.gov.uk",
        mash_email="mash@luton.gov.uk",
    )
    built: list[Any] = []

    def factory() -> Any:
        built.append(build_app(settings, clock))
        return built[-1]

    monkeypatch.setattr(console, "APP_FACTORY", factory)
    yield factory()
    for application in built:
        application.db.dispose()


def cme(*args: str, code: int = 0) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if "--json" in args and code == 0 else result.output


def open_case(app: Any) -> int:
    app.check_schema()
    referral = school_referral(
        school={"id": "8212001", "name": "Example Primary"}, first_absence_date="2025-10-20"
    )
    return int(app.engine.open_case("school-referral", referral, Actor("a", "cmeo")).case.id)


def test_pause_shows_on_the_case_and_resume_reports_the_moves(app: Any, clock: FakeClock) -> None:
    case_id = open_case(app)

    cme("case", "pause", str(case_id), "--reason", "confirmed abroad")
    shown = cme("case", "show", str(case_id), "--json")
    clock.set(datetime(2025, 11, 5, 9, 0, tzinfo=LOCAL_ZONE).astimezone(UTC))
    resumed = cme("case", "resume", str(case_id), "--json")

    assert shown["pause_reason"] == "confirmed abroad"
    # paused Mon 3 to Wed 5 Nov: 2 school days; case_stalled Mon 10 -> Wed 12 Nov
    assert {m["deadline"]: m["to"] for m in resumed["moved"]}["case_stalled"] == "2025-11-12"


def test_pausing_twice_is_refused_with_status_2(app: Any) -> None:
    case_id = open_case(app)
    cme("case", "pause", str(case_id), "--reason", "abroad")

    refused = cme("case", "pause", str(case_id), "--reason", "again", code=2)

    assert "already paused since 2025-11-03 because abroad" in refused


def test_the_timeline_lists_past_and_future_deadlines(app: Any, clock: FakeClock) -> None:
    case_id = open_case(app)
    clock.set(datetime(2025, 11, 18, 9, 0, tzinfo=LOCAL_ZONE).astimezone(UTC))
    cme("tick")

    rows = cme("case", "timeline", str(case_id), "--json")

    assert [(r["deadline"], r["due_on"], r["status"]) for r in rows] == [
        ("case_stalled", "2025-11-10", "fired"),
        ("high_risk_unlocated", "2025-11-10", "void"),
        ("missing_four_weeks", "2025-11-17", "fired"),
        ("compulsory_school_age_ended", "2030-06-29", "pending"),
    ]


def test_importing_a_schools_ics_feed_moves_its_deadlines(app: Any, tmp_path: Path) -> None:
    # the school's own INSET day on Tue 4 Nov: case_stalled from Mon 3 Nov counts 5, 6, 7,
    # 10, 11 -> Tue 11 Nov instead of Mon 10 Nov
    case_id = open_case(app)
    feed = tmp_path / "school.ics"
    feed.write_text(ICS)

    result = cme(
        "calendar", "import", str(feed), "--school", "8212001", "--role", "admin", "--json"
    )
    shown = cme("calendar", "show", "--school", "8212001", "--json")

    assert (result["terms"], result["closures"]) == (2, 1)
    assert {m["deadline"]: m["to"] for m in result["moved"]}["case_stalled"] == "2025-11-11"
    assert shown["closures"] == ["2025-11-04"]
    assert cme("case", "show", str(case_id), "--json")["timers"][0]["due_on"] == "2025-11-11"


def test_a_feed_without_terms_is_refused_and_nothing_changes(app: Any, tmp_path: Path) -> None:
    open_case(app)
    feed = tmp_path / "empty.ics"
    feed.write_text("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nEND:VCALENDAR\n")
    before = Path(app.settings.calendar).read_text()

    refused = cme(
        "calendar", "import", str(feed), "--school", "8212001", "--role", "admin", code=2
    )

    assert "empty.ics" in refused
    assert Path(app.settings.calendar).read_text() == before
