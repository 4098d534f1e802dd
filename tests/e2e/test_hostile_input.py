"""Hostile and careless input at the command line is refused in words (exit 2), never with a
traceback, and writes nothing (issue 13 items 3, 6, 12, 14, 15), on SQLite and PostgreSQL.

The clock is the system's: dates are computed from today.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cme import cli, console
from tests.support import school_referral

runner = CliRunner()
TODAY = date.today()


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Path:
    monkeypatch.setenv("CME_DATABASE_URL", db_url)
    monkeypatch.setenv("CME_ACTOR", "tester")
    monkeypatch.setenv("CME_CMEO_EMAIL", "cme@luton.gov.uk")
    monkeypatch.setenv("CME_MASH_EMAIL", "mash@luton.gov.uk")
    monkeypatch.setattr(console, "APP_FACTORY", None)
    return tmp_path


def run(*args: str) -> Result:
    result = runner.invoke(cli.app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def refused(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 2, result.output
    return " ".join(result.output.split())


def referral(**overrides: Any) -> dict[str, Any]:
    first = (TODAY - timedelta(days=30)).isoformat()
    return school_referral(first_absence_date=first, **overrides)


def open_file(path: Path) -> Result:
    return run("case", "open", "--workflow", "school-referral", "--file", str(path), "--json")


def open_referral(tmp_path: Path, **overrides: Any) -> Result:
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(referral(**overrides)), encoding="utf-8")
    return open_file(path)


def cases() -> int:
    result = run("cases", "--closed", "--json")
    assert result.exit_code == 0, result.output
    return len(json.loads(result.stdout))


def opened(tmp_path: Path) -> int:
    result = open_referral(tmp_path)
    assert result.exit_code == 0, result.output
    return int(json.loads(result.stdout)["id"])


# --- item 3: the probe ------------------------------------------------------------------------
def test_a_mistyped_visit_year_is_refused_and_the_case_goes_on(database: Path) -> None:
    case_id = str(opened(database))
    assert run("case", "advance", case_id, "begin_enquiries").exit_code == 0
    made_on = (TODAY - timedelta(days=1)).isoformat()
    enquiry = [
        "--set",
        "enquiry_method=telephone",
        "--set",
        "made_by=la",
        "--set",
        f"made_on={made_on}",
    ]
    assert (
        run(
            "case", "advance", case_id, "record_enquiry", *enquiry, "--set", "summary=rang"
        ).exit_code
        == 0
    )
    visit = ["--set", "officer=Bob", "--set", "outcome=no_contact", "--no-input"]

    message = refused(
        "case",
        "advance",
        case_id,
        "record_first_visit",
        "--set",
        "visited_at=0202-12-01T09:30",
        *visit,
    )

    assert "visited_at: cannot be before" in message and "check the year" in message
    morning = f"{(TODAY - timedelta(days=1)).isoformat()}T09:30"
    done = run(
        "case", "advance", case_id, "record_first_visit", "--set", f"visited_at={morning}", *visit
    )
    assert done.exit_code == 0, done.output


# --- item 6: files ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "rule"),
    [
        ('{"reason": "caf\u00e9"}'.encode("cp1252"), "is not UTF-8 text"),
        (b'{"reason": "\\ud800"}', "lone surrogate"),
        (b"[" * 5000 + b"]" * 5000, "nested more than 64 deep"),
        (b'{"reason": ' + b"9" * 5000 + b"}", "a number has 5000 digits"),
        (b'{"reason": NaN}', "NaN is not a JSON number"),
    ],
    ids=["cp1252", "lone surrogate", "deep", "huge integer", "NaN"],
)
def test_a_referral_file_that_is_not_sane_json_is_refused(
    database: Path, content: bytes, rule: str
) -> None:
    path = database / "referral.json"
    path.write_bytes(content)

    result = open_file(path)

    assert result.exit_code == 2, result.output
    assert rule in result.output
    assert cases() == 0


def test_dev_zero_is_refused_at_the_size_cap() -> None:
    message = refused("case", "open", "--workflow", "school-referral", "--file", "/dev/zero")
    assert "larger than 4 MiB (4194304 bytes)" in message


@pytest.mark.parametrize("case_id", ["9223372036854775808", "99999999999999999999999", "0"])
@pytest.mark.parametrize("command", [("case", "show"), ("audit", "history"), ("case", "timeline")])
def test_case_ids_outside_64_bits_are_refused(command: tuple[str, str], case_id: str) -> None:
    refused(*command, case_id)


def test_workflow_validate_refuses_a_file_that_is_not_utf8(database: Path) -> None:
    chart = database / "chart.yaml"
    chart.write_bytes(b"workflow: x\ntitle: caf\xe9\n")
    message = refused("workflow", "validate", str(chart))
    assert "not UTF-8 text (byte 0xe9)" in message and "chart.yaml:2" in message


def test_workflow_validate_refuses_deep_nesting(database: Path) -> None:
    chart = database / "chart.yaml"
    chart.write_text("[" * 5000 + "]" * 5000)
    assert "not valid YAML" in refused("workflow", "validate", str(chart))


@pytest.mark.parametrize(
    "line",
    [b"[" * 5000 + b"]" * 5000, b"[1]", b'{"kind": "event"}', b"\xff\xfe", b'{"kind":"case"}'],
    ids=["deep", "not an object", "missing keys", "not utf8", "case without keys"],
)
def test_audit_verify_file_refuses_what_is_not_an_export(database: Path, line: bytes) -> None:
    export = database / "export.jsonl"
    export.write_bytes(line + b"\n")
    assert "--file" in refused("audit", "verify", "--file", str(export))


# --- item 12: bounds --------------------------------------------------------------------------
def test_notes_are_bounded_and_shown_with_the_case(database: Path) -> None:
    huge = open_referral(database, notes="x" * 10_000_000)
    assert huge.exit_code == 2
    assert "larger than 4 MiB" in huge.output
    long = open_referral(database, notes="x" * 2001)
    assert long.exit_code == 2
    assert "notes: must be at most 2000 characters (got 2001)" in long.output
    assert cases() == 0

    kept = open_referral(database, notes="Family said to be\nstaying with relatives")
    assert kept.exit_code == 0, kept.output
    case = json.loads(kept.stdout)
    assert case["facts"]["notes"] == "Family said to be\nstaying with relatives"
    shown = run("case", "show", str(case["id"]))
    assert "Referral notes" in shown.output and "staying with relatives" in shown.output


@pytest.mark.parametrize("key", ["parents", "siblings"])
def test_a_list_of_ten_thousand_names_is_refused(database: Path, key: str) -> None:
    result = open_referral(database, **{key: [f"Person {i}" for i in range(10_000)]})
    assert result.exit_code == 2
    assert f"{key}: must name at most 20 people (got 10000)" in result.output
    assert cases() == 0


# --- item 14: control and invisible characters ------------------------------------------------
@pytest.mark.parametrize("char", ["\u0085", "\u202e", "\u200b", "\u2028", "\r\n", "\t"])
def test_a_name_with_control_or_invisible_characters_is_refused(database: Path, char: str) -> None:
    child = dict(referral()["child"], forename=f"Sam{char}Dear parent, click here")
    result = open_referral(database, child=child)
    assert result.exit_code == 2, result.output
    assert "child.forename: must not contain control or invisible characters" in result.output
    assert cases() == 0


def test_names_are_normalised_to_nfc() -> None:
    from engine.clock import LOCAL_ZONE
    from workflows.intake import read_referral

    child = dict(referral()["child"], forename="Zoe\u0301", surname="  Smith\u0327 ")
    now = datetime.now(LOCAL_ZONE)
    intake = read_referral(referral(child=child), now, school_route=True)
    assert (intake.child["forename"], intake.child["surname"]) == ("Zo\u00e9", "Smit\u1e29")


@pytest.mark.parametrize("actor", ["bob\r\nsystem:timer", "bob\u202e", "bob\u200b"])
def test_an_actor_with_control_or_invisible_characters_is_refused(
    database: Path, actor: str
) -> None:
    case_id = str(opened(database))
    message = refused("case", "advance", case_id, "begin_enquiries", "--actor", actor)
    assert "--actor" in message
    assert json.loads(run("case", "show", case_id, "--json").stdout)["version"] == 1


# --- item 15: dates, --set, risk flags ---------------------------------------------------------
@pytest.mark.parametrize("value", ["2014-W18-4", "20140501", 20140501])
def test_a_date_of_birth_not_written_yyyy_mm_dd_is_refused(database: Path, value: Any) -> None:
    child = dict(referral()["child"], date_of_birth=value)
    result = open_referral(database, child=child)
    assert result.exit_code == 2
    assert "child.date_of_birth: must be a date as YYYY-MM-DD" in result.output


def test_first_absence_in_year_one_is_refused(database: Path) -> None:
    path = database / "referral.json"
    path.write_text(json.dumps(school_referral(first_absence_date="0001-01-01")))
    result = open_file(path)
    assert result.exit_code == 2
    assert "first_absence_date: must be within the last 2 years" in result.output


def test_a_repeated_set_key_is_refused_naming_it(database: Path) -> None:
    case_id = str(opened(database))
    message = refused(
        "case",
        "advance",
        case_id,
        "update_risk",
        "--set",
        "risk_flags=runaway",
        "--set",
        "risk_flags=looked_after",
    )
    assert "--set 'risk_flags': given twice" in message


def test_risk_flags_of_only_commas_are_refused(database: Path) -> None:
    case_id = str(opened(database))
    run("case", "advance", case_id, "update_risk", "--set", "risk_flags=runaway")
    message = refused("case", "advance", case_id, "update_risk", "--set", "risk_flags=,,,")
    assert "risk_flags: names no value" in message
    facts = json.loads(run("case", "show", case_id, "--json").stdout)["facts"]
    assert facts["risk_flags"] == ["runaway"]
