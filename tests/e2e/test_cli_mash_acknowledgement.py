"""Who records MASH's acknowledgement, through the CLI (issue 12): on SQLite and PostgreSQL.

Only the `mash` role records `mash_acknowledged`. The CMEO may record it on MASH's behalf with
`record_mash_acknowledgement_on_behalf`, and only with the MASH officer's name, how the
acknowledgement was received and when; a refusal exits 2 and writes nothing, and the history
shows the step as recorded by the CMEO on MASH's behalf.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cme import cli, console
from cme.bootstrap import build_app
from cme.settings import Settings
from engine.clock import LOCAL_ZONE
from engine.testing import FakeClock
from tests.support import school_referral

runner = CliRunner()
NOW = datetime(2025, 11, 7, 15, 0, tzinfo=LOCAL_ZONE).astimezone(UTC)


@pytest.fixture(autouse=True)
def app(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    clock = FakeClock(NOW)
    settings = Settings(
        database_url=db_url,
        actor="tester",
        cmeo_email="cme@luton.gov.uk",
        mash_email="mash@luton.gov.uk",
    )
    built: list[Any] = []

    def factory() -> Any:
        built.append(build_app(settings, clock))
        return built[-1]

    monkeypatch.setattr(console, "APP_FACTORY", factory)
    yield clock
    for application in built:
        application.db.dispose()


def cme(*args: str, code: int = 0) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if "--json" in args and code == 0 else result.output


def escalated_case(tmp_path: Path, clock: FakeClock) -> str:
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(school_referral()), encoding="utf-8")
    case = cme("case", "open", "--workflow", "school-referral", "--file", str(path), "--json")
    cme(
        "case",
        "advance",
        str(case["id"]),
        "raise_concern",
        "--set",
        "concern=bruises seen",
        "--set",
        "raised_by=Ms Head",
    )
    clock.set(datetime(2025, 11, 7, 16, 30, tzinfo=LOCAL_ZONE))
    return str(case["id"])


def history(case_id: str) -> list[dict[str, Any]]:
    return list(cme("audit", "history", case_id, "--json"))


def test_the_cmeo_cannot_record_mash_acknowledged(tmp_path: Path, app: FakeClock) -> None:
    case_id = escalated_case(tmp_path, app)
    before = history(case_id)

    out = cme(
        "case",
        "advance",
        case_id,
        "mash_acknowledged",
        "--role",
        "cmeo",
        "--set",
        "acknowledged_by=Mo MASH",
        code=2,
    )

    assert "role 'cmeo' may not mash acknowledged (allowed: mash)" in " ".join(out.split())
    assert history(case_id) == before


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"acknowledged_at": "2025-11-07T16:10"}, ("acknowledged_by", "received_via")),
        (
            {"acknowledged_by": "Mo MASH", "acknowledged_at": "2025-11-07T16:10"},
            ("received_via",),
        ),
        ({"acknowledged_by": "Mo MASH", "received_via": "phone"}, ("acknowledged_at",)),
    ],
)
def test_on_behalf_of_mash_the_cmeo_must_name_the_officer_and_how_it_came(
    tmp_path: Path, app: FakeClock, given: dict[str, str], missing: tuple[str, ...]
) -> None:
    case_id = escalated_case(tmp_path, app)
    before = history(case_id)
    sets = [arg for k, v in given.items() for arg in ("--set", f"{k}={v}")]

    out = cme(
        "case",
        "advance",
        case_id,
        "record_mash_acknowledgement_on_behalf",
        "--role",
        "cmeo",
        *sets,
        code=2,
    )

    assert all(name in out for name in missing), out
    assert history(case_id) == before


def test_an_acknowledgement_before_the_escalation_is_refused(
    tmp_path: Path, app: FakeClock
) -> None:
    case_id = escalated_case(tmp_path, app)
    before = history(case_id)

    out = cme(
        "case",
        "advance",
        case_id,
        "record_mash_acknowledgement_on_behalf",
        "--role",
        "cmeo",
        "--set",
        "acknowledged_by=Mo MASH",
        "--set",
        "received_via=phone",
        "--set",
        "acknowledged_at=2025-11-07T14:00",
        code=2,
    )

    assert "acknowledged_after_escalation" in out
    assert history(case_id) == before


def test_the_cmeo_records_it_on_mashs_behalf_and_the_history_says_so(
    tmp_path: Path, app: FakeClock
) -> None:
    case_id = escalated_case(tmp_path, app)

    cme(
        "case",
        "advance",
        case_id,
        "record_mash_acknowledgement_on_behalf",
        "--role",
        "cmeo",
        "--actor",
        "alice",
        "--set",
        "acknowledged_by=Mo MASH",
        "--set",
        "received_via=phone",
        "--set",
        "acknowledged_at=2025-11-07T16:10",
    )

    last = history(case_id)[-1]
    assert (last["trigger"], last["actor"], last["role"], last["to"]) == (
        "record_mash_acknowledgement_on_behalf",
        "alice",
        "cmeo",
        "with_mash",
    )
    assert last["evidence"] == {
        "acknowledged_by": "Mo MASH",
        "received_via": "phone",
        "acknowledged_at": "2025-11-07T16:10:00.000000Z",
    }


def test_the_mash_role_records_its_acknowledgement_with_who_and_when(
    tmp_path: Path, app: FakeClock
) -> None:
    case_id = escalated_case(tmp_path, app)

    cme(
        "case",
        "advance",
        case_id,
        "mash_acknowledged",
        "--role",
        "mash",
        "--actor",
        "mo",
        "--set",
        "acknowledged_by=Mo MASH",
    )

    last = history(case_id)[-1]
    assert (last["trigger"], last["actor"], last["role"], last["to"], last["at"]) == (
        "mash_acknowledged",
        "mo",
        "mash",
        "with_mash",
        "2025-11-07T16:30:00.000000Z",
    )
    assert last["evidence"] == {"acknowledged_by": "Mo MASH"}
