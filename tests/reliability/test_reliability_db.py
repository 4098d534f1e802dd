"""`cme db check | backup | restore` on a SQLite file (and what they say for PostgreSQL)."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from typer.testing import CliRunner

from cme import cli, console
from storage.database import make_engine
from storage.migrate import alembic_config, head_revision
from tests.support import school_referral

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CME_DATABASE_URL", f"sqlite:///{tmp_path}/cme.db")
    monkeypatch.setenv("CME_ACTOR", "tester")
    # every role addressed: a message with no address adds a `notification_failed` event
    for role in ("CMEO", "MASH", "EHE", "MANAGER"):
        monkeypatch.setenv(f"CME_{role}_EMAIL", f"{role.lower()}@luton.gov.uk")
    monkeypatch.setattr(console, "APP_FACTORY", None)
    return tmp_path / "cme.db"


def cme(*args: str, code: int = 0) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return json.loads(result.stdout) if "--json" in args else result


def with_cases(folder: Path, n: int = 2) -> None:
    cme("init", "--role", "admin")
    path = folder / "referral.json"
    path.write_text(json.dumps(school_referral(first_absence_date="2026-01-05")))
    for _ in range(n):
        cme("case", "open", "--workflow", "school-referral", "--file", str(path), "--open-anyway")
    cme("case", "advance", "1", "begin_enquiries", "--role", "caseworker")


def test_check_reports_the_schema_and_the_data(database: Path) -> None:
    with_cases(database.parent)
    report = cme("db", "check", "--integrity", "--json")
    schema = report["schema"]
    assert schema["status"] == "current" and schema["current"] == schema["head"]
    assert report["integrity_check"]["ok"] and report["consistency"]["ok"]
    assert report["chains"] == {"cases": 2, "events": 3, "ok": True, "broken": []}
    assert report["ok"]


def test_check_refuses_a_newer_or_missing_schema(database: Path) -> None:
    missing = cme("db", "check", "--json", code=2)
    assert missing["error"]["schema"]["status"] == "missing"
    cme("init", "--role", "admin")
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    newer = cme("db", "check", code=2)
    assert "newer than this version of cme knows" in newer.output


def test_check_finds_a_tampered_event(database: Path) -> None:
    """An edit behind cme's back (triggers dropped first) is found: exit 1, case and seq."""
    with_cases(database.parent)
    with sqlite3.connect(database) as conn:
        conn.execute("DROP TRIGGER event_no_update")
        conn.execute("UPDATE event SET actor = 'mallory' WHERE case_id = 1 AND seq = 2")
    report = cme("db", "check", "--integrity", "--json", code=1)
    assert report["chains"]["broken"][0]["case_id"] == 1
    assert report["chains"]["broken"][0]["seq"] == 2
    assert not report["ok"]


def test_backup_then_restore_round_trip(database: Path, tmp_path: Path) -> None:
    with_cases(database.parent)
    copy = tmp_path / "backups" / "cme-backup.db"
    made = cme("db", "backup", str(copy), "--json")
    assert (made["cases"], made["events"]) == (2, 3)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    cme("db", "backup", str(copy), code=2)  # never overwrites without --force

    cme("case", "advance", "2", "begin_enquiries", "--role", "caseworker")
    refused = cme("db", "restore", "--role", "admin", str(copy), code=2)
    assert "pass --yes" in refused.output
    restored = cme("db", "restore", "--role", "admin", str(copy), "--yes", "--json")
    assert restored["upgraded_to"] is None
    assert restored["chains"] == {"cases": 2, "events": 3, "ok": True, "broken": []}
    assert cme("case", "show", "2", "--json")["state"] == "received"


def test_restore_into_an_empty_database_needs_no_yes(database: Path, tmp_path: Path) -> None:
    with_cases(database.parent)
    copy = tmp_path / "copy.db"
    cme("db", "backup", str(copy))
    database.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    assert cme("db", "restore", "--role", "admin", str(copy), "--json")["ok"]
    assert cme("db", "check", "--integrity", "--json")["chains"]["events"] == 3


def test_a_backup_of_an_older_schema_is_restored_upgraded_and_verified(
    database: Path, tmp_path: Path
) -> None:
    with_cases(database.parent)
    copy = tmp_path / "old.db"
    cme("db", "backup", str(copy))
    old = make_engine(f"sqlite:///{copy}")
    command.downgrade(alembic_config(old), "0003")  # as a backup taken before event bodies
    old.dispose()
    database.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)

    restored = cme("db", "restore", "--role", "admin", str(copy), "--json")

    assert (restored["schema"], restored["upgraded_to"]) == ("0003", head_revision())
    assert restored["chains"] == {"cases": 2, "events": 3, "ok": True, "broken": []}
    assert cme("db", "check", "--integrity", "--json")["ok"]


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    result = cme("db", "restore", "--role", "admin", str(junk), code=2)
    assert "not a SQLite database" in result.output
    cme("db", "restore", "--role", "admin", str(tmp_path / "absent.db"), code=2)


def test_postgres_backup_points_to_pg_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CME_DATABASE_URL", "postgresql://cme:secret@db.example/cme")
    result = cme("db", "backup", "x.dump", "--json", code=2)
    assert result["error"]["kind"] == "NotSQLite"
    assert any(c.startswith("pg_dump ") for c in result["error"]["commands"])
    assert "secret" not in json.dumps(result)
