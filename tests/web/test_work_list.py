"""My work: high priority first then nearest deadline, tabs with counts, filters, deadlines in
words, and a search sent by POST whose words reach no URL and no log."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest

from cme.services.wording import deadline_words, working_days_after
from engine.ports import TimerRecord
from storage.audit import access_log
from tests.web.conftest import Web, csrf_of, escalate, open_case, sign_in

ALEX = {"forename": "Alex", "surname": "Example", "date_of_birth": "2013-02-10"}
PAT = {"forename": "Pat", "surname": "Example", "date_of_birth": "2015-03-12"}
OTHER_SCHOOL = {"id": "8212002", "name": "Other Academy"}


def _rows(html: str) -> list[str]:
    body = re.search(r'<tbody class="govuk-table__body">(.*?)</tbody>', html, re.S)
    assert body
    return re.findall(r'<a class="govuk-link" href="/cases/(CME-\d+)">', body.group(1))


@pytest.fixture
def three(web: Web) -> tuple[int, int, int]:
    sam = open_case(web.app)  # normal priority: its four-week deadline has passed
    alex = open_case(web.app, child=ALEX, risk_flags=["looked_after"])  # high: to MASH at once
    pat = open_case(web.app, child=PAT, school=OTHER_SCHOOL, first_absence_date="2025-10-27")
    escalate(web.app, pat)  # high priority too? no: a concern leaves priority as it was
    return sam, alex, pat


def test_high_priority_first_then_the_nearest_deadline(web: Web, three: tuple[int, ...]) -> None:
    sam, alex, pat = three
    client = web.client()
    sign_in(client, "cara")

    page = client.get("/cases")

    assert page.status_code == 200
    order = _rows(page.text)
    assert order[0] == f"CME-{alex:06d}"  # the only high-priority case
    assert order[1:] == [f"CME-{sam:06d}", f"CME-{pat:06d}"]  # sam's deadline has passed
    assert "Alex Example" in page.text and ">12<" in page.text  # name and age
    assert "Example Primary" in page.text and "Other Academy" in page.text
    assert "MASH acknowledgement due Tue 4 Nov" in page.text
    assert "Not assigned" in page.text


def test_tabs_show_their_counts_and_filters_narrow_the_list(
    web: Web, three: tuple[int, ...]
) -> None:
    sam, alex, pat = three
    client = web.client()
    sign_in(client, "cara")

    page = client.get("/cases")
    assert "All open cases (3)" in page.text
    assert "High priority (1)" in page.text
    assert "Overdue (1)" in page.text
    assert "MASH not told or not answering (0)" in page.text

    assert _rows(client.get("/cases?tab=high").text) == [f"CME-{alex:06d}"]
    assert _rows(client.get("/cases?tab=overdue").text) == [f"CME-{sam:06d}"]
    assert _rows(client.get("/cases?school=8212002").text) == [f"CME-{pat:06d}"]
    by_state = client.get("/cases?state=escalated_to_mash")
    assert _rows(by_state.text) == [f"CME-{alex:06d}", f"CME-{pat:06d}"]
    assert "All open cases (2)" in by_state.text  # counts follow the filters
    assert client.get("/cases?state=nonsense").status_code == 400


def test_an_unacknowledged_escalation_shows_on_its_tab(web: Web, three: tuple[int, ...]) -> None:
    _, alex, pat = three
    web.clock.advance(timedelta(days=1, hours=1))  # Tue 4 Nov 10:00: acknowledgement overdue
    client = web.client()
    sign_in(client, "cara")

    page = client.get("/cases?tab=escalation")

    assert set(_rows(page.text)) == {f"CME-{alex:06d}", f"CME-{pat:06d}"}
    assert "MASH not told" in page.text  # no scheduler ran: the escalations were never sent
    assert "MASH acknowledgement overdue since today" in page.text


def test_search_is_posted_and_its_words_reach_no_url_and_no_log(
    web: Web, three: tuple[int, ...], caplog: pytest.LogCaptureFixture
) -> None:
    sam, alex, _ = three
    client = web.client()
    sign_in(client, "cara")
    page = client.get("/cases")
    assert 'method="post" action="/cases"' in page.text

    with caplog.at_level(logging.DEBUG):
        found = client.post(
            "/cases", data={"search": "Haddad-Alex Example", "csrf_token": csrf_of(page.text)}
        )
        by_name = client.post("/cases", data={"search": "alex", "csrf_token": csrf_of(page.text)})
        by_upn = client.post(
            "/cases", data={"search": "H801200001001", "csrf_token": csrf_of(page.text)}
        )

    assert found.status_code == 200 and _rows(found.text) == []
    assert _rows(by_name.text) == [f"CME-{alex:06d}"]
    assert _rows(by_upn.text) == [f"CME-{sam:06d}"]
    for response in (found, by_name, by_upn):
        assert "alex" not in str(response.url).lower()
        assert "H801200001001" not in str(response.url)
        for link in re.findall(r'href="([^"]+)"', response.text):
            assert "alex" not in link.lower() and "H8012" not in link
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "Haddad" not in logged and "H801200001001" not in logged
    for case_id in three:
        for row in access_log(web.app.db, case_id):
            assert "alex" not in str(row).lower() and "H801200001001" not in str(row)


def test_an_over_long_search_is_refused_naming_the_field(web: Web) -> None:
    client = web.client()
    sign_in(client, "cara")
    page = client.get("/cases")

    refused = client.post("/cases", data={"search": "x" * 201, "csrf_token": csrf_of(page.text)})

    assert refused.status_code == 400
    assert "search: must be at most 200 characters" in refused.text
    assert 'href="#search"' in refused.text


def test_every_case_listed_is_a_logged_read(web: Web, three: tuple[int, ...]) -> None:
    client = web.client()
    sign_in(client, "cara")
    client.get("/cases?tab=high")

    alex = three[1]
    assert [(r["actor"], r["action"]) for r in access_log(web.app.db, alex)][-1] == (
        "Cara Caseworker",
        "cases",
    )


def _timer(name: str, due_at: datetime, **provenance: object) -> TimerRecord:
    return TimerRecord(
        case_id=1,
        name=name,
        scope="state:x",
        due_at=due_at,
        trigger=None,
        notify=(),
        provenance={"title": "Something happens", **provenance},
        created_at=due_at - timedelta(days=5),
    )


def test_deadlines_in_words() -> None:
    due = datetime(2025, 11, 17, 9, 0, tzinfo=UTC)  # Mon 17 Nov
    before = datetime(2025, 11, 14, 12, 0, tzinfo=UTC)

    assert (
        deadline_words(_timer("ctf_upload_due", due), before).text == "CTF upload due Mon 17 Nov"
    )
    assert deadline_words(_timer("other", due), before).text == "Something happens due Mon 17 Nov"
    late = deadline_words(_timer("mash_acknowledgement", due), due + timedelta(days=1))
    assert (late.text, late.overdue) == ("MASH acknowledgement overdue by 1 working day", True)
    weekend = deadline_words(_timer("mash_acknowledgement", due), due + timedelta(days=8))
    assert weekend.text == "MASH acknowledgement overdue by 6 working days"
    assert working_days_after(datetime(2025, 12, 24).date(), datetime(2025, 12, 29).date()) == 1


def test_the_list_filters_by_who_a_case_is_assigned_to(web: Web, three: tuple[int, ...]) -> None:
    from cme.services import casework
    from cme.services.principal import Principal

    sam, alex, pat = three
    cmeo = Principal("Colin Officer", "cmeo", "web", account="Colin Officer")
    casework.assign(web.app, cmeo, alex, "Cara Caseworker")
    client = web.client()
    sign_in(client, "cara")

    page = client.get("/cases?assignee=Cara+Caseworker")
    nobody = client.get("/cases?assignee=-")

    assert _rows(page.text) == [f"CME-{alex:06d}"]
    assert "All open cases (1)" in page.text and "High priority (1)" in page.text
    assert '<option value="Cara Caseworker" selected>Cara Caseworker</option>' in page.text
    assert 'href="/cases?tab=high&amp;assignee=Cara%20Caseworker"' in page.text  # tabs keep it
    assert _rows(nobody.text) == [f"CME-{sam:06d}", f"CME-{pat:06d}"]
    assert '<option value="-" selected>Not assigned</option>' in nobody.text
    assert _rows(client.get("/cases?assignee=Nobody+Known").text) == []
    refused = client.get("/cases?assignee=" + "x" * 201)
    assert refused.status_code == 400 and "assignee: an account&#39;s name" in refused.text


def test_a_refused_filter_shows_the_form_as_the_list_below_it_is(
    web: Web, three: tuple[int, ...]
) -> None:
    client = web.client()
    sign_in(client, "cara")

    page = client.get("/cases?school=8212002&tab=overdue&assignee=" + "x" * 201)

    assert page.status_code == 400
    assert "All open cases: 3 cases" in page.text  # the list shown is unfiltered...
    assert '<option value="8212002" selected>' not in page.text  # ...and so is the form
    assert client.get("/cases?school=82%0012002").status_code == 400  # a NUL reaches no SQL


def test_nobody_is_assigned_the_not_assigned_marker(web: Web, three: tuple[int, ...]) -> None:
    from cme.services import casework
    from cme.services.errors import Refused
    from cme.services.principal import Principal

    cmeo = Principal("Colin Officer", "cmeo", "web", account="Colin Officer")
    with pytest.raises(Refused, match="a letter or a digit"):
        casework.assign(web.app, cmeo, three[0], "-")


def test_a_search_with_a_control_character_is_refused_before_any_sql() -> None:
    from cme.services.queue import SearchRefused, parse_search

    with pytest.raises(SearchRefused, match="control or invisible"):
        parse_search("Sam\x00Example")
    assert parse_search("Sam\tExample").words == ("sam", "example")  # white space splits
