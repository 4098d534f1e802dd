"""Issue 15, casework: notes, assignment, corrections, the duplicate check, case references and
the letter, through the application layer (a `web` principal: the same rules as the CLI's)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cme.bootstrap import App
from cme.services import casework, queue
from cme.services.cases import advance, show
from cme.services.errors import NotPermitted, Refused
from cme.services.letters import parent_letter
from cme.services.principal import Principal
from cme.services.refs import BadCaseReference, parse_case_ref
from cme.services.replay import rebuild
from engine.errors import ConcurrentUpdate, OpeningRefused
from storage.access import refusals
from storage.tables import case_table, child_table
from tests.support import school_referral
from workflows.corrections import CorrectionRefused

CASEWORKER = Principal("wendy", "caseworker", "web")
CMEO = Principal("carol", "cmeo", "web")
MASH = Principal("mo", "mash", "web")
AUDITOR = Principal("aud", "auditor", "web")


@pytest.fixture
def app(app_factory: Any, db_url: str) -> App:
    return app_factory(db_url)  # type: ignore[no-any-return]


def opened(app: App, **overrides: Any) -> int:
    done = casework.open_referral(app, CMEO, "school-referral", school_referral(**overrides))
    return done.view.case.id


def access_actions(app: App) -> list[str]:
    from storage.tables import access_log_table

    with app.db.connect() as conn:
        return [r.action for r in conn.execute(select(access_log_table.c.action))]


# --- case references -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("CME-000001", 1), ("cme-42", 42), ("000042", 42), ("7", 7), (" CME-000010 ", 10)],
)
def test_a_reference_or_an_id_names_the_case(text: str, expected: int) -> None:
    assert parse_case_ref(text) == expected


@pytest.mark.parametrize("text", ["", "CME-", "CME-0", "0", "abc", "CME-12x", "-1", "9" * 20])
def test_text_that_names_no_case_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(BadCaseReference) as refused:
        parse_case_ref(text, "case")
    assert refused.value.kind == "BadCaseReference"
    assert refused.value.details() == {"field": "case"}
    assert str(refused.value).startswith("case: ")


# --- notes -----------------------------------------------------------------------------------
def test_notes_are_added_in_any_state_without_moving_the_case(app: App) -> None:
    case_id = opened(app, risk_flags=["child_protection_plan"])
    before = show(app, CASEWORKER, case_id).case
    assert before.state in ("escalated_to_mash", "with_mash")  # referred to MASH at once

    casework.add_note(app, MASH, case_id, "MASH: strategy meeting on Friday")
    casework.add_note(app, CASEWORKER, case_id, "Called the school\nno answer")
    after = show(app, CASEWORKER, case_id)

    assert after.case.state == before.state
    assert after.case.version == before.version + 2
    notes = after.detail_json()["notes"]
    assert [(n["actor"], n["role"], n["text"]) for n in notes] == [
        ("mo", "mash", "MASH: strategy meeting on Friday"),
        ("wendy", "caseworker", "Called the school\nno answer"),
    ]
    assert notes[0]["state"] == before.state


def test_an_auditor_may_not_add_a_note_and_the_refusal_is_logged(app: App) -> None:
    case_id = opened(app)
    version = show(app, CMEO, case_id).case.version

    with pytest.raises(NotPermitted):
        casework.add_note(app, AUDITOR, case_id, "I was here")

    assert show(app, CMEO, case_id).case.version == version
    logged = refusals(app.db)
    assert (logged[0]["role"], logged[0]["detail"].split(":")[0]) == ("auditor", "case.note")


@pytest.mark.parametrize("text", ["", "   ", "x" * 4001, "bell\x07"])
def test_an_empty_or_bad_note_is_refused_and_nothing_written(app: App, text: str) -> None:
    case_id = opened(app)
    version = show(app, CMEO, case_id).case.version

    with pytest.raises(Refused) as refused:
        casework.add_note(app, CASEWORKER, case_id, text)

    assert refused.value.details()["field"] == "text"
    assert show(app, CMEO, case_id).case.version == version


def test_a_note_on_a_stale_version_is_a_conflict(app: App) -> None:
    case_id = opened(app)
    seen = show(app, CMEO, case_id).case.version
    casework.add_note(app, CMEO, case_id, "first")

    with pytest.raises(ConcurrentUpdate):
        casework.add_note(app, CASEWORKER, case_id, "second", expected_version=seen)


# --- assignment ------------------------------------------------------------------------------
def test_assign_reassign_and_my_cases(app: App) -> None:
    first, second = opened(app), opened(app, child={"forename": "Alex", "surname": "Example",
                                                     "date_of_birth": "2013-02-10"})  # fmt: skip
    casework.assign(app, CMEO, first, "wendy")
    casework.assign(app, CMEO, second, "wendy")
    casework.assign(app, CMEO, second, "carol")

    mine = queue.queue(app, CASEWORKER, queue.QueueFilter(mine=True))
    carols = queue.queue(app, CASEWORKER, queue.QueueFilter(assignee="carol"))
    everyone = queue.queue(app, CASEWORKER)

    assert [e.view.case.id for e in mine] == [first]
    assert [e.view.case.id for e in carols] == [second]
    assert {e.view.case.id: e.assignee for e in everyone} == {first: "wendy", second: "carol"}
    assert list(everyone[0].as_json())[-4:] == ["assignee", "escalation", "child_name", "school"]
    shown = show(app, CMEO, second).detail_json()
    assert shown["assignee"] == "carol"
    assert [(a["assignee"], a["previous"]) for a in shown["assignments"]] == [
        ("wendy", None),
        ("carol", "wendy"),
    ]
    casework.assign(app, CMEO, second, None)
    assert show(app, CMEO, second).detail_json()["assignee"] is None


def test_assigning_to_the_same_person_or_to_the_system_is_refused(app: App) -> None:
    case_id = opened(app)
    casework.assign(app, CMEO, case_id, "wendy")

    with pytest.raises(Refused, match="already assigned to wendy"):
        casework.assign(app, CMEO, case_id, "wendy")
    with pytest.raises(Refused, match="to:"):
        casework.assign(app, CMEO, case_id, "system:timer")
    with pytest.raises(NotPermitted):
        casework.assign(app, MASH, case_id, "mo")


def test_with_accounts_only_an_enabled_casework_account_may_hold_cases(app: App) -> None:
    from storage.accounts import add_account, disable_account

    now = app.clock.now()
    add_account(app.db, "wendy", "wendy", ["caseworker"], now)
    add_account(app.db, "aud", "aud", ["auditor"], now)
    add_account(app.db, "gone", "gone", ["caseworker"], now)
    disable_account(app.db, "gone")
    case_id = opened(app)

    for name, rule in (("nobody", "is not an account"), ("aud", "holds no casework role"),
                       ("gone", "is disabled")):  # fmt: skip
        with pytest.raises(Refused, match=rule):
            casework.assign(app, CMEO, case_id, name)
    casework.assign(app, CMEO, case_id, "wendy")
    assert show(app, CMEO, case_id).detail_json()["assignee"] == "wendy"


# --- corrections -----------------------------------------------------------------------------
def test_a_correction_records_before_after_and_reason_and_changes_the_child(app: App) -> None:
    case_id = opened(app)

    event = casework.correct(
        app,
        CASEWORKER,
        case_id,
        {
            "forename": "Samuel",
            "upn": "",
            "address": {"line1": "1 New Street", "postcode": "lu12ab"},
        },
        {"reason": "did not return after half term", "parents": ["Pat Example"]},
        "the school spelt the name wrongly",
    )

    assert event.trigger == "details_corrected"
    assert event.evidence["child"] == {
        "before": {"forename": "Sam", "upn": "H801200001001", "address": None},
        "after": {
            "forename": "Samuel",
            "upn": None,
            "address": {"line1": "1 New Street", "postcode": "LU1 2AB"},
        },
    }
    assert event.evidence["facts"]["after"]["parents"] == ["Pat Example"]
    assert event.evidence["reason"] == "the school spelt the name wrongly"
    shown = show(app, CMEO, case_id).detail_json()
    assert shown["child"]["forename"] == "Samuel" and shown["child"]["upn"] is None
    assert shown["facts"]["reason"] == "did not return after half term"
    assert shown["corrections"][0]["reason"] == "the school spelt the name wrongly"
    with app.db.connect() as conn:
        assert conn.execute(select(child_table.c.upn)).scalar_one() is None
    assert "case correct" in access_actions(app)


@pytest.mark.parametrize(
    ("child", "facts", "reason", "field"),
    [
        ({"forename": "Samuel"}, {}, "", "reason"),
        ({"forename": "Samuel"}, {}, "   ", "reason"),
        ({"upn": "NOT-A-UPN"}, {}, "typo", "child.upn"),
        ({"date_of_birth": "2031-01-01"}, {}, "typo", "child.date_of_birth"),
        ({"date_of_birth": "2009-05-01"}, {}, "typo", "child.date_of_birth"),
        ({"pirate": "yes"}, {}, "typo", "child.pirate"),
        ({}, {"risk_flags": ["child_protection_plan"]}, "typo", "risk_flags"),
        ({}, {"first_absence_date": "2025-10-07"}, "typo", "first_absence_date"),
        ({}, {"school": {"id": "9999999", "name": "Other"}}, "typo", "school.id"),
        ({"forename": "Sam"}, {}, "typo", "child"),
    ],
)
def test_a_bad_correction_is_refused_naming_the_field_and_nothing_written(
    app: App, child: dict[str, Any], facts: dict[str, Any], reason: str, field: str
) -> None:
    case_id = opened(app)
    version = show(app, CMEO, case_id).case.version

    with pytest.raises(CorrectionRefused) as refused:
        casework.correct(app, CASEWORKER, case_id, child, facts, reason)

    assert isinstance(refused.value, OpeningRefused)  # every door shows its problems
    assert field in [p.field for p in refused.value.problems]
    assert show(app, CMEO, case_id).case.version == version


def test_a_date_of_birth_in_the_same_school_year_may_be_corrected(app: App) -> None:
    case_id = opened(app)
    casework.correct(app, CMEO, case_id, {"date_of_birth": "2014-05-02"}, {}, "typo")
    assert show(app, CMEO, case_id).detail_json()["child"]["date_of_birth"] == "2014-05-02"


def test_mash_may_not_correct_details(app: App) -> None:
    case_id = opened(app)
    with pytest.raises(NotPermitted):
        casework.correct(app, MASH, case_id, {"forename": "X"}, {}, "why")


# --- replay ----------------------------------------------------------------------------------
def test_replay_of_notes_corrections_and_assignments_reproduces_the_case(app: App) -> None:
    case_id = opened(app)
    casework.add_note(app, CASEWORKER, case_id, "first visit booked")
    casework.assign(app, CMEO, case_id, "wendy")
    advance(app, CASEWORKER, case_id, "begin_enquiries", {})
    casework.correct(app, CASEWORKER, case_id, {}, {"notes": "gate code 1234"}, "left out")
    casework.assign(app, CMEO, case_id, "carol")

    rebuilt = rebuild(app, case_id, None)

    assert rebuilt["legal"], rebuilt["problems"]
    assert rebuilt["differences"] == []
    with app.db.connect() as conn:
        stored_facts = conn.execute(
            select(case_table.c.facts).where(case_table.c.id == case_id)
        ).scalar_one()
    assert rebuilt["facts"] == stored_facts
    assert rebuilt["facts"]["notes"] == "gate code 1234"
    assignments = [e for e in rebuilt["events"] if e["trigger"] == "assigned"]
    assert assignments[-1]["evidence"]["assignee"] == "carol"


def test_the_chains_with_casework_events_verify(app: App) -> None:
    from cme.services.verify import verify

    case_id = opened(app)
    casework.add_note(app, MASH, case_id, "noted")
    casework.correct(app, CMEO, case_id, {"surname": "Testchild-Smith"}, {}, "married name")

    result = verify(app, None, lambda: None)
    assert result.broken == () and result.events >= 3


# --- duplicates ------------------------------------------------------------------------------
def test_a_referral_matching_an_open_case_is_refused_unless_opened_anyway(app: App) -> None:
    first = opened(app)
    same_name = school_referral(child={"forename": "SAM", "surname": "testchild",
                                       "date_of_birth": "2014-05-01"})  # fmt: skip

    with pytest.raises(casework.PossibleDuplicate) as by_upn:
        casework.open_referral(app, CMEO, "school-referral", school_referral())
    with pytest.raises(casework.PossibleDuplicate) as by_name:
        casework.open_referral(app, CMEO, "school-referral", same_name)
    anyway = casework.open_referral(app, CMEO, "school-referral", same_name, open_anyway=True)

    assert by_upn.value.details()["matches"][0]["ref"] == "CME-000001"
    assert by_upn.value.details()["matches"][0]["why"] == [
        "same UPN",
        "same name and date of birth",
    ]
    assert by_name.value.details()["matches"][0]["why"] == ["same name and date of birth"]
    assert by_upn.value.kind == "PossibleDuplicate"
    assert anyway.applied.event.evidence["opening"] == {
        "open_anyway": True,
        "matches": ["CME-000001"],
    }
    assert anyway.view.case.id == first + 1


def test_a_different_child_opens_without_a_warning_and_nothing_is_recorded(app: App) -> None:
    opened(app)
    other = casework.open_referral(
        app,
        CMEO,
        "school-referral",
        school_referral(
            child={"forename": "Alex", "surname": "Example", "date_of_birth": "2013-02-10"}
        ),
    )
    assert "opening" not in other.applied.event.evidence


def test_an_invalid_referral_is_refused_before_the_duplicate_check(app: App) -> None:
    opened(app)
    with pytest.raises(OpeningRefused):
        casework.open_referral(app, CMEO, "school-referral", school_referral(reason=""))
    with pytest.raises(NotPermitted):
        casework.open_referral(app, MASH, "school-referral", school_referral())


# --- the letter ------------------------------------------------------------------------------
def test_the_letter_names_the_child_and_parents_and_is_logged(app: App) -> None:
    case_id = opened(app, parents=["Pat Example"])
    casework.correct(app, CMEO, case_id, {"address": {"line1": "12 Example Road",
                     "town": "Luton", "postcode": "LU1 1AA"}}, {}, "address found")  # fmt: skip

    letter = parent_letter(app, CASEWORKER, case_id)

    assert "Dear Pat Example" in letter.body and "Sam Testchild" in letter.body
    assert "12 Example Road" in letter.body and "LU1 1AA" in letter.body
    assert "CME-000001" in letter.body and "Example Primary" in letter.body
    assert "@media print" in letter.page and letter.page.startswith("<!DOCTYPE html>")
    assert "case letter" in access_actions(app)
    with pytest.raises(NotPermitted):
        parent_letter(app, MASH, case_id)


def test_the_letter_escapes_what_the_referral_said(app: App) -> None:
    case_id = opened(app, parents=["<script>alert(1)</script>"])
    letter = parent_letter(app, CMEO, case_id)
    assert "<script>" not in letter.body and "&lt;script&gt;" in letter.body
