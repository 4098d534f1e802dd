"""The case page over HTTP on a real SQLite database: the case shown with its chart, deadlines,
evidence and messages; each step a form; a refused form back filled with an error summary; a
stale version refused with nothing changed; an auditor's POST refused."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pytest
from lxml import html as lxml_html

from cme.services.cases import read
from storage import queries
from storage.history import access_log
from tests.webcase.conftest import Site, csrf_of, nodes, texts


def doc(text: str) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(text)


def test_the_case_page_shows_the_child_the_chart_deadlines_and_the_steps(site: Site) -> None:
    case_id = site.open_case()
    browser = site.browser("caseworker")

    for ref in (f"CME-{case_id:06d}", str(case_id), f"cme-{case_id}"):
        page = browser.get(f"/cases/{ref}")
        assert page.status_code == 200, ref
    page = doc(page.text)
    assert "Sam Testchild" in page.findtext(".//h1")
    current = page.xpath("//*[local-name()='g'][contains(@class, 'current')]/@data-state")
    assert current == ["received"]
    assert page.xpath("//*[local-name()='svg']/*[local-name()='title']")
    assert page.xpath("//li/strong[contains(., '(the case is here)')]")
    assert page.xpath("//div[contains(@class, 'moj-timeline__item')]//h3")  # deadlines
    steps = page.xpath("//details[contains(@class, 'cme-step')]/@id")
    assert "begin_enquiries" in steps and "raise_concern" in steps
    assert page.xpath(f"//form[@action='/cases/CME-{case_id:06d}/steps/raise_concern']")
    # the referral notification is listed with its delivery state
    assert page.xpath("//table//strong[contains(@class, 'govuk-tag')]")
    rows = [r["action"] for r in access_log(site.app.db, case_id)]
    assert rows == ["case show"] * 3  # one row per page read, whatever it showed


def test_no_such_case_is_404(site: Site) -> None:
    browser = site.browser("caseworker")
    assert browser.get("/cases/CME-999999").status_code == 404
    assert browser.get("/cases/not-a-ref").status_code == 404


def _post(browser, case_id: int, trigger: str, data: Mapping[str, object]):
    page = browser.get(f"/cases/{case_id}")
    version = read_version(page.text)
    body = {"csrf_token": csrf_of(page.text), "version": version, **data}
    return browser.post(f"/cases/CME-{case_id:06d}/steps/{trigger}", data=body)


def read_version(text: str) -> str:
    versions = doc(text).xpath("//input[@name='version']/@value")
    assert versions
    return str(versions[0])


def test_a_step_is_taken_from_its_form(site: Site) -> None:
    case_id = site.open_case()
    browser = site.browser("caseworker")
    done = _post(browser, case_id, "begin_enquiries", {})
    assert done.status_code == 303
    assert done.headers["location"] == f"/cases/CME-{case_id:06d}?done=begin_enquiries"
    assert read(site.app, case_id).case.state == "enquiries"
    page = browser.get(done.headers["location"])
    assert "Recorded: Begin reasonable enquiries" in page.text

    enquiry = {
        "enquiry_method": "telephone",
        "made_by": "la",
        "made_on-day": "7",
        "made_on-month": "10",
        "made_on-year": "2025",
        "summary": "Rang the family: no answer",
    }
    assert _post(browser, case_id, "record_enquiry", enquiry).status_code == 303
    events = queries.events(site.app.db, case_id)
    assert events[-1].trigger == "record_enquiry"
    assert events[-1].evidence["made_on"] == "2025-10-07"
    assert events[-1].actor == "caseworker"


def test_a_refused_form_comes_back_filled_with_an_error_summary(site: Site) -> None:
    case_id = site.open_case()
    browser = site.browser("caseworker")
    _post(browser, case_id, "begin_enquiries", {})
    before = read(site.app, case_id).case

    refused = _post(
        browser,
        case_id,
        "record_enquiry",
        {
            "enquiry_method": "letter",
            "made_on-day": "7",
            "made_on-month": "10",
            "made_on-year": "2099",  # in the future: the engine refuses it
            "summary": "Wrote to the family",
        },
    )
    assert refused.status_code == 400
    page = doc(refused.text)
    assert page.findtext(".//title").startswith("Error:")
    links = page.xpath("//div[contains(@class,'govuk-error-summary')]//a")
    hrefs = {a.get("href") for a in links}
    assert "#record_enquiry--made_on-day" in hrefs  # the date: future
    assert "#record_enquiry--made_by-0" in hrefs  # missing: required
    assert any("cannot be" in (a.text_content()) for a in links)
    # the form came back open and filled
    form = page.xpath("//details[@id='record_enquiry']")[0]
    assert form.get("open") is not None
    assert form.xpath(".//input[@name='made_on-year']/@value") == ["2099"]
    assert form.xpath(".//textarea[@name='summary']")[0].text == "Wrote to the family"
    assert form.xpath(".//input[@name='enquiry_method'][@checked]/@value") == ["letter"]
    # and nothing was written
    assert read(site.app, case_id).case == before


def test_a_date_missing_its_month_is_refused_with_every_other_problem(site: Site) -> None:
    case_id = site.open_case()
    browser = site.browser("caseworker")
    _post(browser, case_id, "begin_enquiries", {})
    before = read(site.app, case_id).case
    refused = _post(
        browser,
        case_id,
        "record_enquiry",
        {"enquiry_method": "letter", "made_on-day": "7", "made_on-year": "2025", "summary": "x"},
    )
    assert refused.status_code == 400
    summary = texts(refused.text, "//div[contains(@class,'govuk-error-summary')]//li")
    assert summary == [
        "Who made the enquiry: the school or the LA, who enquire jointly: this is required",
        "Date the enquiry was made must include a month",
    ]
    assert read(site.app, case_id).case == before


def test_a_blocking_rule_is_explained_with_its_date(site: Site) -> None:
    case_id = site.open_case()
    browser = site.browser("caseworker")
    _post(browser, case_id, "begin_enquiries", {})
    page = doc(browser.get(f"/cases/{case_id}").text)
    visit = page.xpath("//details[@id='record_first_visit']")[0]
    assert not visit.xpath(".//form")
    assert "No enquiry is recorded yet" in visit.text_content()


def test_a_stale_version_is_refused_and_changes_nothing(site: Site) -> None:
    case_id = site.open_case()
    first = site.browser("caseworker")
    second = site.browser("cmeo")
    seen = first.get(f"/cases/{case_id}")
    stale = {"csrf_token": csrf_of(seen.text), "version": read_version(seen.text)}
    assert _post(second, case_id, "begin_enquiries", {}).status_code == 303
    after = read(site.app, case_id).case

    refused = first.post(
        f"/cases/{case_id}/steps/raise_concern",
        data={**stale, "concern": "Seen with an adult", "raised_by": "Ms Head"},
    )
    assert refused.status_code == 409
    assert "was changed" in refused.text and "Nothing was written" in refused.text
    form = doc(refused.text).xpath("//details[@id='raise_concern']")[0]
    assert form.xpath(".//input[@name='raised_by']/@value") == ["Ms Head"]
    assert read(site.app, case_id).case == after


@pytest.mark.parametrize("trigger", ["begin_enquiries", "raise_concern", "no_such_step"])
def test_an_auditors_post_is_refused_and_changes_nothing(site: Site, trigger: str) -> None:
    case_id = site.open_case()
    auditor = site.browser("auditor")
    page = auditor.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert not doc(page.text).xpath("//form[contains(@action, '/steps/')]")
    assert "can read this case but not change it" in page.text
    before = read(site.app, case_id).case
    refused = auditor.post(
        f"/cases/{case_id}/steps/{trigger}",
        data={"csrf_token": csrf_of(page.text), "version": str(before.version), "concern": "x"},
    )
    assert refused.status_code == 403
    assert read(site.app, case_id).case == before
    refusals = [r for r in access_log(site.app.db, case_id) if r["action"] == "refused"]
    assert refusals and refusals[-1]["actor"] == "auditor"


def test_a_post_without_its_csrf_token_changes_nothing(site: Site) -> None:
    case_id = site.open_case()
    browser = site.browser("caseworker")
    before = read(site.app, case_id).case
    refused = browser.post(f"/cases/{case_id}/steps/begin_enquiries", data={"version": "1"})
    assert refused.status_code == 403
    assert read(site.app, case_id).case == before


def test_overdue_deadlines_are_marked(site: Site) -> None:
    case_id = site.open_case()
    site.clock.advance(timedelta(days=30))
    page = doc(site.browser("caseworker").get(f"/cases/{case_id}").text)
    assert page.xpath("//div[contains(@class,'cme-deadline--overdue')]//strong[.='Overdue']")


def _visit(browser, case_id: int, trigger: str, day: str, time: str):
    return _post(
        browser,
        case_id,
        trigger,
        {
            "visited_at-day": day,
            "visited_at-month": "11",
            "visited_at-year": "2025",
            "visited_at-time": time,
            "officer": "J Officer",
            "outcome": "no_contact",
        },
    )


def test_visits_at_the_same_time_of_day_are_refused_on_the_visit_field(site: Site) -> None:
    case_id = site.open_case()
    site.clock.advance(timedelta(days=3))  # Thursday 6 November 2025 (before signing in)
    browser = site.browser("caseworker")
    _post(browser, case_id, "begin_enquiries", {})
    enquiry = {
        "enquiry_method": "telephone",
        "made_by": "la",
        "made_on-day": "3",
        "made_on-month": "11",
        "made_on-year": "2025",
        "summary": "Rang",
    }
    assert _post(browser, case_id, "record_enquiry", enquiry).status_code == 303
    assert _visit(browser, case_id, "record_first_visit", "4", "9:30am").status_code == 303
    before = read(site.app, case_id).case

    refused = _visit(browser, case_id, "record_second_visit", "5", "10:15")
    assert refused.status_code == 400
    error = texts(refused.text, "//p[@id='record_second_visit--visited_at-error']")
    assert len(error) == 1 and "already made in the morning" in error[0], error
    assert "Tue 04 Nov 2025 09:30" in error[0], error
    assert read(site.app, case_id).case == before

    assert _visit(browser, case_id, "record_second_visit", "5", "6pm").status_code == 303
    events = queries.events(site.app.db, case_id)
    assert events[-1].evidence["visited_at"].startswith("2025-11-05T18:00")


def test_mash_acknowledges_an_escalation_from_the_case_page(site: Site) -> None:
    case_id = site.open_case()
    caseworker = site.browser("caseworker")
    raised = {"concern": "Seen with an unknown adult", "raised_by": "Ms Head"}
    assert _post(caseworker, case_id, "raise_concern", raised).status_code == 303
    site.clock.advance(timedelta(hours=1))
    mash = site.browser("mash")
    page = mash.get(f"/cases/{case_id}")
    assert "acknowledged_by" in " ".join(nodes(page.text, "//form//input/@name"))
    done = _post(mash, case_id, "mash_acknowledged", {"acknowledged_by": "M Officer"})
    assert done.status_code == 303
    case = read(site.app, case_id).case
    assert case.state == "with_mash"
    assert queries.events(site.app.db, case_id)[-1].actor == "mash"


def test_a_step_only_the_scheduler_takes_is_refused_and_recorded(site: Site) -> None:
    case_id = site.open_case()
    browser = site.browser("cmeo")
    before = read(site.app, case_id).case
    refused = _post(browser, case_id, "escalate_automatically", {})
    assert refused.status_code == 403
    assert read(site.app, case_id).case == before
    refusals = [r for r in access_log(site.app.db, case_id) if r["action"] == "refused"]
    assert [r["actor"] for r in refusals] == ["cmeo"]
    assert "only the scheduler" in refusals[0]["detail"]
