"""Hostile and careless input through the CLI: accepted and valid, or refused cleanly.

hypothesis feeds `cme case open --file` random JSON and mutations of a valid referral, and
`cme case advance --set` random evidence values. Every run either succeeds (exit 0, one more
case or event, and the stored record verifies) or is refused (exit 2, a message, no traceback,
the counts of cases and events unchanged). Nothing else is allowed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from cme import cli, console
from cme.bootstrap import App
from engine import Actor
from storage.audit import verify_chains
from storage.tables import case_table, event_table
from tests.fuzzing import FUZZ as FUZZING
from tests.support import make_app, school_referral

runner = CliRunner()
FUZZ = settings(
    max_examples=1000 if FUZZING else 50,  # `make fuzz` (CME_FUZZ=1): tests/fuzzing.py
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
FIELDS = ("child", "school", "first_absence_date", "leave_end_date", "reason", "risk_flags")
CHILD_FIELDS = ("forename", "surname", "date_of_birth", "upn", "gender", "address")
awkward_text = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x07b",
        "2026-13-01",
        "2099-01-01",
        "1900-01-01",
        "H801200001001",
        "h801 2000 01001",
        "Z801200001001",
        "x" * 5000,
        "'; DROP TABLE event; --",
        "\u202eevil",
        "LU1 2AB",
        "not@an@email",
    ]
) | st.text(max_size=40)


@st.composite
def mutated_referral(draw: st.DrawFn) -> dict[str, Any]:
    """A valid referral with a few fields replaced, removed or added."""
    referral = school_referral()
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["replace", "drop", "child", "add"]))
        if action == "replace":
            referral[draw(st.sampled_from(FIELDS))] = draw(json_values | awkward_text)
        elif action == "drop":
            referral.pop(draw(st.sampled_from(FIELDS)), None)
        elif action == "child" and isinstance(referral.get("child"), dict):
            referral["child"][draw(st.sampled_from(CHILD_FIELDS))] = draw(
                json_values | awkward_text
            )
        else:
            referral[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
    return referral


@pytest.fixture(scope="module")
def application(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One app on one fresh SQLite file for every example, its clock on Mon 3 Nov 2025.

    The CLI builds it through `cme.console.APP_FACTORY`, as the demo does, so each command
    runs the real code path without re-reading the charts and templates every time.
    """
    folder = tmp_path_factory.mktemp("fuzz")
    built = make_app(f"sqlite:///{folder}/fuzz.db")
    yield built
    built.db.dispose()


@pytest.fixture(autouse=True)
def environment(application: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CME_ACTOR", "fuzzer")
    monkeypatch.setenv("CME_ROLE", "cmeo")
    monkeypatch.setattr(console, "APP_FACTORY", lambda: application)


def counts(application: App) -> tuple[int, int]:
    with application.db.connect() as conn:
        cases = conn.execute(select(func.count()).select_from(case_table)).scalar_one()
        events = conn.execute(select(func.count()).select_from(event_table)).scalar_one()
    return int(cases), int(events)


def assert_clean(result: Result, before: tuple[int, int], after: tuple[int, int]) -> None:
    """Accepted (exit 0, something written) or refused (exit 2, a message, nothing written)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback: {result.exception!r}\n{result.output}"
    )
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert result.output.strip(), "a refusal must say why"
        assert after == before, "a refusal wrote something"
    else:
        assert after > before


def open_with(tmp_path: Path, text: str, application: App) -> Result:
    path = tmp_path / "referral.json"
    path.write_text(text, encoding="utf-8")
    before = counts(application)
    result = runner.invoke(
        cli.app, ["case", "open", "--workflow", "school-referral", "--file", str(path), "--json"]
    )
    assert_clean(result, before, counts(application))
    return result


@FUZZ
@given(referral=mutated_referral() | st.dictionaries(st.text(max_size=12), json_values))
def test_referral_json_is_accepted_or_refused_cleanly(
    referral: dict[str, Any], tmp_path: Path, application: App
) -> None:
    """Random and mutated referrals: exit 0 with a valid case, or exit 2 writing nothing."""
    result = open_with(tmp_path, json.dumps(referral), application)
    if result.exit_code == 0:
        case = json.loads(result.stdout)
        assert case["state"] in ("received", "escalated_to_mash") and case["version"] >= 1
        assert case["workflow"] == "school-referral"
    else:
        error = json.loads(result.stdout)["error"]
        assert error["message"] and error["kind"]


@FUZZ
@given(text=st.text(max_size=200) | st.binary(max_size=100).map(lambda b: b.decode("latin-1")))
def test_referral_files_that_are_not_json_objects_are_refused(
    text: str, tmp_path: Path, application: App
) -> None:
    """Arbitrary text as the referral file: refused (or, if it is a valid referral, opened)."""
    open_with(tmp_path, text, application)


EVIDENCE_NAMES = ("enquiry_method", "made_on", "summary", "risk_flags", "bogus", "")


@FUZZ
@given(
    trigger=st.sampled_from(["record_enquiry", "update_risk", "locate_child", "no_such_step"]),
    sets=st.lists(
        st.tuples(st.sampled_from(EVIDENCE_NAMES) | st.text(max_size=8), awkward_text),
        max_size=4,
    ),
)
def test_evidence_values_are_accepted_or_refused_cleanly(
    trigger: str, sets: list[tuple[str, str]], application: App
) -> None:
    """Random `--set NAME=VALUE` on a case in enquiries: exit 0 or 2, never half a write."""
    cmeo = Actor("fuzzer", "cmeo")
    case_id = application.engine.open_case("school-referral", school_referral(), cmeo).case.id
    application.engine.apply(case_id, "begin_enquiries", {}, cmeo)
    args = ["case", "advance", str(case_id), trigger, "--no-input", "--json"]
    for name, value in sets:
        args += ["--set", f"{name}={value}"]
    before = counts(application)
    result = runner.invoke(cli.app, args)
    assert_clean(result, before, counts(application))


def test_every_chain_still_verifies_after_the_fuzzing(application: App) -> None:
    """Whatever was accepted was written whole (runs after the fuzz tests in this module)."""
    report = verify_chains(application.db)
    assert report.ok and report.cases > 0, report.broken[:3]
