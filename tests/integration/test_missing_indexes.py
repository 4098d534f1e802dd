"""A dropped index is damage `cme db check` names (the work list tells SQLite which index to
use, so without it the list's pages fail), and `cme init` recreates it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from typer.testing import CliRunner

from cme import console
from cme.cli import app as cli


def test_db_check_names_a_dropped_index_and_init_recreates_it(
    app_factory: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'cme.db'}"
    application = app_factory(url)
    monkeypatch.setattr(console, "APP_FACTORY", lambda: app_factory(url))
    monkeypatch.setenv("CME_ROLE", "admin")
    with application.db.begin() as conn:
        conn.execute(text("DROP INDEX ix_case_open_work"))
    runner = CliRunner()

    damaged = runner.invoke(cli, ["db", "check", "--json"])
    mended = runner.invoke(cli, ["init", "--json"])
    healthy = runner.invoke(cli, ["db", "check", "--json"])

    assert damaged.exit_code == 1, damaged.output
    assert json.loads(damaged.stdout)["indexes"] == {"ok": False, "missing": ["ix_case_open_work"]}
    assert json.loads(mended.stdout)["indexes_recreated"] == ["ix_case_open_work"]
    assert healthy.exit_code == 0, healthy.output
    assert json.loads(healthy.stdout)["indexes"] == {"ok": True, "missing": []}
