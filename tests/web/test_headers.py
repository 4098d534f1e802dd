"""Security headers on every page, HSTS only over HTTPS (directly or from a trusted proxy),
no caching of pages, and error pages in GOV.UK style that leak nothing."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter

from tests.web.conftest import Web, sign_in


def test_every_page_has_the_security_headers_and_no_store(web: Web) -> None:
    client = web.client()
    sign_in(client, "cara")

    for path in ("/sign-in", "/cases", "/mash", "/manager", "/no-such-page"):
        page = client.get(path)
        csp = page.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, path
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in page.headers  # plain HTTP


def test_the_one_inline_script_carries_the_nonce_of_its_response(web: Web) -> None:
    client = web.client()
    first, second = client.get("/sign-in"), client.get("/sign-in")

    nonces = []
    for page in (first, second):
        nonce = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"])
        assert nonce
        scripts = re.findall(r"<script([^>]*)>", page.text)
        inline = [s for s in scripts if "src=" not in s]
        assert inline == [f' nonce="{nonce.group(1)}"']
        nonces.append(nonce.group(1))
    assert nonces[0] != nonces[1]
    assert ' style="' not in first.text


def test_hsts_over_https(web: Web) -> None:
    page = web.client("https://testserver").get("/sign-in")

    assert page.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize(("trusted", "hsts"), [("127.0.0.1,testclient", True), ("", False)])
def test_x_forwarded_proto_is_believed_from_a_trusted_proxy_only(
    web: Web, trusted: str, hsts: bool
) -> None:
    web.app.settings.web_trusted_proxies = trusted
    page = web.client().get("/sign-in", headers={"x-forwarded-proto": "https"})

    assert ("strict-transport-security" in page.headers) is hsts


def test_assets_are_served_and_may_be_cached(web: Web) -> None:
    from cme.web.app import STATIC_DIR

    if not (STATIC_DIR / "govuk").is_dir():
        pytest.fail("web assets not built: run `make assets`")
    css = web.client().get("/assets/govuk/govuk-frontend.min.css")

    assert css.status_code == 200
    assert "no-store" not in css.headers.get("cache-control", "")


def test_a_missing_page_is_a_govuk_404(web: Web) -> None:
    page = web.client().get("/no-such-page")

    assert page.status_code == 404
    assert "Page not found" in page.text and "govuk-heading-l" in page.text


def test_a_failure_is_a_500_page_without_internals(web: Web) -> None:
    from cme.web.app import create_app

    app = create_app(web.app)
    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail /srv/cme/db password=hunter2")

    app.include_router(router)
    from fastapi.testclient import TestClient

    page = TestClient(app, raise_server_exceptions=False).get("/boom")

    assert page.status_code == 500
    assert "Sorry, there is a problem with the service" in page.text
    assert "hunter2" not in page.text and "Traceback" not in page.text
    assert page.headers["cache-control"] == "no-store"
