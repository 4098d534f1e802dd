"""Each refusal is a problem document with its status (401, 403, 404, 409, 422), written by the
application layer's refusals, kept in the access log where the CLI's are, with nothing written;
and each role gets what the permissions table gives it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cme.services import tokens
from cme.services.principal import ROLES
from engine.testing import FakeClock
from storage.access import refusals
from storage.tables import case_table, event_table
from tests.api.conftest import ADMIN, Api
from tests.support import school_referral

OPEN = {"workflow": "school-referral", "referral": school_referral()}
READS = ("/cases", "/cases/1", "/cases/1/actions", "/cases/1/history", "/cases/1/replay")


def problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["status"], body["kind"]) == (status, kind)
    assert body["type"].startswith("urn:cme:problem:") and body["title"] and body["detail"]
    return body


def written(api: Api) -> tuple[int, int]:
    with api.app.db.connect() as conn:
        cases = conn.execute(select(func.count()).select_from(case_table)).scalar_one()
        events = conn.execute(select(func.count()).select_from(event_table)).scalar_one()
    return cases, events


# --- 401 ------------------------------------------------------------------------------------
def test_401_without_a_token_or_with_a_bad_one(api: Api) -> None:
    cases = [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-cme-token"},
        {"Authorization": "Bearer cme_" + "x" * 43},
    ]
    for headers in cases:
        response = api.client.get("/api/v1/cases", headers=headers)
        body = problem(response, 401, "TokenRefused")
        assert response.headers["www-authenticate"].startswith('Bearer realm="cme"')
        assert "cme_" not in body["detail"].replace("cme_x", "")
    assert api.client.post("/api/v1/cases", json=OPEN).status_code == 401
    assert written(api) == (0, 0)
    assert {r["detail"].split(":")[0] for r in refusals(api.app.db)} == {"api.token"}


def test_401_for_an_expired_token_and_for_a_revoked_one(api: Api, clock: FakeClock) -> None:
    short = tokens.create(api.app, ADMIN, "short-lived", "cmeo", expires_days=1).token
    assert api.client.get("/api/v1/cases", headers={"Authorization": f"Bearer {short}"}).is_success
    clock.advance(timedelta(days=1, seconds=1))

    expired = api.client.get("/api/v1/cases", headers={"Authorization": f"Bearer {short}"})
    tokens.revoke(api.app, ADMIN, "sys-cmeo")
    revoked = api.get("/cases")

    assert "expired" in problem(expired, 401, "TokenRefused")["reason"]
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]
    assert "revoked" in problem(revoked, 401, "TokenRefused")["reason"]
    log = refusals(api.app.db)
    assert [(r["actor"], r["role"]) for r in log[:2]] == [
        ("api:sys-cmeo", "cmeo"),
        ("api:short-lived", "cmeo"),
    ]


# --- 403 and each role ------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_and_only_casework_roles_open(api: Api, role: str) -> None:
    api.post("/cases", OPEN)  # as a CME officer

    for path in READS:
        assert api.get(path, role=role).status_code == 200, (role, path)
    response = api.post("/cases", {**OPEN, "open_anyway": True}, role=role)

    if role in ("caseworker", "cmeo"):
        assert response.status_code == 201
        assert written(api)[0] == 2
    else:
        body = problem(response, 403, "NotPermitted")
        assert (body["action"], body["role"]) == ("case.open", role)
        assert written(api)[0] == 1
        log = refusals(api.app.db)[0]
        assert (log["actor"], log["role"]) == (f"api:sys-{role}", role)
        assert log["detail"].startswith("case.open: ")


def test_409_for_a_referral_matching_an_open_case_unless_opened_anyway(api: Api) -> None:
    api.post("/cases", OPEN)
    before = written(api)

    response = api.post("/cases", OPEN)

    body = problem(response, 409, "PossibleDuplicate")
    assert [m["ref"] for m in body["matches"]] == ["CME-000001"]
    assert written(api) == before
    anyway = api.post("/cases", {**OPEN, "open_anyway": True})
    assert anyway.status_code == 201 and anyway.json()["id"] == 2
    opened = api.get("/cases/2/history").json()
    events = opened["events"] if isinstance(opened, dict) else opened
    assert events[0]["evidence"]["opening"] == {"open_anyway": True, "matches": ["CME-000001"]}


@pytest.mark.parametrize("role", ["auditor", "admin", "ehe_officer", "mash"])
def test_403_for_a_step_the_role_may_not_take(api: Api, role: str) -> None:
    api.post("/cases", OPEN)
    before = written(api)

    response = api.post("/cases/1/actions/begin_enquiries", {"evidence": {}, "version": 1}, role)

    body = problem(response, 403, response.json()["kind"])
    assert body["kind"] in ("NotPermitted", "ActorNotPermitted")
    assert written(api) == before
    assert refusals(api.app.db)[0]["actor"] == f"api:sys-{role}"


def test_a_system_token_cannot_be_made(api: Api) -> None:
    from cme.services.errors import Refused

    with pytest.raises(Refused) as refused:
        tokens.create(api.app, ADMIN, "timer", "system")
    assert refused.value.details() == {"field": "role"}


# --- 404 ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "number"),
    [
        *((path, 1) for path in READS[1:]),
        ("/cases/CME-000042", 42),
        ("/cases/999999999999999999", 999999999999999999),  # past PostgreSQL's integer
        ("/cases/2147483648/history", 2**31),
    ],
)
def test_404_for_a_case_that_does_not_exist(api: Api, path: str, number: int) -> None:
    body = problem(api.get(path), 404, "CaseNotFound")
    assert body["case_id"] == number


def test_404_for_a_path_that_does_not_exist_and_a_step_on_no_case(api: Api) -> None:
    problem(api.get("/nothing-here"), 404, "NotFound")
    step = api.post("/cases/7/actions/begin_enquiries", {"evidence": {}, "version": 1})
    problem(step, 404, "CaseNotFound")


# --- 409 ------------------------------------------------------------------------------------
def test_409_for_a_stale_version_names_who_changed_the_case(api: Api) -> None:
    api.post("/cases", OPEN)
    assert api.post("/cases/1/actions/begin_enquiries", {"evidence": {}, "version": 1}).is_success
    before = written(api)

    late = api.post(
        "/cases/1/actions/locate_child",
        {"evidence": {"located_on": "2025-11-03", "where": "at home"}, "version": 1},
        role="caseworker",
    )

    body = problem(late, 409, "ConcurrentUpdate")
    assert (body["your_version"], body["current_version"]) == (1, 2)
    assert body["changed_by"] == "api:sys-cmeo"
    assert "begin_enquiries" in (body["change"] or "")
    assert written(api) == before


def test_409_for_a_step_not_possible_from_the_state(api: Api) -> None:
    api.post("/cases", OPEN)

    body = problem(
        api.post("/cases/1/actions/record_first_visit", {"evidence": {}, "version": 1}),
        409,
        "TriggerNotAvailable",
    )

    assert body["state"] == "received" and "begin_enquiries" in body["allowed"]


# --- 422 ------------------------------------------------------------------------------------
def test_422_for_a_referral_names_each_field_and_rule(api: Api) -> None:
    referral = school_referral(first_absence_date="yesterday")
    del referral["reason"]

    body = problem(
        api.post("/cases", {"workflow": "school-referral", "referral": referral}),
        422,
        "OpeningRefused",
    )

    fields = {e["field"] for e in body["errors"]}
    assert {"reason", "first_absence_date"} <= fields
    assert all(e["rule"] for e in body["errors"])
    assert written(api) == (0, 0)


def test_422_for_evidence_an_unknown_workflow_and_bad_parameters(api: Api) -> None:
    api.post("/cases", OPEN)
    before = written(api)

    evidence = problem(
        api.post(
            "/cases/1/actions/locate_child", {"evidence": {"located_on": "soon"}, "version": 1}
        ),
        422,
        "EvidenceInvalid",
    )
    workflow = problem(
        api.post("/cases", {"workflow": "no-such-chart", "referral": {}}), 422, "UnknownWorkflow"
    )
    body = problem(api.post("/cases", {"referral": {}, "extra": 1}), 422, "RequestInvalid")
    version = problem(
        api.post("/cases/1/actions/begin_enquiries", {"evidence": {}}), 422, "RequestInvalid"
    )
    limit = problem(api.get("/cases", limit=0), 422, "RequestInvalid")
    as_of = problem(api.get("/cases/1/replay", as_of="last tuesday"), 422, "BadInput")
    search = problem(api.get("/cases", search="   "), 422, "SearchRefused")
    ref = problem(api.get("/cases/CASE-1"), 422, "RequestInvalid")

    assert "located_on" in {e["field"] for e in evidence["errors"]}
    assert workflow["errors"][0]["field"] == "workflow"
    assert {e["field"] for e in body["errors"]} == {"workflow", "extra"}
    assert version["errors"][0]["field"] == "version"
    assert limit["errors"][0]["field"] == "limit"
    assert as_of["errors"] == [
        {"field": "as_of", "rule": "an ISO date-time, e.g. 2025-11-10T09:00"}
    ]
    assert search["errors"][0]["field"] == "search"
    assert ref["errors"][0]["field"] == "id"
    assert written(api) == before


def test_a_query_parameter_given_twice_is_a_422_naming_it(api: Api) -> None:
    response = api.client.get("/api/v1/cases?search=sam&search=alex", headers=api.headers("cmeo"))

    body = problem(response, 422, "RequestInvalid")
    assert "search" in body["detail"]
