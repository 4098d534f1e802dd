"""One real browser (Debian's chromium, headless, through Playwright): the pages load their
GOV.UK styles and scripts under the CSP (the inline `js-enabled` script runs by its nonce, the
module script initialises GOV.UK Frontend) with no console error, and a person signs in."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD, Web, open_case

CHROMIUM = Path("/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(web: Web) -> Iterator[str]:
    import uvicorn

    from cme.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(web.app), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.mark.slow
def test_a_person_signs_in_in_a_real_browser_under_the_csp(web: Web, served: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from cme.web.app import STATIC_DIR

    if not (STATIC_DIR / "govuk").is_dir():
        pytest.fail("web assets not built: run `make assets`")
    from playwright.sync_api import sync_playwright

    open_case(web.app)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM))
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(served + "/cases")
        assert page.url.endswith("/sign-in?next=/cases")
        page.get_by_label("Username").fill("cara")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(served + "/cases")
        classes = page.evaluate("document.body.className")
        font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
        rows = page.locator("tbody tr").count()
        browser.close()

    assert "js-enabled" in classes and "govuk-frontend-supported" in classes
    assert "GDS Transport" in font or "arial" in font.lower()  # the stylesheet applied
    assert rows == 1
    assert problems == []
