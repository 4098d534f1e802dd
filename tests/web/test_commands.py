"""`cme serve` (refuses loudly when the scheduler cannot run, serves pages only with
`--no-scheduler`) and `cme user add` asking for a password at a terminal."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from cme import cli, console
from cme.bootstrap import App
from cme.commands import users
from engine.testing import FakeClock
from tests.support import START, make_app

runner = CliRunner()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """uvicorn.run replaced by a recorder (nothing listens)."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    return calls


def _factory(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, **settings: Any) -> None:
    built: list[App] = []

    def factory() -> App:
        built.append(make_app(f"sqlite:///{tmp_path}/cme.db", FakeClock(START), **settings))
        return built[-1]

    monkeypatch.setattr(console, "APP_FACTORY", factory)


def test_serve_refuses_when_the_scheduler_cannot_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, served: list[dict[str, Any]]
) -> None:
    _factory(monkeypatch, tmp_path, mash_email=None)

    result = runner.invoke(cli.app, ["serve"])

    assert result.exit_code == 2
    assert "cme serve will not start" in result.output
    assert "CME_MASH_EMAIL" in result.output and "--no-scheduler" in result.output
    assert served == []


def test_serve_without_the_scheduler_says_so_and_serves(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, served: list[dict[str, Any]]
) -> None:
    _factory(monkeypatch, tmp_path, mash_email=None)

    result = runner.invoke(cli.app, ["serve", "--no-scheduler", "--port", "8765"])

    assert result.exit_code == 0, result.output
    assert "WARNING: serving WITHOUT the scheduler" in result.output
    assert "CME_MASH_EMAIL" in result.output
    assert len(served) == 1 and isinstance(served[0]["app"], FastAPI)
    assert (served[0]["host"], served[0]["port"]) == ("127.0.0.1", 8765)
    assert served[0]["proxy_headers"] is False


def test_serve_runs_the_scheduler_in_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, served: list[dict[str, Any]]
) -> None:
    from cme import scheduler

    started: list[Any] = []

    class Recorded:
        def shutdown(self, wait: bool) -> None:
            started.append("stopped")

    def start(app: App, seconds: int) -> Recorded:
        started.append(seconds)
        return Recorded()

    monkeypatch.setattr(scheduler, "start_in_background", start)
    _factory(monkeypatch, tmp_path)

    result = runner.invoke(cli.app, ["serve"])

    assert result.exit_code == 0, result.output
    assert started == [30, "stopped"] and len(served) == 1


def test_user_add_asks_for_a_password_at_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from cme.services.signin import sign_in

    _factory(monkeypatch, tmp_path)
    monkeypatch.setattr(users, "interactive", lambda: True)
    monkeypatch.setenv("CME_ROLE", "admin")

    result = runner.invoke(
        cli.app,
        ["user", "add", "Ann Admin", "--role", "admin", "--login", "ann"],
        input="s3cret words\ns3cret words\n",
    )

    assert result.exit_code == 0, result.output
    assert "Password for the web sign-in" in result.output
    app = console.APP_FACTORY() if console.APP_FACTORY else None
    assert app is not None
    assert sign_in(app, "ann", "s3cret words").account.name == "Ann Admin"


def test_audit_signins_lists_every_attempt(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    import json

    from cme.services.signin import SignInRefused, sign_in

    _factory(monkeypatch, tmp_path)
    monkeypatch.setenv("CME_ROLE", "admin")
    runner.invoke(cli.app, ["user", "add", "Ann Admin", "--role", "admin", "--login", "ann"])
    monkeypatch.delenv("CME_ROLE")
    app = console.APP_FACTORY() if console.APP_FACTORY else None
    assert app is not None
    with pytest.raises(SignInRefused):
        sign_in(app, "ann", "no password set")
    from cme.services import identity

    monkeypatch.setattr(identity, "os_login", lambda: "ann")

    result = runner.invoke(cli.app, ["audit", "signins", "--json"])

    assert result.exit_code == 0, result.output
    assert [(r["username"], r["outcome"]) for r in json.loads(result.stdout)] == [
        ("ann", "failed")
    ]
