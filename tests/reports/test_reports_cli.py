"""`cme report ...` and `cme case reason`: the same documents as the services, the safe
`--out` rules, exit status 2 naming the flag; the data file of the DfE return checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cme import cli, console
from cme.reports.dfe import nc_year_group, rounded
from cme.reports.history import History, Opening, Step
from cme.services import cases, reports
from engine.errors import OpeningRefused
from tests.reports.conftest import CMEO, World, local, school
from workflows.dfe_return import DEFAULT_FILE, ReturnDataInvalid, parse_returns

runner = CliRunner()


def cme(*args: str, code: int = 0) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def on_cli(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(console, "APP_FACTORY", lambda: world.app)
    world.clock.set(local(2025, 12, 1, 9))
    return world


def test_the_cli_prints_and_writes_the_services_document(on_cli: World, tmp_path: Path) -> None:
    printed = cme(
        "report", "monthly", "--month", "2025-11", "--format", "json", "--role", "auditor"
    )
    assert json.loads(printed.stdout) == reports.monthly(on_cli.app, CMEO, "2025-11")
    out = tmp_path / "november.html"
    cme("report", "monthly", "--month", "2025-11", "--format", "html", "--out", str(out))
    assert out.read_text().count("<svg") == 4
    again = cme("report", "monthly", "--month", "2025-11", "--out", str(out), code=2)
    assert "--out" in again.output and "exists" in again.output
    database = on_cli.app.settings.database_url.removeprefix("sqlite:///")
    if on_cli.app.settings.database_url.startswith("sqlite"):
        refused = cme("report", "annual", "--year", "2024", "--out", database, "--force", code=2)
        assert "database" in refused.output
    dfe = cme("report", "dfe-return", "--term", "autumn", "--year", "2025/26", "--format", "csv")
    assert "missing_on_census_date,,1" in dfe.stdout
    register = cme("report", "register", "--as-of", "2025-11-30", "--format", "md")
    assert "Pat" in register.stdout


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("monthly", "--month", "2025-13"), "--month"),
        (("monthly", "--month", "2025-11", "--format", "pdf"), "--format"),
        (("annual", "--year", "24"), "--year"),
        (("annual", "--year", "2024", "--basis", "calendar"), "--basis"),
        (("dfe-return", "--term", "winter", "--year", "2025/26"), "--term"),
        (
            ("dfe-return", "--term", "autumn", "--year", "2025/26", "--census-date", "x"),
            "--census",
        ),
        (("register", "--as-of", "soon"), "--as-of"),
    ],
)
def test_bad_input_exits_2_naming_the_flag(
    on_cli: World, args: tuple[str, ...], flag: str
) -> None:
    assert flag in cme("report", *args, code=2).output


def test_the_primary_reason_is_set_with_its_history(on_cli: World) -> None:
    case_id = on_cli.ids["C5"]
    bad = cme("case", "reason", str(case_id), "--reason", "bogus", "--json", code=2)
    assert "--reason" in bad.output and "temporary_accommodation" in bad.output
    done = json.loads(cme("case", "reason", str(case_id), "--reason", "other", "--json").stdout)
    assert done["reason"] == "other" and done["replaces"] is None
    assert done["collection_year"] == "2025/26"
    later = json.loads(
        cme("case", "reason", str(case_id), "--reason", "school_place_refused", "--json").stdout
    )
    assert later["replaces"] == "other"
    closed = cme("case", "reason", str(on_cli.ids["C1"]), "--reason", "other", code=2)
    assert "closed" in closed.output


def test_intake_refuses_an_unknown_primary_reason(on_cli: World) -> None:
    kid = {"forename": "Ty", "surname": "Refused", "date_of_birth": "2014-02-02"}
    with pytest.raises(OpeningRefused) as refused:
        cases.open_case(
            on_cli.app, CMEO, "school-referral", school(kid, "2025-11-03", primary_reason="lost")
        )
    assert [p.field for p in refused.value.problems] == ["primary_reason"]


def test_the_data_file_is_checked_and_a_bad_one_refused() -> None:
    text = DEFAULT_FILE.read_text()
    years = parse_returns(text, "ok.yaml")
    assert len(years["2025/26"].reasons) == len(years["2024/25"].reasons) + 5
    broken = {
        "not yaml": ("schema: [", "is not valid YAML"),
        "order": (text.replace("spring: 2026-01-15", "spring: 2025-09-15", 1), "in order"),
        "twice": (text.replace("code: school_place_refused", "code: other"), "twice"),
        "year": (text.replace('"2025/26":', '"2025/27":', 1), "2025/26"),
        "band": (text.replace("max_days: 84}", "}", 1), "max_days"),
    }
    for name, (bad, rule) in broken.items():
        with pytest.raises(ReturnDataInvalid, match=rule):
            parse_returns(bad, "bad.yaml")
        assert name


def test_rounding_year_groups_and_a_reopened_case() -> None:
    assert [rounded(n) for n in (0, 4, 5, 14, 15, 250)] == [0, 0, 10, 10, 20, 250]
    from datetime import date

    start = date(2025, 9, 1)
    assert nc_year_group(date(2021, 8, 31), start) == "reception"
    assert nc_year_group(date(2020, 9, 1), start) == "reception"
    assert nc_year_group(date(2010, 9, 1), start) == "year_10"
    assert nc_year_group(date(2009, 9, 1), start) == "year_11"
    assert nc_year_group(date(2009, 8, 31), start) == "unknown"
    # a case closed then returned to work is open again, and counted again
    opened, closed, back = local(2025, 11, 3), local(2025, 11, 5), local(2025, 11, 20)
    history = History(local(2025, 12, 1), frozenset({"closed"}))
    history.openings[1] = Opening(1, opened, "school-referral", 1, None, [], None)
    history.steps += [
        Step(1, 2, closed, "close_case", "enquiries", "closed", "cmeo", "not_cme"),
        Step(1, 3, back, "reopen", "closed", "enquiries", "cmeo"),
    ]
    assert history.open_intervals() == {1: [(opened, closed), (back, None)]}
    assert history.open_at(local(2025, 11, 10)) == []
    assert history.open_at(local(2025, 11, 30)) == [1]
