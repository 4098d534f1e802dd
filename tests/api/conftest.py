"""An API on a SQLite file with a fake clock, a token for each role, and a client that sends
requests through the full `/api/v1` prefix (the API mounted as the web application mounts it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cme.api import create_api, mounted
from cme.api.security import RateLimiter
from cme.bootstrap import App
from cme.services import tokens
from cme.services.principal import ROLES, Principal
from engine.testing import FakeClock
from tests.support import START, make_app

ADMIN = Principal("root", "admin", "cli")


class Api:
    """The app, its API, a client, and a token per role."""

    def __init__(self, app: App, limiter: RateLimiter) -> None:
        self.app, self.limiter = app, limiter
        self.client = TestClient(mounted(create_api(app, limiter)), raise_server_exceptions=True)
        self.tokens = {
            role: tokens.create(app, ADMIN, f"sys-{role}", role).token for role in ROLES
        }

    def headers(self, role: str | None, **extra: str) -> dict[str, str]:
        """The Authorization header for `role`'s token (None: none)."""
        found = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return {**found, **extra}

    def get(self, path: str, role: str | None = "cmeo", **params: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=self.headers(role), params=params)

    def post(self, path: str, body: Any, role: str | None = "cmeo", **headers: str) -> Any:
        return self.client.post("/api/v1" + path, json=body, headers=self.headers(role, **headers))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def api(db_url: str, clock: FakeClock) -> Iterator[Api]:
    """On SQLite and, when configured, PostgreSQL."""
    app = make_app(db_url, clock)
    found = Api(app, RateLimiter(per_minute=6000, burst=1000))
    yield found
    found.client.close()
    app.db.dispose()
