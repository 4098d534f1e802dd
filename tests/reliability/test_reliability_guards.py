"""The audit log's append-only guard survives restores and is checked (issue 13, item 10).

A backup whose triggers were dropped restored a database without them; `db check` passed. Now
`db check` reports the guard missing, disabled or altered (exit 1), and `cme init` and `cme db
restore` recreate it and say so. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from cme import cli, console
from storage.database import make_engine
from storage.guards import guard_problems
from storage.migrate import upgrade
from tests.support import school_referral

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_app_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CME_ACTOR", "tester")
    monkeypatch.setattr(console, "APP_FACTORY", None)


def cme(*args: str, code: int = 0) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return json.loads(result.stdout) if "--json" in args else result


def with_a_case(folder: Path) -> None:
    cme("init")
    path = folder / "referral.json"
    path.write_text(json.dumps(school_referral(first_absence_date="2026-01-05")))
    cme("case", "open", "--workflow", "school-referral", "--file", str(path))


def drop_guard(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("DROP TRIGGER event_no_update")
                conn.exec_driver_sql("DROP TRIGGER event_no_delete")
            else:
                conn.exec_driver_sql("DROP TRIGGER event_append_only ON event")
    finally:
        engine.dispose()


def assert_events_refuse_changes(url: str) -> None:
    engine = make_engine(url)
    try:
        for statement in ("UPDATE event SET actor = 'mallory'", "DELETE FROM event"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_a_fresh_schema_has_exactly_the_guard_this_code_checks(db_url: str) -> None:
    """The definitions in storage.guards are the migrations' (a migration changing the
    triggers must change storage.guards too)."""
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        assert guard_problems(engine) == []
    finally:
        engine.dispose()


def test_check_reports_a_missing_guard_and_init_recreates_it(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CME_DATABASE_URL", db_url)
    with_a_case(tmp_path)
    assert cme("db", "check", "--json")["append_only"] == {"ok": True, "problems": []}
    drop_guard(db_url)

    report = cme("db", "check", "--json", code=1)
    assert not report["ok"]
    assert not report["append_only"]["ok"]
    assert all("missing" in p for p in report["append_only"]["problems"])
    said = cme("db", "check", code=1)
    assert "NOT WHOLE - run `cme init`" in said.output

    init = cme("init", "--json")
    assert init["guards_recreated"] == report["append_only"]["problems"]
    assert cme("db", "check", "--integrity", "--json")["ok"]
    assert_events_refuse_changes(db_url)
    assert cme("init", "--json")["guards_recreated"] == []


@pytest.mark.postgres
def test_check_reports_a_disabled_or_weakened_guard_on_postgresql(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CME_DATABASE_URL", pg_url)
    with_a_case(tmp_path)
    engine = make_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE event DISABLE TRIGGER event_append_only")
        assert cme("db", "check", "--json", code=1)["append_only"]["problems"] == [
            "trigger event_append_only is disabled"
        ]
        cme("init")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION cme_event_append_only() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"
            )
        assert cme("db", "check", "--json", code=1)["append_only"]["problems"] == [
            "function cme_event_append_only() is altered"
        ]
        cme("init")
    finally:
        engine.dispose()
    assert_events_refuse_changes(pg_url)


def test_a_weakened_sqlite_trigger_is_found_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "cme.db"
    monkeypatch.setenv("CME_DATABASE_URL", f"sqlite:///{database}")
    with_a_case(tmp_path)
    with sqlite3.connect(database) as conn:
        conn.execute("DROP TRIGGER event_no_delete")
        conn.execute(
            "CREATE TRIGGER event_no_delete BEFORE DELETE ON event WHEN 0 "
            "BEGIN SELECT RAISE(ABORT, 'event is append-only: DELETE refused'); END"
        )
    problems = cme("db", "check", "--json", code=1)["append_only"]["problems"]
    assert problems == ["trigger event_no_delete is altered"]
    assert cme("init", "--json")["guards_recreated"] == problems
    assert_events_refuse_changes(f"sqlite:///{database}")


def test_restoring_a_backup_without_its_triggers_recreates_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "cme.db"
    url = f"sqlite:///{database}"
    monkeypatch.setenv("CME_DATABASE_URL", url)
    with_a_case(tmp_path)
    copy = tmp_path / "stripped.db"
    cme("db", "backup", str(copy))
    drop_guard(f"sqlite:///{copy}")

    restored = runner.invoke(
        cli.app, ["db", "restore", str(copy), "--yes", "--role", "admin", "--json"]
    )
    assert restored.exit_code == 0, restored.output
    report = json.loads(restored.stdout)
    assert report["guards_recreated"] == [
        "trigger event_no_update is missing",
        "trigger event_no_delete is missing",
    ]
    said = cme("db", "restore", str(copy), "--yes", "--role", "admin")
    assert "Recreated the audit log's append-only guard" in said.output
    assert cme("db", "check", "--integrity", "--json")["append_only"]["ok"]
    assert_events_refuse_changes(url)
