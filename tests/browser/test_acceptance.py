"""The web application's acceptance story (issue 15), in Debian's chromium driven by Playwright:
a caseworker signs in, opens a school referral from the form, records enquiries and three home
visits, sees a blocking rule explained, raises a concern; a MASH officer acknowledges it; an
auditor replays the case and cannot change it; and a person signs in through the council's
OpenID Connect provider (running on 127.0.0.1). axe-core finds no WCAG 2.2 A/AA violation on
any page reached (tests/browser/conftest.py), and no page breaks its Content-Security-Policy.

With CME_SCREENSHOTS set (`make screenshots`), the work list, the case page and the MASH view
are saved there as PNGs for the README.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from engine import Actor
from storage.tables import case_table, event_table
from tests.browser.conftest import SCREENSHOTS, Site, Tab, screenshot
from tests.oidc_provider import Provider, running_provider
from tests.support import school_referral

pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")

OFFICER = "Cara Caseworker"


def step(page: Page, title: str) -> Locator:
    """The form of the step titled `title` on the case page, opened."""
    details = page.locator("details.cme-step").filter(has=page.locator("summary", has_text=title))
    if details.get_attribute("open") is None:  # a refused step comes back open, filled in
        details.locator("summary").first.click()
    return details.locator("form")


def fill_date(form: Locator, legend: str, day: int, month: int, year: int) -> Locator:
    """Fill the GOV.UK date input whose legend is `legend`; the fieldset."""
    fieldset = form.locator("fieldset").filter(has=form.page.locator("legend", has_text=legend))
    fieldset.get_by_label("Day", exact=True).fill(str(day))
    fieldset.get_by_label("Month", exact=True).fill(str(month))
    fieldset.get_by_label("Year", exact=True).fill(str(year))
    return fieldset


def record_visit(tab: Tab, title: str, day: int, time: str) -> Page:
    """Record a home visit with no contact on `day` October 2025 at `time`."""
    form = step(tab.page, title)
    fieldset = fill_date(form, "When the visit was made", day, 10, 2025)
    fieldset.get_by_label("Time of day").fill(time)
    form.get_by_label("Officer who made the visit").fill(OFFICER)
    form.get_by_label("No contact with the child or family").check()
    form.get_by_role("button", name=title).click()
    return tab.arrive()


def case_version(site: Site, case_id: int) -> tuple[str, int, int]:
    """(state, version, events) of a case, read from the database."""
    from sqlalchemy import func, select

    with site.app.db.connect() as conn:
        state, version = conn.execute(
            select(case_table.c.state, case_table.c.version).where(case_table.c.id == case_id)
        ).one()
        events = conn.execute(
            select(func.count()).where(event_table.c.case_id == case_id)
        ).scalar_one()
    return state, version, events


def other_cases(site: Site) -> None:
    """Two more open cases, so the work list shows an order (one high priority)."""
    cmeo = Actor("Colin Officer", "cmeo")
    site.app.engine.open_case(
        "school-referral",
        school_referral(
            child={"forename": "Alex", "surname": "Example", "date_of_birth": "2013-02-10"},
            school={"id": "8214002", "name": "Sample Academy"},
            risk_flags=["runaway"],
        ),
        cmeo,
    )
    site.app.engine.open_case(
        "school-referral",
        school_referral(
            child={"forename": "Pat", "surname": "Example", "date_of_birth": "2015-03-12"},
            school={"id": "8213003", "name": "Mock High"},
        ),
        cmeo,
    )


def test_a_referral_goes_from_the_form_to_mash_and_the_auditor_sees_it_all(
    make_site: Callable[..., Site],
) -> None:
    site = make_site(session_idle_minutes=8 * 60)  # the story's morning runs on a fake clock
    other_cases(site)
    cara = site.tab()

    # A caseworker signs in and opens a school referral from the form.
    cara.sign_in("cara")
    expect(cara.page.get_by_text("Signed in as")).to_contain_text(OFFICER)
    page = cara.go("/referrals/new")
    page.get_by_label("A school reports a missing pupil").check()
    page.get_by_label("First name").fill("Amira")
    page.get_by_label("Last name").fill("Haddad")
    fill_date(page.locator("form"), "Date of birth", 14, 3, 2015)
    page.get_by_label("Unique pupil number (UPN)").fill("H801200001001")
    page.get_by_label("Address line 1").fill("12 Example Road")
    page.get_by_label("Town or city").fill("Luton")
    page.get_by_label("Postcode").fill("LU1 1AA")
    page.get_by_label("School number (URN or DfE number)").fill("8212001")
    page.get_by_label("School name").fill("Example Primary")
    fill_date(page.locator("form"), "First day of absence", 6, 10, 2025)
    page.get_by_label("Reason for the referral").fill("Did not return after half term")
    page.get_by_label("Referrer's name").fill("Ms Head")
    page.get_by_label("Referrer's organisation").fill("Example Primary")
    page.get_by_label("Referrer's email address").fill("head@example.sch.uk")
    page.get_by_role("button", name="Open case").click()
    page = cara.arrive()
    expect(page.locator("h1")).to_contain_text("CME-000003")
    expect(page.locator("h1")).to_contain_text("Amira Haddad")
    ref = "CME-000003"
    assert case_version(site, 3)[0] == "received"

    # Enquiries: begun, one recorded; the first visit is blocked until then, and says why.
    step(page, "Begin reasonable enquiries").get_by_role("button").click()
    page = cara.arrive()
    blocked = page.locator("#record_first_visit")
    blocked.locator("summary").click()
    expect(blocked).to_contain_text("This cannot be done yet")
    expect(blocked).to_contain_text("record at least one reasonable enquiry")
    for day, method, summary in (
        (20, "Telephone", "Rang the parents: no answer"),
        (21, "School staff", "Class teacher: no news since 3 Oct"),
    ):
        form = step(page, "Record an enquiry")
        form.get_by_label(method, exact=True).check()
        form.get_by_label("The local authority").check()
        fill_date(form, "Date the enquiry was made", day, 10, 2025)
        form.get_by_label("What was asked and what was learned").fill(summary)
        form.get_by_role("button", name="Record an enquiry").click()
        page = cara.arrive()
    expect(page.get_by_text("Rang the parents: no answer").first).to_be_visible()

    site.clock.advance(timedelta(minutes=30))  # 09:30: the visits are written up
    # Three visits at three times of day; a second visit in the morning again is refused,
    # in words, with the form given back filled in.
    page = record_visit(cara, "Record the first home visit (no contact)", 27, "10:00")
    before = case_version(site, 3)
    page = record_visit(cara, "Record the second home visit", 28, "10:30")
    refusal = page.locator(".govuk-error-summary")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("time of day")
    assert case_version(site, 3) == before  # nothing was written
    refilled = page.locator("details[open] form").filter(has=page.get_by_label("Time of day"))
    expect(refilled.get_by_label("Time of day")).to_have_value("10:30")
    page = record_visit(cara, "Record the second home visit", 28, "16:00")
    page = record_visit(cara, "Record the third home visit", 29, "18:30")
    assert case_version(site, 3)[0] == "home_visit_3"
    if SCREENSHOTS:  # the page as opened: the child, the referral, the chart, the steps
        page = cara.go(f"/cases/{ref}")
        page.set_viewport_size({"width": 1280, "height": 1700})
        screenshot(page, "case-page", full_page=False)
        page.set_viewport_size({"width": 1280, "height": 900})

    site.clock.advance(timedelta(hours=1, minutes=30))  # 11:00: a concern
    # A concern is raised: the case goes to MASH.
    form = step(page, "Raise a child-protection concern")
    form.get_by_label("The child-protection concern").fill(
        "Neighbour reports the family left at night; younger sibling also absent"
    )
    form.get_by_label("Who raised the concern").fill(OFFICER)
    form.get_by_role("button", name="Raise a child-protection concern").click()
    page = cara.arrive()
    assert case_version(site, 3)[0] == "escalated_to_mash"
    page = cara.go("/cases")
    expect(page.get_by_role("link", name="Amira Haddad")).to_be_visible()
    screenshot(page, "work-list")
    cara.sign_out()

    site.clock.advance(timedelta(hours=3))  # 14:00: MASH
    # MASH acknowledges, as the signed-in MASH officer.
    mo = site.tab()
    mo.sign_in("mo")
    page = mo.go("/mash")
    card = page.locator(".govuk-summary-card").filter(has_text=ref)
    expect(card).to_contain_text("Neighbour reports the family left at night")
    screenshot(page, "mash-view")
    card.get_by_label("Return to CME casework", exact=False).first.check()
    card.get_by_role("button", name="Acknowledge escalation").click()
    page = mo.arrive()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(ref)
    state, version, events = case_version(site, 3)
    assert state != "escalated_to_mash"

    # The auditor replays the case as it stood before the concern, and cannot change it.
    aud = site.tab()
    aud.sign_in("aud")
    page = aud.go(f"/cases/{ref}")
    expect(page.locator("form[action*='/steps/']")).to_have_count(0)
    page = aud.go(f"/cases/{ref}/history")
    expect(page.locator("main")).to_contain_text("Mo Mash")
    page = aud.go(f"/cases/{ref}/replay")
    page.get_by_label("Day", exact=True).fill("3")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("2025")
    page.get_by_label("Time of day").fill("10:45")
    page.get_by_role("button", name="Replay").click()
    page = aud.arrive()
    expect(page.locator("main")).to_contain_text("As at Mon 3 Nov 2025 at 10:45")
    expect(page.locator("main")).to_contain_text("Third home visit made")
    expect(page.locator("main")).not_to_contain_text("raise concern by")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(
        f"{site.url}/cases/{ref}/steps/record_enquiry",
        form={
            "csrf_token": token or "",
            "version": str(version),
            "enquiry_method": "telephone",
            "made_by": "la",
            "made_on-day": "22",
            "made_on-month": "10",
            "made_on-year": "2025",
            "summary": "an auditor trying to write",
        },
        max_redirects=0,
    )
    assert refused.status == 403
    assert case_version(site, 3) == (state, version, events)


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


def test_a_person_signs_in_with_the_councils_account(
    make_site: Callable[..., Site], provider: Provider
) -> None:
    from cme.services.oidc_signin import bind_subject
    from cme.services.principal import Principal

    site = make_site(**provider.settings(oidc_roles={"cme-caseworkers": "caseworker"}))
    admin = Principal("Ada Admin", "admin", "cli", account="Ada Admin")
    bind_subject(site.app, admin, "Cara Caseworker", "cara@council.example")
    provider.person("cara@council.example", groups=["cme-caseworkers"], name="Cara")
    tab = site.tab()

    page = tab.go("/sign-in")
    page.get_by_role("button", name="Sign in with your council account").click()
    page.wait_for_url(f"{provider.issuer}/**")  # the provider's own page (not cme's to check)
    page.get_by_placeholder("sub").fill("cara@council.example")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{site.url}/cases")
    page = tab.arrive()

    expect(page.get_by_text("Signed in as")).to_contain_text("Cara Caseworker")
    expect(page.locator("h1")).to_have_text("My work")
