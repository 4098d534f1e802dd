"""Issue 15, casework on the CLI: `cme case open` from flags with the duplicate check and
`--open-anyway`, notes, assignment and `cme cases --mine`, corrections, the letter, and case
references (`CME-000001`) accepted wherever a case is named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cme import cli, console

runner = CliRunner()

SAM = [
    "--forename", "Sam", "--surname", "Testchild", "--date-of-birth", "2014-05-01",
    "--upn", "H801200001001", "--school-id", "8212001", "--school-name", "Example Primary",
    "--first-absence-date", "2026-10-05", "--reason", "did not return after a weekend",
    "--referrer-name", "Ms Head", "--referrer-organisation", "Example Primary",
    "--parent", "Pat Example",
]  # fmt: skip


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Path:
    monkeypatch.setenv("CME_DATABASE_URL", db_url)
    monkeypatch.setenv("CME_ACTOR", "tester")
    monkeypatch.setenv("CME_ROLE", "cmeo")
    monkeypatch.setenv("CME_CMEO_EMAIL", "cme@luton.gov.uk")
    monkeypatch.setenv("CME_MASH_EMAIL", "mash@luton.gov.uk")
    monkeypatch.setattr(console, "APP_FACTORY", None)
    return tmp_path


def cme(*args: str, code: int = 0) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if "--json" in args else result


def open_sam(*extra: str, code: int = 0) -> Any:
    return cme("case", "open", "--workflow", "school-referral", *SAM, *extra, "--json", code=code)


def test_a_referral_opens_from_flags_and_a_duplicate_is_refused_unless_opened_anyway() -> None:
    first = open_sam()
    refused = open_sam(code=2)
    anyway = open_sam("--open-anyway")
    history = cme("audit", "history", anyway["ref"], "--json")

    assert first["ref"] == "CME-000001" and first["facts"]["parents"] == ["Pat Example"]
    error = refused["error"]
    assert error["kind"] == "PossibleDuplicate"
    assert [m["ref"] for m in error["matches"]] == ["CME-000001"]
    assert "same UPN" in error["message"] and "--open-anyway" in error["message"]
    assert anyway["id"] == 2
    assert history[0]["evidence"]["opening"] == {"open_anyway": True, "matches": ["CME-000001"]}


def test_a_referral_from_flags_is_validated_like_the_file() -> None:
    refused = cme(
        "case", "open", "--workflow", "school-referral", "--forename", "Sam", "--json", code=2
    )
    fields = {p["field"] for p in refused["error"]["problems"]}
    assert refused["error"]["kind"] == "OpeningRefused"
    assert {"child.surname", "child.date_of_birth", "school", "reason", "referrer"} <= fields


def test_flags_win_over_the_file(database: Path) -> None:
    from tests.support import school_referral

    path = database / "referral.json"
    path.write_text(json.dumps(school_referral(first_absence_date="2026-10-05")))
    opened = cme(
        "case", "open", "--workflow", "school-referral", "--file", str(path),
        "--school-name", "Hilltop Academy", "--json",
    )  # fmt: skip
    assert opened["facts"]["school"] == {"id": "8212001", "name": "Hilltop Academy"}


def test_notes_assignment_and_my_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    case = open_sam()["ref"]

    note = cme("case", "note", case, "--text", "phoned the school", "--json")
    cme("case", "assign", case, "--to", "tester")
    mine = cme("cases", "--mine", "--json")
    carols = cme("cases", "--assignee", "carol", "--json")
    monkeypatch.setenv("CME_ROLE", "auditor")
    refused = cme("case", "note", case, "--text", "hello", "--json", code=2)
    monkeypatch.setenv("CME_ROLE", "cmeo")
    shown = cme("case", "show", case, "--json")

    assert (note["trigger"], note["ref"], note["evidence"]) == (
        "note_added", case, {"text": "phoned the school"},
    )  # fmt: skip
    assert [r["ref"] for r in mine] == [case] and mine[0]["assignee"] == "tester"
    assert carols == []
    assert refused["error"]["kind"] == "NotPermitted"
    assert shown["assignee"] == "tester"
    assert [n["text"] for n in shown["notes"]] == ["phoned the school"]
    assert list(shown)[-2:] == ["child", "outbox"]


def test_assign_needs_to_or_unassign() -> None:
    case = open_sam()["ref"]
    assert cme("case", "assign", case, "--json", code=2)["error"]["field"] == "to"
    cme("case", "assign", case, "--to", "carol")
    cme("case", "assign", case, "--unassign")
    assert cme("case", "show", case, "--json")["assignee"] is None


def test_a_correction_needs_a_reason_and_names_the_field() -> None:
    case = open_sam()["ref"]

    no_reason = cme("case", "correct", case, "--set", "child.forename=Samuel", "--json", code=2)
    bad_field = cme("case", "correct", case, "--set", "risk_flags=x", "--reason", "r", code=2)
    done = cme(
        "case", "correct", case, "--set", "child.forename=Samuel", "--set", "parents=A B; C D",
        "--reason", "typo", "--json",
    )  # fmt: skip
    shown = cme("case", "show", case, "--json")

    assert [p["field"] for p in no_reason["error"]["problems"]] == ["reason"]
    assert "FIELD one of" in bad_field.output
    assert done["evidence"]["child"]["after"] == {"forename": "Samuel"}
    assert shown["child"]["forename"] == "Samuel"
    assert shown["facts"]["parents"] == ["A B", "C D"]
    assert shown["corrections"][0]["reason"] == "typo"


def test_the_letter_is_written_and_an_existing_file_is_kept(database: Path) -> None:
    case = open_sam()["ref"]
    out = database / "letter.html"

    written = cme("case", "letter", case, "--out", str(out), "--json")
    again = cme("case", "letter", case, "--out", str(out), code=2)

    assert written == {"id": 1, "ref": case, "file": str(out)}
    assert "Dear Pat Example" in out.read_text() and "@media print" in out.read_text()
    assert "exists" in again.output


@pytest.mark.parametrize("command", [["case", "show"], ["case", "actions"], ["audit", "history"]])
def test_a_reference_is_accepted_wherever_a_case_is_named(command: list[str]) -> None:
    open_sam()
    by_ref = cme(*command, "CME-000001", "--json")
    by_id = cme(*command, "1", "--json")
    assert by_ref == by_id


@pytest.mark.parametrize("text", ["CME-XYZ", "0", "sam", "CME-"])
def test_a_bad_reference_exits_2_naming_the_argument(text: str) -> None:
    result = cme("case", "show", text, code=2)
    assert "CASE" in result.output and "not a case reference" in result.output


def test_an_export_with_casework_events_verifies_and_replays(database: Path) -> None:
    case = open_sam()["ref"]
    cme("case", "note", case, "--text", "noted")
    cme("case", "assign", case, "--to", "carol")
    cme("case", "correct", case, "--set", "notes=gate code", "--reason", "left out")
    out = database / "case.jsonl"

    cme("audit", "export", case, "--out", str(out))
    verified = cme("audit", "verify", "--file", str(out), "--json")
    replayed = cme("audit", "replay", case, "--json")

    assert (verified["broken"], verified["replay_problems"]) == ([], [])
    assert replayed["legal"] and replayed["differences"] == []
    assert replayed["facts"]["notes"] == "gate code"
    triggers = [e["trigger"] for e in replayed["events"]]
    assert {"note_added", "assigned", "details_corrected"} <= set(triggers)


def test_at_a_terminal_the_missing_fields_are_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    from cme.commands import casework as commands

    monkeypatch.setattr(commands, "interactive", lambda: True)
    answers = "\n".join(
        [
            "Sam",
            "Testchild",
            "2014-05-01",
            "",
            "Example Primary",
            "2026-10-05",
            "did not return",
            "Ms Head",
            "Example Primary",
        ]
    )

    result = runner.invoke(
        cli.app, ["case", "open", "--workflow", "school-referral"], input=answers + "\n"
    )
    shown = cme("case", "show", "CME-000001", "--json")

    assert result.exit_code == 0, result.output
    assert "Child's first name" in result.output and "Opened CME-000001" in result.output
    assert shown["child"]["surname"] == "Testchild"
    assert shown["facts"]["school"] == {"name": "Example Primary"}
