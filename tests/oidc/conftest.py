"""Fixtures for the OpenID Connect sign-in: a real provider on 127.0.0.1 (tests/oidc_provider.py)
and the web application served by uvicorn on a SQLite file (tests/live_server.py), driven over
HTTP with httpx as a browser without JavaScript would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from cme.bootstrap import App
from cme.services.accounts import add_user
from cme.services.oidc_signin import bind_subject
from cme.services.principal import Principal
from tests.live_server import serving
from tests.oidc_provider import Provider, running_provider
from tests.support import make_app

SETUP = Principal("setup", "admin", "cli")
"""The first administrator's principal, while no account exists (roles self-declared)."""
ROLE_MAP = {"cme-caseworkers": "caseworker", "cme-mash": "mash", "cme-audit": "auditor"}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    """The provider, one per test module."""
    with running_provider() as running:
        yield running


class Council:
    """cme configured for the provider: an app, its web client, and accounts."""

    def __init__(self, app: App, provider: Provider, url: str) -> None:
        self.app, self.provider, self.url = app, provider, url
        add_user(app, SETUP, "ada", ["admin"], "ada", "an admin password")
        self.admin = Principal("ada", "admin", "cli", account="ada")
        self.clients: list[httpx.Client] = []

    def person(
        self, name: str, roles: list[str], sub: str | None, groups: list[str] | None = None
    ) -> None:
        """An account `name` holding `roles`, bound to `sub` (None: unbound), whose provider
        groups are `groups`."""
        add_user(self.app, self.admin, name, roles, name)
        subject = sub or f"{name}@council.example"
        if sub is not None:
            bind_subject(self.app, self.admin, name, sub)
        self.provider.person(subject, groups=groups or [], name=name.title())

    def client(self) -> httpx.Client:
        """A browser-like client of the web application (cookies kept, no redirects)."""
        client = httpx.Client(base_url=self.url, follow_redirects=False, timeout=20)
        self.clients.append(client)
        return client

    def sign_in(self, client: httpx.Client, sub: str) -> httpx.Response:
        """The whole flow: start, sign in at the provider as `sub`, come back; the callback's
        response."""
        start = client.get("/sign-in/oidc")
        assert start.status_code == 302, start.text[:500]
        back = self.provider.authorize(start.headers["location"], sub)
        return client.get(back)


@pytest.fixture
def make_council(provider: Provider, tmp_path: Path) -> Iterator[Callable[..., Council]]:
    """Councils with settings on top of the provider's (`oidc_roles` = ROLE_MAP unless said)."""
    built: list[Council] = []
    with ExitStack() as servers:

        def make(**settings: Any) -> Council:
            values = {**provider.settings(oidc_roles=ROLE_MAP), **settings}
            app = make_app(f"sqlite:///{tmp_path}/cme-{len(built)}.db", **values)
            built.append(Council(app, provider, servers.enter_context(serving(app))))
            return built[-1]

        yield make
    for council in built:
        for client in council.clients:
            client.close()
        council.app.db.dispose()


@pytest.fixture
def council(make_council: Callable[..., Council]) -> Council:
    """cme pointed at the provider, with the default group mapping."""
    return make_council()
