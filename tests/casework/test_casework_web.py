"""Issue 15, casework in the browser's pages (TestClient, a real SQLite file): a referral from
the form (errors summarised and the form back filled; the duplicate warning and "Open anyway"),
a note, an assignment and "My cases", a correction (reason required), the letter page; an
auditor's POST is refused and changes nothing."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.web.conftest import Web, csrf_of, dump, open_case, sign_in, web  # noqa: F401

FORM = {
    "workflow": "school-referral",
    "child.forename": "Sam",
    "child.surname": "Testchild",
    "child.date_of_birth-day": "1",
    "child.date_of_birth-month": "5",
    "child.date_of_birth-year": "2014",
    "child.upn": "H801200001001",
    "school.id": "8212001",
    "school.name": "Example Primary",
    "first_absence_date-day": "6",
    "first_absence_date-month": "10",
    "first_absence_date-year": "2025",
    "reason": "did not return after a weekend",
    "referrer.name": "Ms Head",
    "referrer.organisation": "Example Primary",
    "parents": "Pat Example",
}


def post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    page = client.get(path if not path.startswith("/referrals") else "/referrals/new")
    token = csrf_of(page.text) if page.status_code == 200 else csrf_of(client.get("/cases").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def test_a_referral_opens_from_the_form_and_a_duplicate_asks_first(web: Web) -> None:  # noqa: F811
    client = web.client()
    sign_in(client, "cara")

    form = client.get("/referrals/new")
    opened = post(client, "/referrals/new", FORM)
    warned = post(client, "/referrals/new", FORM)
    anyway = post(client, "/referrals/new", {**FORM, "open_anyway": "1"})

    assert form.status_code == 200 and 'class="govuk-date-input"' in form.text
    assert opened.status_code == 303 and opened.headers["location"] == "/cases/CME-000001"
    assert warned.status_code == 409
    assert "may be about a child who already has an open case" in warned.text
    assert "CME-000001" in warned.text and "Open anyway" in warned.text
    assert 'value="Testchild"' in warned.text  # the form comes back filled
    assert anyway.headers["location"] == "/cases/CME-000002"
    from cme.services.principal import Principal
    from cme.services.queue import QueueFilter, queue

    listed = queue(web.app, Principal("x", "cmeo", "cli"), QueueFilter())
    assert len(listed) == 2


def test_a_bad_referral_comes_back_filled_with_an_error_summary(web: Web) -> None:  # noqa: F811
    client = web.client()
    sign_in(client, "cara")
    before = dump(web.app)

    refused = post(client, "/referrals/new", {**FORM, "child.surname": "",
                                               "child.date_of_birth-month": "13"})  # fmt: skip

    assert refused.status_code == 400
    assert "There is a problem" in refused.text
    assert (
        'href="#child-surname"' in refused.text and 'href="#child-date-of-birth"' in refused.text
    )
    assert 'value="Sam"' in refused.text and 'value="13"' in refused.text
    assert dump(web.app) == before


def test_notes_assignment_my_cases_and_corrections(web: Web) -> None:  # noqa: F811
    case_id = open_case(web.app)
    client = web.client()
    sign_in(client, "cara")
    ref = f"CME-{case_id:06d}"

    empty = post(client, f"/cases/{ref}/note", {"text": " "})
    noted = post(client, f"/cases/{ref}/note", {"text": "Phoned the school"})
    assigned = post(client, f"/cases/{ref}/assign", {"to": "Cara Caseworker"})
    nobody = post(client, f"/cases/{ref}/assign", {"to": "Nobody Here"})
    mine = client.get("/my-cases")
    no_reason = post(client, f"/cases/{ref}/correct", {"child.forename": "Samuel"})
    corrected = post(
        client, f"/cases/{ref}/correct",
        {"child.forename": "Samuel", "correction_reason": "spelt wrongly"},
    )  # fmt: skip

    assert empty.status_code == 400 and "There is a problem" in empty.text
    assert noted.status_code == 303 and noted.headers["location"].endswith("#notes")
    assert assigned.status_code == 303
    assert nobody.status_code == 400 and "is not an account" in nobody.text
    assert mine.status_code == 200 and ref in mine.text
    assert no_reason.status_code == 400 and 'href="#correction-reason"' in no_reason.text
    assert 'value="Samuel"' in no_reason.text
    assert corrected.status_code == 303, re.findall(
        r"govuk-error-summary__list.*?</ul>", corrected.text, re.S
    )
    from cme.services.cases import show
    from cme.services.principal import Principal

    shown = show(web.app, Principal("x", "cmeo", "cli"), case_id).detail_json()
    assert shown["child"]["forename"] == "Samuel"
    assert shown["assignee"] == "Cara Caseworker"
    assert [n["text"] for n in shown["notes"]] == ["Phoned the school"]
    assert shown["corrections"][0]["actor"] == "Cara Caseworker"


def test_the_letter_page_prints_with_its_stylesheet(web: Web) -> None:  # noqa: F811
    case_id = open_case(web.app, parents=["Pat Example"])
    client = web.client()
    sign_in(client, "cara")

    page = client.get(f"/cases/CME-{case_id:06d}/letter")
    css = client.get("/letters/letter.css")

    assert page.status_code == 200 and "Dear Pat Example" in page.text
    assert '<link rel="stylesheet" href="/letters/letter.css">' in page.text
    assert css.headers["content-type"].startswith("text/css") and "@media print" in css.text


def test_an_auditor_may_not_note_assign_or_correct_and_nothing_changes(web: Web) -> None:  # noqa: F811
    case_id = open_case(web.app)
    client = web.client()
    sign_in(client, "aud")
    ref = f"CME-{case_id:06d}"
    before = dump(web.app)

    for path, data in (
        (f"/cases/{ref}/note", {"text": "hello"}),
        (f"/cases/{ref}/assign", {"to": "Cara Caseworker"}),
        (f"/cases/{ref}/correct", {"child.forename": "X", "correction_reason": "r"}),
        ("/referrals/new", FORM),
    ):
        token = csrf_of(client.get("/cases").text)
        refused = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 403, path

    assert dump(web.app) == before


def test_a_bad_reference_is_not_found(web: Web) -> None:  # noqa: F811
    client = web.client()
    sign_in(client, "cara")
    assert client.get("/cases/CME-XYZ/note").status_code == 404


def test_the_case_page_shows_notes_assignment_and_corrections(web: Web) -> None:  # noqa: F811
    from cme.services import casework
    from cme.services.principal import Principal

    case_id = open_case(web.app)
    cmeo = Principal("Colin Officer", "cmeo", "cli", account="Colin Officer")
    casework.add_note(web.app, cmeo, case_id, "Visited: no answer\nleft a card")
    casework.assign(web.app, cmeo, case_id, "Cara Caseworker")
    casework.correct(web.app, cmeo, case_id, {"forename": "Samuel"}, {}, "spelt wrongly")
    ref = f"CME-{case_id:06d}"

    caseworker = web.client()
    sign_in(caseworker, "cara")
    page = caseworker.get(f"/cases/{ref}")
    auditor = web.client()
    sign_in(auditor, "aud")
    read_only = auditor.get(f"/cases/{ref}")

    assert page.status_code == 200
    assert 'id="notes"' in page.text and "Visited: no answer<br>left a card" in page.text
    assert "Cara Caseworker" in page.text and f'href="/cases/{ref}/assign"' in page.text
    assert "spelt wrongly" in page.text and "Sam &rarr; Samuel" in page.text.replace("→", "&rarr;")
    assert f'href="/cases/{ref}/note"' in page.text and f'href="/cases/{ref}/letter"' in page.text
    assert read_only.status_code == 200 and "Visited: no answer" in read_only.text
    assert f'href="/cases/{ref}/note"' not in read_only.text
    assert f'href="/cases/{ref}/correct"' not in read_only.text


def test_the_work_list_shows_the_assignee(web: Web) -> None:  # noqa: F811
    from cme.services import casework
    from cme.services.principal import Principal

    case_id = open_case(web.app)
    cmeo = Principal("Colin Officer", "cmeo", "cli", account="Colin Officer")
    casework.assign(web.app, cmeo, case_id, "Cara Caseworker")
    client = web.client()
    sign_in(client, "cara")

    listed = client.get("/cases")

    assert listed.status_code == 200 and "Cara Caseworker" in listed.text
