"""A web application on a real SQLite file with a fake clock, accounts for each role, and
browsers (httpx `TestClient`) signed in as them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cme.bootstrap import App
from cme.services.principal import Principal
from engine import Actor
from engine.testing import FakeClock
from tests.support import START, make_app, school_referral

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    """The application, its clock, and a way to get a browser signed in as a role."""

    app: App
    clock: FakeClock
    browser: Callable[[str], TestClient]

    def open_case(self, **overrides: Any) -> int:
        opened = self.app.engine.open_case(
            "school-referral", school_referral(**overrides), Actor("c", "cmeo")
        )
        return opened.case.id


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found[1]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    from cme.services.accounts import add_user
    from cme.web.app import create_app

    clock = FakeClock(START)
    application = make_app(f"sqlite:///{tmp_path}/cme.db", clock)
    root = Principal("root", "admin", "cli")
    add_user(application, root, "root", ["admin"], "root", PASSWORD)
    web = create_app(application)
    clients: list[TestClient] = []
    added: set[str] = set()

    def browser(role: str) -> TestClient:
        """A browser signed in as the account named after `role` (holding that role only)."""
        if role not in added:  # argon2 is slow on purpose: only the accounts a test uses
            add_user(application, root, role, [role], role, PASSWORD)
            added.add(role)
        client = TestClient(web, follow_redirects=False)
        clients.append(client)
        page = client.get("/sign-in")
        signed = client.post(
            "/sign-in",
            data={"username": role, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        assert signed.status_code == 303, signed.text
        return client

    yield Site(application, clock, browser)
    for client in clients:
        client.close()
    application.db.dispose()


def nodes(text: str, path: str) -> list[Any]:
    """The elements of the page `text` that the XPath `path` selects."""
    from lxml import html

    found = html.fromstring(text).xpath(path)
    assert isinstance(found, list)
    return found


def texts(text: str, path: str) -> list[str]:
    """The text content of each element `path` selects."""
    return [str(n.text_content()) for n in nodes(text, path)]
