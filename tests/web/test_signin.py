"""Sign-in, sign-out, idle timeout, lock-out and the role picker, through the real pages on a
SQLite file; every attempt is recorded (`sign_in`)."""

from __future__ import annotations

from datetime import timedelta

from storage.web_sessions import attempts
from tests.web.conftest import PASSWORD, Web, csrf_of, sign_in


def _post_sign_in(client, login: str, password: str):
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"username": login, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def test_the_form_has_labelled_username_and_password_and_a_sign_in_button(web: Web) -> None:
    page = web.client().get("/sign-in")

    assert page.status_code == 200
    assert '<label class="govuk-label" for="username">Username</label>' in page.text
    assert '<label class="govuk-label" for="password">Password</label>' in page.text
    assert ">Sign in</button>" in page.text


def test_signing_in_sets_a_httponly_samesite_session_and_records_it(web: Web) -> None:
    client = web.client()
    done = _post_sign_in(client, "cara", PASSWORD)

    assert done.status_code == 303 and done.headers["location"] == "/cases"
    cookie = done.headers["set-cookie"]
    assert "cme_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP (tests); see the HTTPS test
    assert (
        "Signed in as <strong>Cara Caseworker</strong> (caseworker)" in client.get("/cases").text
    )
    assert [(a["username"], a["account"], a["outcome"]) for a in attempts(web.app.db)] == [
        ("cara", "Cara Caseworker", "signed_in")
    ]


def test_over_https_the_session_cookie_is_secure(web: Web) -> None:
    done = _post_sign_in(web.client("https://testserver"), "cara", PASSWORD)

    assert "Secure" in done.headers["set-cookie"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_refusal(web: Web) -> None:
    client = web.client()
    wrong = _post_sign_in(client, "cara", "not the password")
    nobody = _post_sign_in(client, "nobody", "whatever")

    for page in (wrong, nobody):
        assert page.status_code == 400
        assert "Enter a correct username and password" in page.text
        assert 'class="govuk-error-summary"' in page.text
        assert "cme_session" not in page.headers.get("set-cookie", "")
    assert [(a["username"], a["account"], a["outcome"]) for a in attempts(web.app.db)] == [
        ("nobody", None, "failed"),
        ("cara", "Cara Caseworker", "failed"),
    ]


def test_a_disabled_account_cannot_sign_in(web: Web) -> None:
    from cme.services.accounts import disable_user
    from cme.services.principal import Principal

    disable_user(web.app, Principal("Ann Admin", "admin", "cli", "Ann Admin"), "Cara Caseworker")

    assert _post_sign_in(web.client(), "cara", PASSWORD).status_code == 400


def test_repeated_failures_lock_the_username_even_for_the_right_password(web: Web) -> None:
    client = web.client()
    for _ in range(3):  # signin_max_failures=3 in the fixture
        assert _post_sign_in(client, "cara", "guess").status_code == 400

    locked = _post_sign_in(client, "cara", PASSWORD)

    assert locked.status_code == 400
    assert "Too many failed attempts to sign in: try again after 09:15" in locked.text
    assert "cme_session" not in locked.headers.get("set-cookie", "")
    assert attempts(web.app.db)[0]["outcome"] == "locked"
    web.clock.advance(timedelta(minutes=16))  # signin_lockout_minutes=15 by default
    assert _post_sign_in(client, "cara", PASSWORD).status_code == 303


def test_a_success_clears_earlier_failures(web: Web) -> None:
    client = web.client()
    for _ in range(2):
        _post_sign_in(client, "cara", "guess")
    assert _post_sign_in(client, "cara", PASSWORD).status_code == 303
    for _ in range(2):
        _post_sign_in(client, "cara", "guess")

    assert _post_sign_in(client, "cara", PASSWORD).status_code == 303


def test_a_session_ends_after_30_idle_minutes_and_is_renewed_by_use(web: Web) -> None:
    client = web.client()
    sign_in(client, "cara")
    web.clock.advance(timedelta(minutes=29))
    assert client.get("/cases").status_code == 200  # renewed
    web.clock.advance(timedelta(minutes=29))
    assert client.get("/cases").status_code == 200
    web.clock.advance(timedelta(minutes=31))

    page = client.get("/cases", follow_redirects=False)

    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=/cases&expired=1"
    assert attempts(web.app.db)[0]["outcome"] == "expired"
    shown = client.get(page.headers["location"])
    assert "You were signed out because you had not used the service for a while" in shown.text


def test_the_idle_timeout_is_configurable(web: Web) -> None:
    web.app.settings.session_idle_minutes = 5
    client = web.client()
    sign_in(client, "cara")
    web.clock.advance(timedelta(minutes=6))

    assert client.get("/cases", follow_redirects=False).status_code == 303


def test_signing_out_ends_the_session_even_for_a_copied_cookie(web: Web) -> None:
    client = web.client()
    sign_in(client, "cara")
    stolen = client.cookies.get("cme_session")
    page = client.get("/cases")

    out = client.post("/sign-out", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)

    assert out.status_code == 303 and out.headers["location"].startswith("/sign-in")
    assert 'cme_session=""' in out.headers["set-cookie"]
    replay = web.client()
    replay.cookies.set("cme_session", stolen or "")
    assert replay.get("/cases", follow_redirects=False).status_code == 303
    assert attempts(web.app.db)[0]["outcome"] == "signed_out"


def test_an_account_with_several_roles_chooses_one_of_them(web: Web) -> None:
    client = web.client()
    done = _post_sign_in(client, "colin", PASSWORD)
    assert done.headers["location"] == "/sign-in/role?next=/cases"
    assert (
        client.get("/cases", follow_redirects=False)
        .headers["location"]
        .startswith("/sign-in/role")
    )
    picker = client.get("/sign-in/role")
    assert 'value="cmeo"' in picker.text and 'value="caseworker"' in picker.text
    assert 'value="admin"' not in picker.text

    refused = client.post(
        "/sign-in/role", data={"role": "admin", "csrf_token": csrf_of(picker.text)}
    )
    assert refused.status_code == 403
    assert client.get("/cases", follow_redirects=False).status_code == 303  # still no role

    client.post("/sign-in/role", data={"role": "cmeo", "csrf_token": csrf_of(picker.text)})
    assert "(cmeo)" in client.get("/cases").text


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(web: Web) -> None:
    first = web.client().get("/manager", follow_redirects=False)
    assert first.headers["location"] == "/sign-in?next=/manager"
    for target, expected in (("/manager", "/manager"), ("//evil.example/", "/cases")):
        client = web.client()
        page = client.get(first.headers["location"])
        assert f'name="next" value="{"/manager"}"' in page.text
        done = client.post(
            "/sign-in",
            data={
                "username": "cara",
                "password": PASSWORD,
                "next": target,
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
        assert done.headers["location"] == expected
