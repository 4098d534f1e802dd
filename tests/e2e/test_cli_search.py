"""Issue 14: `cme case show` names the child and ends its JSON with `child` and `outbox`;
`cme cases --search` finds a case by name, UPN, reference or school and logs no search text."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cme import cli, console
from tests.support import school_referral

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Path:
    monkeypatch.setenv("CME_DATABASE_URL", db_url)
    monkeypatch.setenv("CME_ACTOR", "tester")
    monkeypatch.setenv("CME_CMEO_EMAIL", "cme@luton.gov.uk")
    monkeypatch.setenv("CME_MASH_EMAIL", "mash@luton.gov.uk")
    monkeypatch.setattr(console, "APP_FACTORY", None)
    return tmp_path


def cme(*args: str, code: int = 0) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if "--json" in args and code == 0 else result


def open_case(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(school_referral(first_absence_date="2026-10-05", **overrides)))
    return dict(
        cme("case", "open", "--workflow", "school-referral", "--file", str(path), "--json")
    )


def test_show_names_the_child_and_ends_with_child_and_outbox(database: Path) -> None:
    opened = open_case(database)
    case_id = str(opened["id"])

    shown = cme("case", "show", case_id, "--json")
    table = cme("case", "show", case_id).output

    assert list(shown)[-2:] == ["child", "outbox"]
    assert {k: shown[k] for k in opened} == opened  # every key `case open` prints, unchanged
    child = shown["child"]
    assert (child["forename"], child["surname"], child["upn"]) == (
        "Sam",
        "Testchild",
        "H801200001001",
    )
    assert f"Sam Testchild, age {child['age']}" in table
    assert shown["outbox"]["mash_escalation"] is None


def test_cases_search_finds_by_school_and_rows_end_with_child_and_school(
    database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sam = open_case(database)
    alex = open_case(
        database,
        child={"forename": "Alex", "surname": "Example", "date_of_birth": "2013-02-10"},
        school={"id": "8212002", "name": "Hilltop Academy"},
    )

    everyone = cme("cases", "--json")
    found = cme("cases", "--search", "hilltop", "--json")
    by_ref = cme("cases", "--search", sam["ref"], "--json")
    nobody = cme("cases", "--search", "zzz", "--json")
    table = cme("cases", "--search", "Hilltop").output
    access = cme("audit", "access", str(alex["id"]), "--json")

    assert [r["id"] for r in found] == [alex["id"]]
    assert [r["id"] for r in by_ref] == [sam["id"]]
    assert nobody == []
    assert list(found[0])[-3:] == ["escalation", "child_name", "school"]
    assert (found[0]["child_name"], found[0]["school"]) == ("Alex Example", "Hilltop Academy")
    assert "Case queue (1)" in table and "Alex" in table  # the child column (wraps at 80)
    listed = {r["id"]: r for r in everyone}
    assert {k: v for k, v in found[0].items() if k not in ("child_name", "school")} == {
        k: v for k, v in listed[alex["id"]].items() if k not in ("child_name", "school")
    }
    assert "hilltop" not in json.dumps(access).lower()
    assert "hilltop" not in caplog.text.lower()


def test_an_empty_search_is_refused_with_status_2(database: Path) -> None:
    refused = cme("cases", "--search", " ", "--json", code=2)
    assert "search: must not be empty" in refused.output
