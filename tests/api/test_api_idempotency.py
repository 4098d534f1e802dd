"""`Idempotency-Key` on POSTs: a retried request gets the first response and never opens a
second case, in this process or another on the same database; the same key with another body
is refused; keys belong to one token and expire after a day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cme.api import create_api, mounted
from cme.api.schemas import OpenCase
from cme.api.security import RateLimiter
from cme.services.idempotency import TTL, fingerprint
from engine.testing import FakeClock
from storage import tokens as stored
from storage.tables import case_table, idempotency_table
from tests.api.conftest import Api
from tests.support import make_app, school_referral

OPEN: dict[str, Any] = {
    "workflow": "school-referral",
    "referral": school_referral(),
    "open_anyway": True,  # the same child again and again: keys are the subject here
}


def cases(api: Api) -> int:
    with api.app.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(case_table)).scalar_one())


def test_a_retried_open_with_the_same_key_opens_one_case(api: Api) -> None:
    first = api.post("/cases", OPEN, **{"Idempotency-Key": "referral-0001"})
    again = api.post("/cases", OPEN, **{"Idempotency-Key": "referral-0001"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotency-replayed"] == "true"
    assert "idempotency-replayed" not in first.headers
    assert cases(api) == 1
    assert api.post("/cases", OPEN, **{"Idempotency-Key": "referral-0002"}).json()["id"] == 2
    assert api.post("/cases", OPEN).json()["id"] == 3  # no key: no promise


def test_the_key_holds_across_processes(api: Api, tmp_path: Path, clock: FakeClock) -> None:
    first = api.post("/cases", OPEN, **{"Idempotency-Key": "k-1"})
    other_app = make_app(api.app.settings.database_url, clock)  # another process's app
    other = TestClient(mounted(create_api(other_app, RateLimiter(6000, 1000))))
    try:
        again = other.post(
            "/api/v1/cases", json=OPEN, headers=api.headers("cmeo", **{"Idempotency-Key": "k-1"})
        )
    finally:
        other.close()
        other_app.db.dispose()

    assert again.json() == first.json() and again.status_code == 201
    assert cases(api) == 1


def test_the_same_key_with_another_body_is_refused(api: Api) -> None:
    api.post("/cases", OPEN, **{"Idempotency-Key": "k-2"})
    changed = {"workflow": "school-referral", "referral": school_referral(reason="moved away")}

    response = api.post("/cases", changed, **{"Idempotency-Key": "k-2"})

    assert response.status_code == 422
    body = response.json()
    assert body["kind"] == "KeyReused"
    assert body["errors"] == [
        {"field": "Idempotency-Key", "rule": "a key may be reused only for the same request"}
    ]
    assert cases(api) == 1


def test_a_step_retried_is_taken_once_and_a_refusal_is_kept(api: Api) -> None:
    api.post("/cases", OPEN)
    step = {"evidence": {}, "version": 1}

    first = api.post("/cases/1/actions/begin_enquiries", step, **{"Idempotency-Key": "s-1"})
    again = api.post("/cases/1/actions/begin_enquiries", step, **{"Idempotency-Key": "s-1"})
    stale = api.post("/cases/1/actions/begin_enquiries", step, **{"Idempotency-Key": "s-2"})

    assert (first.status_code, again.status_code, stale.status_code) == (200, 200, 409)
    assert again.json() == first.json() and first.json()["version"] == 2
    repeated = api.post("/cases/1/actions/begin_enquiries", step, **{"Idempotency-Key": "s-2"})
    assert repeated.status_code == 409 and repeated.json() == stale.json()
    assert repeated.headers["content-type"] == "application/problem+json"


def test_keys_belong_to_one_token(api: Api) -> None:
    mine = api.post("/cases", OPEN, **{"Idempotency-Key": "shared"})
    theirs = api.post("/cases", OPEN, role="caseworker", **{"Idempotency-Key": "shared"})

    assert (mine.json()["id"], theirs.json()["id"]) == (1, 2)


def test_a_key_expires_after_a_day(api: Api, clock: FakeClock) -> None:
    api.post("/cases", OPEN, **{"Idempotency-Key": "daily"})
    clock.advance(TTL + timedelta(seconds=1))

    later = api.post("/cases", OPEN, **{"Idempotency-Key": "daily"})

    assert later.status_code == 201 and later.json()["id"] == 2
    with api.app.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(idempotency_table)).scalar_one() == 1


def test_a_key_still_being_answered_is_a_409_and_nothing_is_done(api: Api) -> None:
    now = api.app.clock.now()
    key = "racing"
    request = fingerprint("POST", "/api/v1/cases", OpenCase(**OPEN).model_dump(mode="json"))
    assert stored.claim_key(api.app.db, "api:sys-cmeo", key, request, now, now + TTL) is None

    response = api.post("/cases", OPEN, **{"Idempotency-Key": key})  # the same request, racing

    assert response.status_code == 409
    assert response.json()["kind"] == "KeyInUse"
    assert cases(api) == 0


def test_a_bad_key_is_a_422_naming_the_header(api: Api) -> None:
    response = api.post("/cases", OPEN, **{"Idempotency-Key": "two words"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert cases(api) == 0
