"""Fixtures for who may do what: a database the CLI and the test share, built from the
environment at each command (so `CME_ROLE` and `CME_ACTOR` set by a test are the ones read),
and the operating-system login the CLI binds accounts to."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner

from cme import cli, console
from cme.bootstrap import App, build_app
from cme.services import identity
from cme.settings import Settings
from engine import Actor
from engine.testing import FakeClock
from storage.access import refusals
from tests.support import START, school_referral

runner = CliRunner()
CMEO = Actor("carol", "cmeo")


def cme(*args: str, code: int | None = 0, stdin: str | None = None) -> Any:
    """Run `cme ARGS` in-process; check the exit status (None: any); parse `--json` output."""
    result = runner.invoke(cli.app, list(args), input=stdin)
    if code is not None:
        assert result.exit_code == code, result.output
    if "--json" in args and result.stdout.strip().startswith(("{", "[")):
        return json.loads(result.stdout)
    return result


class Desk:
    """The shared database, a fake clock, and the login the CLI believes it runs as."""

    def __init__(self, url: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.url, self.folder, self.monkeypatch = url, folder, monkeypatch
        self.clock = FakeClock(START)
        self.calendar = folder / "luton.yaml"
        shutil.copy("workflows/calendars/luton.yaml", self.calendar)
        self.built: list[App] = []
        self.login = "nobody"
        monkeypatch.setattr(identity, "os_login", lambda: self.login)
        monkeypatch.setattr(console, "APP_FACTORY", self.app)
        for name in ("CME_ROLE", "CME_ACTOR"):
            monkeypatch.delenv(name, raising=False)

    def app(self) -> App:
        """A new app, its settings read from the environment now (as a new process would)."""
        settings = Settings(
            database_url=self.url,
            calendar=self.calendar,
            cmeo_email="cme@luton.gov.uk",
            mash_email="mash@luton.gov.uk",
            mail_allowed_domains="luton.gov.uk",
            outbox_dir=self.folder / "outbox",
        )
        self.built.append(build_app(settings, self.clock))
        return self.built[-1]

    @property
    def db(self) -> Engine:
        """The database, through the first app built."""
        return (self.built[0] if self.built else self.app()).db

    def open_case(self) -> int:
        """A chart 2 case opened by a CME officer, straight through the engine."""
        application = self.app()
        application.check_schema()
        return application.engine.open_case("school-referral", school_referral(), CMEO).case.id

    def snapshot(self) -> dict[str, list[str]]:
        """Every row of every table but the access log (which refusals append to)."""
        with self.db.connect() as conn:
            names = [n for n in inspect(conn).get_table_names() if n != "access_log"]
            rows = {n: conn.execute(text(f'SELECT * FROM "{n}"')) for n in names}  # noqa: S608
            return {n: sorted(repr(tuple(r)) for r in result) for n, result in rows.items()}

    def refusals(self) -> list[dict[str, Any]]:
        """The access log's refusals, newest first."""
        return refusals(self.db)

    def close(self) -> None:
        for application in self.built:
            application.db.dispose()


@pytest.fixture
def make_desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Desk]]:
    """Desks on a given database URL."""
    desks: list[Desk] = []

    def make(url: str) -> Desk:
        desks.append(Desk(url, tmp_path, monkeypatch))
        return desks[-1]

    yield make
    for desk in desks:
        desk.close()


@pytest.fixture
def desk(make_desk: Callable[[str], Desk], db_url: str) -> Desk:
    """A desk on SQLite and, when configured, PostgreSQL."""
    return make_desk(db_url)


@pytest.fixture
def sqlite_desk(make_desk: Callable[[str], Desk], tmp_path: Path) -> Desk:
    """A desk on a SQLite file only (the many-command matrices)."""
    return make_desk(f"sqlite:///{tmp_path}/cme.db")
