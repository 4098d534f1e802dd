"""`cme calendar import` keeps the calendar file's comments, writes it atomically, and refuses a
bad feed with exit 2 naming the file (issue 13, items 6 and 11)."""

from __future__ import annotations

import os
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cme import cli, console
from cme.bootstrap import build_app
from cme.settings import Settings
from engine.clock import LOCAL_ZONE
from engine.testing import FakeClock
from tests.clocks.test_clock_cli import ICS

runner = CliRunner()


@pytest.fixture
def calendar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    path = tmp_path / "luton.yaml"
    shutil.copy("workflows/calendars/luton.yaml", path)
    os.chmod(path, 0o644)
    settings = Settings(database_url=f"sqlite:///{tmp_path}/cme.db", calendar=path, actor="t")
    clock = FakeClock(datetime(2025, 11, 3, 9, 0, tzinfo=LOCAL_ZONE).astimezone(UTC))
    built: list[Any] = []

    def factory() -> Any:
        built.append(build_app(settings, clock))
        return built[-1]

    monkeypatch.setattr(console, "APP_FACTORY", factory)
    result = runner.invoke(cli.app, ["init"])
    assert result.exit_code == 0, result.output
    yield path
    for application in built:
        application.db.dispose()


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def test_the_import_keeps_the_files_comments_and_its_other_lines(
    calendar: Path, tmp_path: Path
) -> None:
    before = calendar.read_text()
    feed = tmp_path / "school.ics"
    feed.write_text(ICS)

    for school in ("8212001", "8212002"):
        result = runner.invoke(
            cli.app, ["calendar", "import", str(feed), "--school", school, "--role", "admin"]
        )
        assert result.exit_code == 0, result.output

    after = calendar.read_text()
    assert comments(after) == comments(before)
    assert comments(before)[1].startswith("# Source: Luton Borough Council")
    kept = before.split("schools:")[0]
    assert after.startswith(kept)  # every line before the schools, as the authority wrote it
    assert "'8212001':" in after and "'8212002':" in after
    assert stat.S_IMODE(calendar.stat().st_mode) == 0o644  # its own mode kept
    assert sorted(p.name for p in calendar.parent.iterdir() if "partial" in p.name) == []


@pytest.mark.parametrize(
    ("dtstart", "dtend", "words"),
    [
        ("DTSTART;VALUE=DATE:20260230", "DTEND;VALUE=DATE:20260305", "is not a real date"),
        ("DTSTART;VALUE=DATE:20250901", "DTEND:20251220T120000Z", "mix a date and a date-time"),
        ("DTSTART;VALUE=DATE:20250901", "DTEND;VALUE=DATE:20250801", "before it starts"),
        ("DTSTART;VALUE=DATE:00010101", "DTEND;VALUE=DATE:99991231", "plausible years"),
    ],
)
def test_a_bad_feed_is_refused_with_status_2_naming_the_file_and_nothing_changes(
    calendar: Path, tmp_path: Path, dtstart: str, dtend: str, words: str
) -> None:
    before = calendar.read_bytes()
    feed = tmp_path / "bad.ics"
    feed.write_text(
        ICS.replace("DTSTART;VALUE=DATE:20250901", dtstart, 1).replace(
            "DTEND;VALUE=DATE:20251220", dtend, 1
        )
    )

    result = runner.invoke(
        cli.app, ["calendar", "import", str(feed), "--school", "8212001", "--role", "admin"]
    )

    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert str(feed) in result.output and words in result.output
    assert calendar.read_bytes() == before


def test_a_deeply_nested_calendar_file_is_refused_with_status_2(
    calendar: Path, tmp_path: Path
) -> None:
    calendar.write_text("authority: x\nterms: " + "[" * 5000 + "]" * 5000 + "\n")

    result = runner.invoke(cli.app, ["calendar", "show"])

    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert str(calendar) in result.output and "nested too deeply" in result.output
