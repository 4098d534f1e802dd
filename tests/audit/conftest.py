"""Fixtures for the auditors' tests: an app on a real database file (or PostgreSQL) shared with
the CLI, a signing key, and a way to tamper with the database behind the application's back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from cme import cli, console
from cme.bootstrap import App
from engine import Actor
from tests.support import school_referral

runner = CliRunner()
CMEO = Actor("alice", "cmeo")


def cme(*args: str, code: int = 0) -> Any:
    """Run `cme ARGS` in-process; check the exit status; parse `--json` output."""
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if "--json" in args and result.stdout.strip() else result


@pytest.fixture
def key_file(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh Ed25519 key made by `cme audit keygen`, configured as CME_AUDIT_KEY_FILE (the
    configuration is read once, when the app is built: the shared app's settings name it)."""
    path = tmp_path / "keys" / "audit.pem"
    cme("audit", "keygen", "--out", str(path), "--json")
    monkeypatch.setenv("CME_AUDIT_KEY_FILE", str(path))
    app.settings.audit_key_file = path
    return path


@pytest.fixture
def app(db_url: str, app_factory: Callable[..., App], monkeypatch: pytest.MonkeyPatch) -> App:
    """An app on a real database with a fake clock at Mon 3 Nov 2025 09:00, used by the CLI."""
    application = app_factory(db_url, actor="auditor1", role="auditor")
    monkeypatch.setattr(console, "APP_FACTORY", lambda: application)
    return application


def open_case(app: App, **overrides: Any) -> int:
    """Open a chart 2 case (child: Sam Testchild) and return its id."""
    return app.engine.open_case("school-referral", school_referral(**overrides), CMEO).case.id


def walk(app: App, case_id: int) -> None:
    """received -> enquiries with one enquiry recorded (three events after opening)."""
    app.engine.apply(case_id, "begin_enquiries", {}, CMEO)
    app.engine.apply(
        case_id,
        "record_enquiry",
        {
            "enquiry_method": "telephone",
            "made_by": "la",
            "made_on": "2025-11-03",
            "summary": "no answer",
        },
        CMEO,
    )


@pytest.fixture
def cases(app: App) -> list[int]:
    """Three cases of three events each."""
    ids = [open_case(app) for _ in range(3)]
    for case_id in ids:
        walk(app, case_id)
    return ids


def broken(report: dict[str, Any]) -> list[tuple[int, int, str]]:
    """(case, seq, problem) of each broken link in `cme audit verify --json`'s report."""
    return [(b["case_id"], b["seq"], b["problem"]) for b in report["broken"]]


@contextmanager
def tampering(db: Engine) -> Iterator[Any]:
    """A connection with the event table's append-only guards off (restored afterwards)."""
    sqlite = db.dialect.name == "sqlite"
    with db.begin() as conn:
        if sqlite:
            saved = [
                r[0]
                for r in conn.execute(
                    text("SELECT sql FROM sqlite_master WHERE type='trigger' AND tbl_name='event'")
                )
            ]
            conn.execute(text("DROP TRIGGER event_no_update"))
            conn.execute(text("DROP TRIGGER event_no_delete"))
        else:
            conn.execute(text("ALTER TABLE event DISABLE TRIGGER event_append_only"))
        yield conn
        if sqlite:
            for sql in saved:
                conn.execute(text(sql))
        else:
            conn.execute(text("ALTER TABLE event ENABLE TRIGGER event_append_only"))
