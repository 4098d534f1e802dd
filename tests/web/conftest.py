"""The web application on a real SQLite file with a fake clock: accounts, cases, a client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cme.bootstrap import App
from cme.services.principal import Principal
from engine.testing import FakeClock
from tests.support import START, make_app, school_referral

PASSWORD = "correct horse battery staple"
ACCOUNTS = {
    # login: (name, roles)
    "ann": ("Ann Admin", ["admin"]),
    "cara": ("Cara Caseworker", ["caseworker"]),
    "mo": ("Mo Mash", ["mash"]),
    "aud": ("Audrey Auditor", ["auditor"]),
    "colin": ("Colin Officer", ["cmeo", "caseworker"]),
}
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass
class Web:
    """The app, its fake clock and a way to make browsers."""

    app: App
    clock: FakeClock
    base_url: str = "http://testserver"

    def client(self, base_url: str | None = None) -> TestClient:
        from cme.web.app import create_app

        return TestClient(create_app(self.app), base_url=base_url or self.base_url)


@pytest.fixture
def web(tmp_path: Any, **settings: Any) -> Iterator[Web]:
    clock = FakeClock(START)
    app = make_app(f"sqlite:///{tmp_path}/cme.db", clock, signin_max_failures=3)
    add_accounts(app)
    yield Web(app, clock)
    app.db.dispose()


def add_accounts(app: App) -> None:
    from cme.services.accounts import add_user

    boot = Principal("installer", "admin", "cli")
    for login, (name, roles) in ACCOUNTS.items():
        add_user(app, boot, name, roles, login, PASSWORD)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, login: str, role: str | None = None) -> None:
    """Sign in through the form (and the role picker when asked)."""
    page = client.get("/sign-in")
    done = client.post(
        "/sign-in",
        data={"username": login, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    if done.headers["location"].startswith("/sign-in/role"):
        picker = client.get(done.headers["location"])
        chosen = client.post(
            "/sign-in/role",
            data={"role": role or "", "csrf_token": csrf_of(picker.text)},
            follow_redirects=False,
        )
        assert chosen.status_code == 303, chosen.text


def open_case(app: App, **overrides: Any) -> int:
    from cme.services.cases import open_case as open_

    cmeo = Principal("Colin Officer", "cmeo", "cli", account="Colin Officer")
    return open_(app, cmeo, "school-referral", school_referral(**overrides)).view.case.id


def escalate(app: App, case_id: int, concern: str = "Bruising seen at the door") -> None:
    from cme.services.cases import advance

    cmeo = Principal("Colin Officer", "cmeo", "cli", account="Colin Officer")
    advance(app, cmeo, case_id, "raise_concern", {"concern": concern, "raised_by": "Colin"})


def dump(app: App) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a refused request must not change: cases, events, timers, outbox, children,
    accounts and sessions (the access log and sign-in records are meant to grow)."""
    from sqlalchemy import text

    tables = ("case", "event", "timer", "outbox", "child", "account", "web_session")
    with app.db.connect() as conn:
        return {
            t: [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}" ORDER BY 1'))]  # noqa: S608
            for t in tables
        }
