"""Signing in with the council's account (issue 15): OpenID Connect against a real provider on
127.0.0.1, over HTTP. A person signs in only through an account an administrator bound to their
subject, in a role both the account holds and the provider's groups give; every attempt is
recorded; whatever the provider or a forged callback says otherwise, no session starts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage import web_sessions
from storage.access import refusals
from storage.accounts import disable_account
from storage.tables import sign_in_table, web_session_table
from tests.oidc.conftest import Council

pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")


def sessions(council: Council) -> list[tuple[str, str | None]]:
    """(account, role) of every web session started."""
    w = web_session_table.c
    with council.app.db.connect() as conn:
        return [(r.account, r.role) for r in conn.execute(select(w.account, w.role))]


def latest_attempt(council: Council) -> tuple[str, str | None, str, str]:
    row = web_sessions.attempts(council.app.db, 1)[0]
    return row["username"], row["account"], row["outcome"], row["door"]


def test_a_bound_caseworker_signs_in_and_acts_as_their_account(council: Council) -> None:
    council.person("cara", ["caseworker"], "cara-sub", ["cme-caseworkers", "all-staff"])
    client = council.client()

    back = council.sign_in(client, "cara-sub")

    assert back.status_code == 303 and back.headers["location"] == "/cases"
    cookie = next(c for c in back.headers.get_list("set-cookie") if c.startswith("cme_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert sessions(council) == [("cara", "caseworker")]
    assert latest_attempt(council) == ("oidc:cara-sub", "cara", "signed_in", "web")
    page = client.get("/cases")
    assert page.status_code == 200 and "My work" in page.text
    assert client.cookies.get("cme_oidc") is None  # the flow's state is forgotten


def test_the_role_is_the_accounts_first_that_the_groups_also_give(council: Council) -> None:
    council.person("dev", ["auditor", "caseworker"], "dev-sub", ["cme-caseworkers"])
    council.person("eli", ["auditor", "caseworker"], "eli-sub", ["cme-caseworkers", "cme-audit"])

    assert council.sign_in(council.client(), "dev-sub").status_code == 303
    assert council.sign_in(council.client(), "eli-sub").status_code == 303

    assert sessions(council) == [("dev", "caseworker"), ("eli", "auditor")]


@pytest.mark.parametrize(
    ("setup", "reason", "words"),
    [
        ("unbound", "unbound", "not linked to an account on this service"),
        ("disabled", "disabled", "is disabled"),
        ("no_group", "no_role", "groups give you no role"),
        ("other_role", "no_role", "groups give you no role"),
    ],
)
def test_a_person_cme_cannot_place_is_refused_recorded_and_gets_no_session(
    council: Council, setup: str, reason: str, words: str
) -> None:
    if setup == "unbound":
        council.person("fay", ["caseworker"], None, ["cme-caseworkers"])
        sub = "fay@council.example"
    else:
        groups = {"disabled": ["cme-caseworkers"], "no_group": [], "other_role": ["cme-mash"]}
        council.person("fay", ["caseworker"], "fay-sub", groups[setup])
        sub = "fay-sub"
        if setup == "disabled":
            disable_account(council.app.db, "fay")
    client = council.client()

    back = council.sign_in(client, sub)

    assert back.status_code == 403
    assert "You cannot sign in to this service" in back.text and words in back.text
    assert "cme_session" not in client.cookies
    assert sessions(council) == []
    expected_account = None if setup == "unbound" else "fay"
    assert latest_attempt(council) == (f"oidc:{sub}", expected_account, "failed", "web")
    refusal = refusals(council.app.db, 1)[0]
    assert refusal["detail"].startswith(f"sign-in oidc: {reason}: ")
    assert client.get("/cases").status_code == 303  # still signed out: back to sign-in


def test_a_refusal_at_the_provider_signs_no_one_in(council: Council) -> None:
    council.person("gil", ["caseworker"], "gil-sub", ["cme-caseworkers"])
    client = council.client()
    start = client.get("/sign-in/oidc")

    back = client.get(council.provider.deny(start.headers["location"]))

    assert back.status_code == 400 and "You could not be signed in" in back.text
    assert sessions(council) == []
    assert latest_attempt(council) == ("oidc:?", None, "failed", "web")
    assert "access_denied" in refusals(council.app.db, 1)[0]["detail"]


def test_a_callback_replayed_or_carried_to_another_browser_is_refused(council: Council) -> None:
    council.person("hal", ["caseworker"], "hal-sub", ["cme-caseworkers"])
    client = council.client()
    start = client.get("/sign-in/oidc")
    back = council.provider.authorize(start.headers["location"], "hal-sub")
    stranger = council.client()

    carried = stranger.get(back)  # no flow state in this browser: its state cannot match
    first = client.get(back)
    replayed = client.get(back)

    assert carried.status_code == 400 and "cme_session" not in stranger.cookies
    assert first.status_code == 303
    assert replayed.status_code == 400
    assert sessions(council) == [("hal", "caseworker")]


def test_a_forged_state_cookie_is_ignored(council: Council) -> None:
    council.person("ivy", ["caseworker"], "ivy-sub", ["cme-caseworkers"])
    client = council.client()
    start = client.get("/sign-in/oidc")
    back = council.provider.authorize(start.headers["location"], "ivy-sub")
    forged = client.cookies["cme_oidc"][:-4] + "AAAA"
    client.cookies.set("cme_oidc", forged, path="/sign-in/oidc")

    assert client.get(back).status_code == 400
    assert sessions(council) == []


def test_without_settings_there_is_no_council_sign_in(make_council) -> None:
    plain = make_council(oidc_issuer=None, oidc_client_id=None, oidc_client_secret=None)
    configured = make_council()

    assert plain.client().get("/sign-in/oidc").status_code == 404
    assert "Sign in with your council account" not in plain.client().get("/sign-in").text
    page = configured.client().get("/sign-in").text
    assert 'href="/sign-in/oidc"' in page and "Sign in with your council account" in page


def test_a_provider_out_of_reach_or_naming_another_issuer_is_refused(make_council) -> None:
    away = make_council(oidc_issuer="http://127.0.0.1:9")
    other = make_council()
    other.app.settings.oidc_issuer = other.provider.issuer + "/"  # a different issuer string

    unreachable = away.client().get("/sign-in/oidc")
    mismatched = other.client().get("/sign-in/oidc")

    assert unreachable.status_code == 502 and "could not be reached" in unreachable.text
    assert mismatched.status_code == 502
    assert sessions(away) == [] and sessions(other) == []


def test_sign_in_records_count_toward_no_local_lock_out(council: Council) -> None:
    """A refused council sign-in is recorded under `oidc:<sub>`, never under a local username:
    it cannot lock a person's password sign-in."""
    council.person("jo", ["caseworker"], "jo", [])
    for _ in range(6):
        council.sign_in(council.client(), "jo")

    with council.app.db.connect() as conn:
        t = sign_in_table.c
        local = conn.execute(select(func.count()).where(t.username == "jo")).scalar_one()
    assert local == 0
