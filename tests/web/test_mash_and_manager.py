"""The MASH view lists escalations awaiting acknowledgement and acknowledges them as the
signed-in MASH officer; the manager's view counts open cases by state and overdue."""

from __future__ import annotations

from datetime import timedelta

from storage import queries
from tests.web.conftest import Web, csrf_of, escalate, open_case, sign_in


def test_mash_sees_the_concern_the_child_and_the_due_time(web: Web) -> None:
    case_id = open_case(web.app)
    escalate(web.app, case_id, "Neighbour reports shouting and the child not seen")
    client = web.client()
    sign_in(client, "mo")

    page = client.get("/mash")

    assert page.status_code == 200
    assert "Neighbour reports shouting and the child not seen" in page.text
    assert "Sam Testchild" in page.text and "age 11" in page.text
    assert "MASH acknowledgement due Tue 4 Nov" in page.text
    assert "Acknowledge escalation" in page.text


def test_acknowledging_records_the_signed_in_mash_officer(web: Web) -> None:
    case_id = open_case(web.app)
    escalate(web.app, case_id)
    client = web.client()
    sign_in(client, "mo")
    page = client.get("/mash")

    done = client.post(
        f"/mash/CME-{case_id:06d}/acknowledge",
        data={"csrf_token": csrf_of(page.text), "decision": ""},
        follow_redirects=False,
    )

    assert done.status_code == 303
    event = queries.events(web.app.db, case_id)[-1]
    assert (event.trigger, event.to_state, event.actor, event.role) == (
        "mash_acknowledged",
        "with_mash",
        "Mo Mash",
        "mash",
    )
    assert event.evidence["acknowledged_by"] == "Mo Mash"
    after = client.get(done.headers["location"])
    assert "Acknowledgement of CME-" in after.text
    assert "No escalations are awaiting acknowledgement" in after.text


def test_acknowledging_with_a_decision_records_it_next(web: Web) -> None:
    case_id = open_case(web.app)
    escalate(web.app, case_id)
    client = web.client()
    sign_in(client, "mo")
    page = client.get("/mash")

    client.post(
        f"/mash/CME-{case_id:06d}/acknowledge",
        data={"csrf_token": csrf_of(page.text), "decision": "return_to_cme_casework"},
    )

    events = queries.events(web.app.db, case_id)
    assert [e.trigger for e in events[-2:]] == ["mash_acknowledged", "return_from_mash"]
    assert events[-1].evidence["mash_decision"] == "return_to_cme_casework"


def test_a_stale_version_is_refused_and_changes_nothing(web: Web) -> None:
    case_id = open_case(web.app)
    escalate(web.app, case_id)
    client = web.client()
    sign_in(client, "mo")
    page = client.get("/mash")
    before = len(queries.events(web.app.db, case_id))

    stale = client.post(
        f"/mash/CME-{case_id:06d}/acknowledge",
        data={"csrf_token": csrf_of(page.text), "version": "1"},
    )

    assert stale.status_code == 409
    assert "since you read it" in stale.text
    assert len(queries.events(web.app.db, case_id)) == before


def test_the_manager_view_counts_by_state_and_overdue(web: Web) -> None:
    open_case(web.app)
    escalated = open_case(web.app)
    escalate(web.app, escalated)
    web.clock.advance(timedelta(days=1, hours=2))
    client = web.client()
    sign_in(client, "colin", "cmeo")

    page = client.get("/manager")

    assert page.status_code == 200
    assert (
        '<span class="govuk-heading-xl govuk-!-margin-bottom-0">2</span> open cases' in page.text
    )
    assert "Escalated to MASH - awaiting acknowledgement" in page.text
    assert "Referral received" in page.text
    assert '<span class="govuk-heading-xl govuk-!-margin-bottom-0">2</span> <a' in page.text


def test_navigation_follows_the_role(web: Web) -> None:
    mash, caseworker = web.client(), web.client()
    sign_in(mash, "mo")
    sign_in(caseworker, "cara")

    assert 'href="/manager"' not in caseworker.get("/cases").text
    assert 'href="/mash"' in mash.get("/cases").text
    assert 'href="/manager"' not in mash.get("/cases").text
