"""A SQLite database per test, the CLI run in-process, and a dump to show nothing was written.

The clock is the system's: dates are computed from today.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cme import cli, console
from tests.support import school_referral

runner = CliRunner()
TODAY = date.today()


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """`CME_DATABASE_URL` is a fresh SQLite file, or PostgreSQL database (tests/conftest.py);
    the LA is Luton (821)."""
    monkeypatch.setenv("CME_DATABASE_URL", db_url)
    monkeypatch.setenv("CME_ACTOR", "tester")
    monkeypatch.setenv("CME_CMEO_EMAIL", "cme@luton.gov.uk")
    monkeypatch.setenv("CME_MASH_EMAIL", "mash@luton.gov.uk")
    monkeypatch.setenv("CME_LA_NUMBER", "821")
    monkeypatch.setattr(console, "APP_FACTORY", None)
    return db_url


def run(*args: str) -> Result:
    """`cme ARGS`, in-process; never a traceback."""
    result = runner.invoke(cli.app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def ok_json(*args: str) -> Any:
    """`cme ARGS --json`, which must succeed: its document."""
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def referral(**overrides: Any) -> dict[str, Any]:
    """A school referral whose first absence was 30 days ago."""
    first = (TODAY - timedelta(days=30)).isoformat()
    return school_referral(first_absence_date=first, **overrides)


def open_case(tmp_path: Path, **overrides: Any) -> int:
    """Open a case from `referral(**overrides)`; its id."""
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(referral(**overrides)), encoding="utf-8")
    return int(ok_json("case", "open", "--workflow", "school-referral", "--file", str(path))["id"])


def dump(url: str) -> str:
    """Every row of every table, in order: equal dumps, nothing written."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            lines = []
            for table in sorted(inspect(conn).get_table_names()):
                rows = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY 1'))  # noqa: S608
                lines += [f"{table}: {tuple(r)}" for r in rows]
            return "\n".join(lines)
    finally:
        engine.dispose()


Dump = Callable[[], str]


@pytest.fixture
def db_dump(database: str) -> Dump:
    """A function dumping the test's database (created first: any first command creates the
    schema, which is not what the tests compare)."""
    assert run("init").exit_code == 0
    return lambda: dump(database)
