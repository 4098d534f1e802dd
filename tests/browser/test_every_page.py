"""Every page of the web application, as each role sees it, in chromium: axe-core finds no WCAG
2.2 A/AA violation (tests/browser/conftest.py runs it on each page reached), and no page breaks
its Content-Security-Policy. Pages with errors on them (a refused sign-in, a form sent empty, an
address that does not exist) are pages too."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cme.services.accounts import add_user
from cme.services.principal import Principal
from engine import Actor
from tests.browser.conftest import PASSWORD, Site
from tests.support import school_referral

CMEO = Actor("Colin Officer", "cmeo")

PAGES = {
    "cara": [
        "/cases",
        "/cases?tab=high",
        "/cases?tab=overdue",
        "/my-cases",
        "/referrals/new",
        "/cases/CME-000001",
        "/cases/CME-000002",
        "/cases/CME-000001/note",
        "/cases/CME-000001/assign",
        "/cases/CME-000001/correct",
        "/cases/CME-000001/letter",
        "/cases/CME-000001/history",
        "/mash",
        "/no-such-page",
    ],
    "mo": ["/mash", "/cases", "/cases/CME-000002"],
    "aud": [
        "/cases/CME-000002/history",
        "/cases/CME-000002/replay",
        "/cases/CME-000002/replay?day=3&month=11&year=2025&time=09:00",
        "/cases/CME-000002/replay?day=31&month=2&year=2025",
        "/cases/CME-000002/verify",
        "/cases/CME-000002/access",
        "/manager",
    ],
    "ada": ["/manager", "/cases"],
}


@pytest.fixture
def full_site(site: Site) -> Site:
    """Two cases: one with enquiries begun, one escalated to MASH."""
    engine = site.app.engine
    engine.open_case("school-referral", school_referral(), CMEO)
    engine.apply(1, "begin_enquiries", {}, CMEO)
    engine.open_case(
        "school-referral",
        school_referral(
            child={"forename": "Alex", "surname": "Example", "date_of_birth": "2013-02-10"}
        ),
        CMEO,
    )
    engine.apply(2, "raise_concern", {"concern": "seen with an adult", "raised_by": "Colin"}, CMEO)
    return site


@pytest.mark.parametrize("login", list(PAGES))
def test_every_page_a_role_reaches_passes_axe(full_site: Site, login: str) -> None:
    tab = full_site.tab()
    tab.sign_in(login)

    for path in PAGES[login]:
        tab.go(path)

    assert {u.removeprefix(full_site.url) for u in tab.checked} >= set(PAGES[login])


def test_pages_with_errors_pass_axe(full_site: Site, make_site: Callable[..., Site]) -> None:
    tab = full_site.tab()
    page = tab.go("/sign-in")
    page.get_by_role("button", name="Sign in").click()  # empty: both fields in error
    tab.arrive()
    page.get_by_label("Username").fill("cara")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    tab.arrive()
    tab.sign_in("cara")
    page = tab.go("/referrals/new")
    page.get_by_role("button", name="Open case").click()  # nothing filled in
    page = tab.arrive()
    assert page.locator(".govuk-error-summary").is_visible()
    page = tab.go("/cases/CME-000001")
    page.locator("#record_enquiry summary").click()
    page.get_by_role("button", name="Record an enquiry").click()  # empty step form
    page = tab.arrive()
    assert page.locator(".govuk-error-summary").is_visible()


def test_the_role_picker_passes_axe(full_site: Site) -> None:
    admin = Principal("Ada Admin", "admin", "cli", account="Ada Admin")
    add_user(full_site.app, admin, "Colin Officer", ["cmeo", "caseworker"], "colin", PASSWORD)
    tab = full_site.tab()

    page = tab.sign_in("colin")

    assert "/sign-in/role" in page.url
    page.get_by_label("cmeo", exact=False).first.check()
    page.get_by_role("button").filter(has_text="Continue").first.click()
    tab.arrive()
