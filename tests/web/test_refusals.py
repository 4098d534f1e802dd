"""Refusals change nothing: an unauthenticated request, a wrong role, a missing or wrong CSRF
token, an auditor's POST and a locked-out account each get their refusal, and the cases,
events, timers, outbox, children, accounts and sessions are exactly as before."""

from __future__ import annotations

from storage.access import refusals
from tests.web.conftest import PASSWORD, Web, csrf_of, dump, escalate, open_case, sign_in


def _escalated(web: Web) -> int:
    case_id = open_case(web.app)
    escalate(web.app, case_id)
    return case_id


def test_unauthenticated_get_goes_to_sign_in_and_post_is_refused(web: Web) -> None:
    case_id = _escalated(web)
    client = web.client()
    page = client.get("/sign-in")  # a browser with the anonymous CSRF binding only
    before = dump(web.app)

    got = client.get("/mash", follow_redirects=False)
    posted = client.post(
        f"/mash/CME-{case_id:06d}/acknowledge", data={"csrf_token": csrf_of(page.text)}
    )

    assert got.status_code == 303 and got.headers["location"] == "/sign-in?next=/mash"
    assert posted.status_code == 401
    assert "Nothing was changed" in posted.text
    assert dump(web.app) == before


def test_a_role_the_chart_does_not_allow_is_refused_and_recorded(web: Web) -> None:
    case_id = _escalated(web)
    client = web.client()
    sign_in(client, "cara")  # a caseworker may not acknowledge for MASH
    page = client.get("/mash")
    assert "Acknowledge escalation" not in page.text  # the form is MASH's only
    before = dump(web.app)

    refused = client.post(
        f"/mash/CME-{case_id:06d}/acknowledge", data={"csrf_token": csrf_of(page.text)}
    )

    assert refused.status_code == 403
    assert "may not" in refused.text and "Nothing was changed" in refused.text
    assert dump(web.app) == before
    assert refusals(web.app.db)[0]["actor"] == "Cara Caseworker"


def test_an_auditor_post_is_refused(web: Web) -> None:
    case_id = _escalated(web)
    client = web.client()
    sign_in(client, "aud")
    page = client.get("/mash")
    before = dump(web.app)

    refused = client.post(
        f"/mash/CME-{case_id:06d}/acknowledge", data={"csrf_token": csrf_of(page.text)}
    )

    assert refused.status_code == 403
    assert dump(web.app) == before


def test_a_missing_or_wrong_csrf_token_is_refused_before_anything_runs(web: Web) -> None:
    case_id = _escalated(web)
    client = web.client()
    sign_in(client, "mo")
    other = web.client()
    sign_in(other, "mo")
    foreign = csrf_of(other.get("/mash").text)  # a real token, of another session
    before = dump(web.app)
    url = f"/mash/CME-{case_id:06d}/acknowledge"

    for data in ({}, {"csrf_token": ""}, {"csrf_token": "0" * 64}, {"csrf_token": foreign}):
        refused = client.post(url, data=data)
        assert refused.status_code == 403, data
        assert "This form could not be accepted" in refused.text
    refused = client.post(url, content=b"\xff\xfe", headers={"content-type": "text/plain"})
    assert refused.status_code == 403

    assert dump(web.app) == before
    page = client.get("/mash")  # the right token works
    done = client.post(url, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303


def test_sign_in_and_sign_out_need_the_token_too(web: Web) -> None:
    client = web.client()
    client.get("/sign-in")

    refused = client.post("/sign-in", data={"username": "cara", "password": PASSWORD})

    assert refused.status_code == 403
    assert "cme_session" not in refused.headers.get("set-cookie", "")
    sign_in(client, "cara")
    assert client.post("/sign-out", data={}).status_code == 403
    assert client.get("/cases").status_code == 200  # still signed in


def test_a_locked_out_account_gets_no_session_and_changes_nothing(web: Web) -> None:
    _escalated(web)
    client = web.client()
    for _ in range(3):
        page = client.get("/sign-in")
        client.post(
            "/sign-in",
            data={"username": "mo", "password": "guess", "csrf_token": csrf_of(page.text)},
        )
    before = dump(web.app)

    page = client.get("/sign-in")
    locked = client.post(
        "/sign-in",
        data={"username": "mo", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )

    assert locked.status_code == 400 and "Too many failed attempts" in locked.text
    assert client.get("/mash", follow_redirects=False).status_code == 303
    assert dump(web.app) == before


def test_a_case_reference_that_names_nothing_is_a_404(web: Web) -> None:
    client = web.client()
    sign_in(client, "mo")
    page = client.get("/mash")

    for ref in ("CME-999999", "not-a-ref"):
        missing = client.post(f"/mash/{ref}/acknowledge", data={"csrf_token": csrf_of(page.text)})
        assert missing.status_code == 404
