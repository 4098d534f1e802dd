"""`cme calendar import` refuses a school id that is not a 7-digit LAESTAB and a feed with an
unknown TZID (hostile-tester probe F): exit 2, the field and the rule named, the calendar file
unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cme import cli
from tests.clocks.test_calendar_import_file import calendar as calendar
from tests.clocks.test_clock_cli import ICS

runner = CliRunner()


def _import(feed: Path, school: str) -> Any:
    return runner.invoke(
        cli.app, ["calendar", "import", str(feed), "--school", school, "--role", "admin"]
    )


@pytest.mark.parametrize(
    "school", ["8212001\nterms: []", "../x", "abc", "1" * 20, "821200", "８２１２００１", ""]
)
def test_a_school_id_that_is_not_a_laestab_is_refused(
    calendar: Path, tmp_path: Path, school: str
) -> None:
    feed = tmp_path / "z.ics"
    feed.write_text(ICS, encoding="utf-8")
    before = calendar.read_bytes()

    result = _import(feed, school)

    assert result.exit_code == 2, result.output
    assert "7-digit LAESTAB" in " ".join(result.output.split())
    assert calendar.read_bytes() == before


def test_an_unknown_tzid_is_refused(calendar: Path, tmp_path: Path) -> None:
    feed = tmp_path / "z.ics"
    feed.write_text(
        ICS.replace(
            "DTSTART;VALUE=DATE:20250901", "DTSTART;TZID=Mars/Olympus:20250901T000000"
        ).replace("DTEND;VALUE=DATE:20251220", "DTEND;TZID=Mars/Olympus:20251220T000000"),
        encoding="utf-8",
    )
    before = calendar.read_bytes()

    result = _import(feed, "8212001")

    assert result.exit_code == 2, result.output
    assert "unknown TZID 'Mars/Olympus'" in " ".join(result.output.split())
    assert calendar.read_bytes() == before


def test_a_known_tzid_and_a_laestab_are_imported(calendar: Path, tmp_path: Path) -> None:
    feed = tmp_path / "z.ics"
    feed.write_text(
        ICS.replace(
            "DTSTART;VALUE=DATE:20250901", "DTSTART;TZID=Europe/London:20250901T000000"
        ).replace("DTEND;VALUE=DATE:20251220", "DTEND;TZID=Europe/London:20251220T000000"),
        encoding="utf-8",
    )

    result = _import(feed, "8212001")

    assert result.exit_code == 0, result.output
    assert "8212001" in calendar.read_text(encoding="utf-8")
