"""The case routes answer with what the CLI prints (`--json`), through the application layer:
the same read models, the reads in the access log under the token's name, the search text
nowhere in it, and `{id}` as a number or a `CME-` reference."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from cme.api.reports import _service
from cme.services import cases, queue, replay
from engine.testing import FakeClock
from storage.audit import access_log
from storage.tables import access_log_table
from tests.api.conftest import Api
from tests.support import school_referral

CMEO = "api:sys-cmeo"


def opened(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post(
        "/cases", {"workflow": "school-referral", "referral": school_referral(**overrides)}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_open_answers_201_with_the_case_as_cme_case_open_json_prints_it(api: Api) -> None:
    body = opened(api)

    assert body == cases.read(api.app, body["id"]).as_json()
    assert (body["ref"], body["state"], body["version"]) == ("CME-000001", "received", 1)
    history = api.get("/cases/1/history").json()
    assert [(e["trigger"], e["actor"], e["role"]) for e in history][:1] == [
        (history[0]["trigger"], CMEO, "cmeo")
    ]


def test_show_by_id_or_reference_is_cme_case_show_json(api: Api) -> None:
    opened(api)
    expected = cases.read(api.app, 1).detail_json()

    for ref in ("1", "CME-000001", "cme-1", "CME000001"):
        response = api.get(f"/cases/{ref}")
        assert response.status_code == 200, ref
        assert response.headers["content-type"] == "application/json"
        assert response.json() == expected
    assert list(response.json())[-2:] == ["child", "outbox"]  # the CLI's key order


def test_actions_list_each_step_with_its_evidence_for_the_tokens_role(api: Api) -> None:
    opened(api)

    as_cmeo = {a["trigger"]: a for a in api.get("/cases/1/actions").json()}
    as_auditor = {a["trigger"]: a for a in api.get("/cases/1/actions", role="auditor").json()}

    assert as_cmeo["begin_enquiries"]["blocked_by"] == []
    assert as_cmeo["locate_child"]["evidence"][0]["name"] == "located_on"
    assert as_auditor["begin_enquiries"]["blocked_by"]  # the auditor may not take it


def test_advance_takes_the_step_and_answers_as_cme_case_advance_json(api: Api) -> None:
    opened(api)

    response = api.post(
        "/cases/CME-000001/actions/begin_enquiries", {"evidence": {}, "version": 1}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["state"], body["version"]) == ("enquiries", 2)
    assert body["applied"] == {
        "trigger": "begin_enquiries",
        "seq": 2,
        "from": "received",
        "to": "enquiries",
        "followed_by": [],
    }
    assert {k: v for k, v in body.items() if k != "applied"} == cases.read(
        api.app, 1
    ).detail_json()
    history = api.get("/cases/1/history").json()
    assert history == replay.history(api.app, _reader(), 1).as_json()
    assert (history[-1]["trigger"], history[-1]["actor"]) == ("begin_enquiries", CMEO)


def test_replay_as_of_a_moment_before_the_step(api: Api, clock: FakeClock) -> None:
    opened(api)  # 09:00 UTC on 3 November 2025
    clock.advance(timedelta(hours=2))
    api.post("/cases/1/actions/begin_enquiries", {"evidence": {}, "version": 1})

    now = api.get("/cases/1/replay").json()
    before = api.get("/cases/1/replay", as_of="2025-11-03T10:00:00Z").json()
    local = api.get("/cases/1/replay", as_of="2025-11-03T10:00").json()  # London = UTC then

    assert (now["state"], now["as_of"], now["legal"]) == ("enquiries", None, True)
    assert (before["state"], before["later_events"]) == ("received", 1)
    assert before["as_of"] == local["as_of"] == "2025-11-03T10:00:00+00:00"
    logged = [r for r in access_log(api.app.db, 1) if r["action"] == "audit replay"]
    assert [r["detail"] for r in logged] == ["", "2025-11-03T10:00:00Z", "2025-11-03T10:00"]


def test_the_queue_filters_as_cme_cases_and_never_logs_the_search(api: Api) -> None:
    opened(api)
    opened(api, child={"forename": "Alex", "surname": "Example", "date_of_birth": "2014-05-01"})
    api.post("/cases/2/actions/begin_enquiries", {"evidence": {}, "version": 1})

    every = api.get("/cases").json()
    in_enquiries = api.get("/cases", state="enquiries").json()
    found = api.get("/cases", search="Alex Example").json()
    one = api.get("/cases", limit=1).json()

    assert every == [e.as_json() for e in queue.queue(api.app, _reader(), queue.QueueFilter())]
    assert [c["id"] for c in in_enquiries] == [2]
    assert [c["child_name"] for c in found] == ["Alex Example"]
    assert len(one) == 1
    with api.app.db.connect() as conn:
        details = [r.detail for r in conn.execute(select(access_log_table))]
        actors = {r.actor for r in conn.execute(select(access_log_table))}
    assert not [d for d in details if "Alex" in d or "Example" in d]
    assert CMEO in actors


def test_every_read_is_in_the_access_log_under_the_tokens_name(api: Api) -> None:
    opened(api)
    for path in ("/cases/1", "/cases/1/actions", "/cases/1/history", "/cases/1/replay"):
        assert api.get(path, role="auditor").status_code == 200

    rows = [(r["actor"], r["role"], r["action"]) for r in access_log(api.app.db, 1)]

    for action in ("case show", "case actions", "audit history", "audit replay"):
        assert ("api:sys-auditor", "auditor", action) in rows


def test_an_unknown_report_is_a_404_problem_naming_the_reports(api: Api) -> None:
    response = api.get("/reports/caseload")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["kind"] == "UnknownReport"
    assert body["reports"] == ["annual", "dfe-return", "monthly", "register"]


def test_a_report_names_a_missing_or_unknown_parameter(api: Api) -> None:
    missing = api.get("/reports/monthly")
    unknown = api.get("/reports/register", colour="red")

    assert (missing.status_code, unknown.status_code) == (422, 422)
    assert missing.json()["errors"] == [{"field": "month", "rule": "is required"}]
    assert unknown.json()["errors"] == [{"field": "colour", "rule": "is not a parameter"}]


def test_a_report_is_built_by_the_reports_service_or_501_without_it(api: Api) -> None:
    names = api.get("/reports").json()
    response = api.get("/reports/register")

    if _service() is None:  # this build has no reports service yet
        assert names == []
        assert response.status_code == 501
        assert response.json()["kind"] == "ReportsUnavailable"
    else:
        assert names == ["annual", "dfe-return", "monthly", "register"]
        assert response.status_code == 200, response.text
        assert api.get("/reports/register", role="caseworker").status_code in (200, 403)


def _reader() -> Any:
    from cme.services.principal import Principal

    return Principal("tester", "auditor", "cli")
