"""The path of one action (issue 14): `cme case advance` reads the case once and writes once.

Every statement SQLite runs is counted (the driver's trace callback sees those sent through
SQLAlchemy and those the unit of work sends to the driver's cursor directly): one read of
the `cases` row, one write transaction (`BEGIN IMMEDIATE`), and reads that take no write lock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from typer.testing import CliRunner

from cme import cli, console
from cme.bootstrap import App, build_app
from tests.support import school_referral

runner = CliRunner()
CASE_READ = re.compile(r'^\s*SELECT\b.*\bFROM "case"', re.S)


@pytest.fixture
def traced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Each command's app on one SQLite file; every statement it runs, in order."""
    monkeypatch.setenv("CME_DATABASE_URL", f"sqlite:///{tmp_path}/cme.db")
    monkeypatch.setenv("CME_ACTOR", "tester")
    monkeypatch.setenv("CME_CMEO_EMAIL", "cme@luton.gov.uk")
    monkeypatch.setenv("CME_MASH_EMAIL", "mash@luton.gov.uk")
    statements: list[str] = []
    built: list[App] = []

    def factory() -> App:
        application = build_app(pooled=False)

        @event.listens_for(application.db, "connect")
        def _trace(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.set_trace_callback(statements.append)

        built.append(application)
        return application

    monkeypatch.setattr(console, "APP_FACTORY", factory)
    yield statements
    for application in built:
        application.db.dispose()


def cme(*args: str) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_advance_reads_the_case_once_and_writes_once(traced: list[str], tmp_path: Path) -> None:
    cme("init", "--role", "admin", "--json")
    referral = tmp_path / "referral.json"
    referral.write_text(json.dumps(school_referral(first_absence_date="2025-10-06")))
    opened = cme(
        "case", "open", "--workflow", "school-referral", "--file", str(referral), "--json"
    )
    traced.clear()

    done = cme("case", "advance", str(opened["id"]), "begin_enquiries", "--json")

    case_reads = [s for s in traced if CASE_READ.match(s)]
    writes = [s for s in traced if s.strip().upper() == "BEGIN IMMEDIATE"]
    assert len(case_reads) == 1, case_reads
    assert len(writes) == 1, traced
    # what it printed came from the case it wrote, and matches the case as stored
    assert done["applied"]["to"] == "enquiries"
    shown = cme("case", "show", str(opened["id"]), "--json")
    assert {k: v for k, v in done.items() if k != "applied"} == shown


def test_reading_a_case_takes_no_write_lock_but_its_access_row(traced: list[str]) -> None:
    cme("init", "--role", "admin", "--json")
    traced.clear()

    result = runner.invoke(cli.app, ["case", "show", "1", "--json"])

    assert result.exit_code == 2  # no case 1: refused, and nothing written
    assert [s for s in traced if s.strip().upper() == "BEGIN IMMEDIATE"] == []
