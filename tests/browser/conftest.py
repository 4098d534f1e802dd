"""Real-browser fixtures (docs/browser-tests.md): Debian's chromium driven headless by
Playwright, the web application served by uvicorn on 127.0.0.1 (tests/live_server.py) on a
fresh SQLite file with a fake clock and one account per role, and axe-core (npm, installed by
`make assets`) run on every page a test arrives at.

A `Tab` records every page the browser arrives at (main-frame navigations), every console
error (a Content-Security-Policy violation shows there) and every asset of a cme page that did
not load. `Tab.arrive()` waits for the page and
runs axe-core on it: zero WCAG 2.2 A/AA violations, or the test fails listing them. When a test
ends, every page it arrived at must have been checked, and the console must have stayed clean.

Without chromium (or without node_modules/axe-core) the tests skip and say why.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cme.bootstrap import App
from cme.services.accounts import add_user
from cme.services.principal import Principal
from engine.testing import FakeClock
from tests.live_server import serving
from tests.support import START, make_app

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Frame,
        Page,
        Request,
        Response,
    )

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CME_CHROMIUM", "/usr/bin/chromium"))
"""Debian's chromium (`apt-get install chromium`; `make browser` does it as root)."""
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
"""The axe-core tags of WCAG 2.2 levels A and AA (2.0, 2.1 and 2.2 success criteria)."""
PASSWORD = "correct horse battery staple"
ACCOUNTS = {
    # login: (name, roles)
    "ada": ("Ada Admin", ["admin"]),
    "cara": ("Cara Caseworker", ["caseworker"]),
    "mo": ("Mo Mash", ["mash"]),
    "aud": ("Audrey Auditor", ["auditor"]),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless chromium for the session (skipped, saying why, when there is none)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM}: `apt-get install chromium` "
            "(`make browser` does it as root), or set CME_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's script (npm `axe-core`, installed by `npm ci` in `make assets`)."""
    if not AXE.is_file():
        pytest.skip(f"browser tests need axe-core at {AXE}: run `make assets` (npm ci)")
    return AXE.read_text(encoding="utf-8")


class AccessibilityFailure(AssertionError):
    """axe-core found WCAG 2.2 A/AA violations on a page."""


@dataclass
class Tab:
    """One browser tab (its own context: cookies, storage) that checks every page it reaches."""

    page: Page
    base: str
    axe: str
    arrived: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    console_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("framenavigated", self._navigated)
        self.page.on("console", self._console)
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._failed)
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def _navigated(self, frame: Frame) -> None:
        if frame.parent_frame is None:
            self.arrived.append(frame.url)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error" or message.text.startswith("Failed to load resource"):
            return  # a page answering 400/403/404/409 is a page; assets: `_response`
        if self.page.url.startswith(self.base + "/"):  # a provider's page is not ours
            self.console_errors.append(f"{self.page.url}: {message.text}")

    def _response(self, response: Response) -> None:
        """An asset of a cme page (style, script, image, font) that did not load."""
        ours = response.url.startswith(self.base + "/")
        if ours and response.status >= 400 and response.request.resource_type != "document":
            self.console_errors.append(f"{response.url}: {response.status}")

    def _failed(self, request: Request) -> None:
        if request.url.startswith(self.base + "/") and request.resource_type != "document":
            self.console_errors.append(f"{request.url}: {request.failure}")

    def go(self, path: str) -> Page:
        """Open `path` (on cme, or a full URL) and check the page."""
        self.page.goto(path if "://" in path else self.base + path)
        return self.arrive()

    def arrive(self) -> Page:
        """Wait for the page the last action led to, then run axe-core on it."""
        self.page.wait_for_load_state("load")
        url = self.page.url
        found = self.violations()
        if found:
            raise AccessibilityFailure(f"{url}: WCAG 2.2 A/AA violations:\n" + "\n".join(found))
        self.checked.add(url)
        return self.page

    def violations(self) -> list[str]:
        """axe-core's WCAG 2.2 A/AA violations on the current page, one line each."""
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated by the DevTools protocol, not as an inline script: the page's CSP
            # (no 'unsafe-inline') stays in force for everything else.
            self.page.evaluate(self.axe)
        results: dict[str, Any] = self.page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
        )
        return [
            f"  {v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(", ".join(n["target"]) for n in v["nodes"][:5])
            for v in results["violations"]
        ]

    def sign_in(self, login: str, password: str = PASSWORD) -> Page:
        """Sign in through the form, as a person would."""
        self.go("/sign-in")
        self.page.get_by_label("Username").fill(login)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        return self.arrive()

    def sign_out(self) -> Page:
        """Sign out with the header's button."""
        self.page.get_by_role("button", name="Sign out").click()
        return self.arrive()

    def finish(self) -> None:
        """Every page arrived at was checked; nothing was refused by the CSP or failed."""
        ours = [u for u in dict.fromkeys(self.arrived) if u.startswith(self.base + "/")]
        unchecked = [u for u in ours if u not in self.checked]  # a provider's page is not ours
        assert unchecked == [], f"pages not checked with axe-core: {unchecked}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@dataclass
class Site:
    """The served application: its base URL, the App behind it and its fake clock."""

    app: App
    clock: FakeClock
    url: str
    tab: Callable[[], Tab]


def add_accounts(app: App) -> None:
    """One account per role (`ACCOUNTS`), each with `PASSWORD`."""
    installer = Principal("installer", "admin", "cli")
    for login, (name, roles) in ACCOUNTS.items():
        add_user(app, installer, name, roles, login, PASSWORD)


@pytest.fixture
def make_site(browser: Browser, axe_source: str, tmp_path: Path) -> Iterator[Callable[..., Site]]:
    """Sites on fresh SQLite files (settings given as keyword arguments), and their tabs."""
    from contextlib import ExitStack

    contexts: list[BrowserContext] = []
    tabs: list[Tab] = []
    apps: list[App] = []
    with ExitStack() as stack:

        def make(**settings: Any) -> Site:
            clock = FakeClock(START)
            app = make_app(f"sqlite:///{tmp_path}/site-{len(apps)}.db", clock, **settings)
            apps.append(app)
            add_accounts(app)
            url = stack.enter_context(serving(app))

            def tab() -> Tab:
                context = browser.new_context(
                    base_url=url, viewport={"width": 1280, "height": 900}, locale="en-GB"
                )
                context.set_default_timeout(15_000)
                contexts.append(context)
                tabs.append(Tab(context.new_page(), url, axe_source))
                return tabs[-1]

            return Site(app, clock, url, tab)

        try:
            yield make
            for opened in tabs:
                opened.finish()
        finally:
            for context in contexts:
                context.close()
    for app in apps:
        app.db.dispose()


@pytest.fixture
def site(make_site: Callable[..., Site]) -> Site:
    """A site with the default settings."""
    return make_site()


SCREENSHOTS = os.environ.get("CME_SCREENSHOTS")
"""A folder to write the README's screenshots to (`make screenshots`); unset: none written."""


def screenshot(page: Page, name: str, full_page: bool = True) -> None:
    """Save the page (or the window's first screen) as `<CME_SCREENSHOTS>/<name>.png` when
    screenshots are wanted."""
    if not SCREENSHOTS:
        return
    if not re.fullmatch(r"[a-z0-9-]+", name):
        raise ValueError(f"screenshot name {name!r}: lower-case letters, digits and dashes")
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def dump_json(value: object) -> str:
    """Pretty JSON for a failure message."""
    return json.dumps(value, indent=2, default=str)
