"""Each token has its own bucket: past its burst a token gets 429 with Retry-After, others are
not slowed, and the bucket refills at the configured rate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cme.api import create_api, mounted
from cme.api.security import RateLimiter
from cme.services import tokens
from engine.testing import FakeClock
from tests.api.conftest import ADMIN
from tests.support import make_app


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def limited(
    tmp_path: Path, clock: FakeClock
) -> Iterator[tuple[TestClient, Ticks, dict[str, str]]]:
    app = make_app(f"sqlite:///{tmp_path}/cme.db", clock)
    ticks = Ticks()
    limiter = RateLimiter(per_minute=30, burst=3, now=ticks)  # one request every 2 seconds
    made = {n: tokens.create(app, ADMIN, n, "cmeo").token for n in ("busy", "quiet")}
    client = TestClient(mounted(create_api(app, limiter)))
    yield client, ticks, made
    client.close()
    app.db.dispose()


def get(client: TestClient, token: str) -> int:
    response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 429:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["kind"] == "RateLimited"
    return int(response.status_code)


def test_past_the_burst_a_token_gets_429_with_retry_after(
    limited: tuple[TestClient, Ticks, dict[str, str]],
) -> None:
    client, ticks, made = limited

    assert [get(client, made["busy"]) for _ in range(4)] == [200, 200, 200, 429]
    refused = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {made['busy']}"})
    assert refused.headers["retry-after"] == "2"
    assert get(client, made["quiet"]) == 200  # another token is not slowed

    ticks.at += 2.0
    assert [get(client, made["busy"]) for _ in range(2)] == [200, 429]


def test_the_limit_comes_from_the_settings(tmp_path: Path, clock: FakeClock) -> None:
    app = make_app(f"sqlite:///{tmp_path}/cme.db", clock, api_rate_per_minute=1, api_burst=2)
    token = tokens.create(app, ADMIN, "one", "auditor").token
    with TestClient(mounted(create_api(app))) as client:
        codes = [get(client, token) for _ in range(3)]
        wait = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    app.db.dispose()

    assert codes == [200, 200, 429]
    assert 1 <= int(wait.headers["retry-after"]) <= 60


def test_the_bucket_arithmetic() -> None:
    ticks = Ticks()
    limiter = RateLimiter(per_minute=60, burst=2, now=ticks)

    assert [limiter.take("a") for _ in range(3)] == [0, 0, 1]
    ticks.at += 0.5
    assert limiter.take("a") == 1
    ticks.at += 0.5
    assert limiter.take("a") == 0
    ticks.at += 3600
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 1]  # never more than the burst
