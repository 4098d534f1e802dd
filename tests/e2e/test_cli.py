"""The command-line contract of issue 2, through Typer's runner on a SQLite file.

The clock is the system's (deadlines after July 2026 are provisional: only Luton's 2025/26
term dates are shipped), and evidence dates lie safely in the past.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cme import cli, console
from storage.migrate import head_revision
from tests.support import school_referral

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Path:
    # every contract test runs on a SQLite file and, when configured, on PostgreSQL
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
    # the same fictional child again and again: --open-anyway (issue 15 asks first)
    return dict(
        cme(
            "case", "open", "--workflow", "school-referral", "--file", str(path), "--json",
            "--open-anyway",
        )
    )  # fmt: skip


def events_of(case_id: int) -> int:
    return int(cme("case", "show", str(case_id), "--json")["events"])


def test_init_creates_the_schema_and_is_idempotent() -> None:
    first = cme("init", "--role", "admin", "--json")
    second = cme("init", "--role", "admin", "--json")

    head = head_revision()
    assert (first["from"], first["to"], second["from"], second["to"]) == (None, head, head, head)


def test_open_prints_the_case_with_its_deadlines(database: Path) -> None:
    case = open_case(database)

    assert {k: case[k] for k in ("id", "workflow", "state", "priority", "version")} == {
        "id": 1,
        "workflow": "school-referral",
        "state": "received",
        "priority": "standard",
        "version": 1,
    }
    assert case["events"] == 1
    deadlines = {t["deadline"]: t for t in case["timers"]}
    assert set(deadlines) == {
        "case_stalled",
        "missing_four_weeks",
        "high_risk_unlocated",
        "compulsory_school_age_ended",
    }
    assert deadlines["high_risk_unlocated"]["condition"] == "is_high_priority"
    assert all({"trigger", "due_at"} <= set(t) for t in case["timers"])
    # 28 calendar days from Monday 5 Oct 2026: Monday 2 Nov 2026, no school calendar involved
    assert deadlines["missing_four_weeks"]["due_on"] == "2026-11-02"
    assert deadlines["case_stalled"]["provisional_reason"] == "no term dates loaded for 2026/27"


def test_actions_list_each_step_with_its_evidence_and_blocks(database: Path) -> None:
    case = open_case(database)
    cme("case", "advance", str(case["id"]), "begin_enquiries")

    actions = {a["trigger"]: a for a in cme("case", "actions", str(case["id"]), "--json")}

    visit = actions["record_first_visit"]
    assert visit["to"] == "home_visit_1"
    assert [(f["name"], f["type"], f["required"]) for f in visit["evidence"]] == [
        ("visited_at", "datetime", True),
        ("officer", "text", True),
        ("outcome", "choice", True),
        ("notes", "text", False),
    ]
    assert visit["evidence"][2]["choices"] == ["no_contact", "contact"]
    assert visit["blocked_by"] == [
        "enquiries_evidenced: no enquiry is recorded yet: record at least one reasonable "
        "enquiry (friends, family, school staff, agencies, phone, letter) before the first "
        "home visit"
    ]


def test_advance_moves_the_case_and_the_history_records_it(database: Path) -> None:
    case = open_case(database)
    cme(
        "case",
        "advance",
        str(case["id"]),
        "begin_enquiries",
        "--actor",
        "eve",
        "--role",
        "caseworker",
    )
    cme(
        "case",
        "advance",
        str(case["id"]),
        "record_enquiry",
        "--set",
        "enquiry_method=telephone",
        "--set",
        "made_by=la",
        "--set",
        "made_on=2026-11-02",
        "--set",
        "summary=No answer",
    )

    moved = cme(
        "case",
        "advance",
        str(case["id"]),
        "record_first_visit",
        "--set",
        "visited_at=2026-11-03T09:30",
        "--set",
        "officer=EWO R Patel",
        "--set",
        "outcome=no_contact",
        "--json",
    )
    history = cme("audit", "history", str(case["id"]), "--json")

    assert (moved["state"], moved["version"]) == ("home_visit_1", 4)
    assert [h["trigger"] for h in history] == [
        "open_case",
        "begin_enquiries",
        "record_enquiry",
        "record_first_visit",
    ]
    assert set(history[0]) >= {"seq", "trigger", "from", "to", "actor", "at", "evidence", "hash"}
    assert (history[1]["actor"], history[1]["role"]) == ("eve", "caseworker")
    # 09:30 on 3 Nov 2026 is GMT, so it is 09:30 UTC
    assert history[3]["evidence"]["visited_at"] == "2026-11-03T09:30:00.000000Z"
    assert [h["prev_hash"] for h in history[1:]] == [h["hash"] for h in history[:-1]]


def test_a_visit_at_the_same_time_of_day_is_refused_with_status_2(database: Path) -> None:
    case = open_case(database)
    for step in (
        ["begin_enquiries"],
        [
            "record_enquiry",
            "--set",
            "enquiry_method=letter",
            "--set",
            "made_by=la",
            "--set",
            "made_on=2026-11-02",
            "--set",
            "summary=Letter sent",
        ],
        [
            "record_first_visit",
            "--set",
            "visited_at=2026-11-03T09:30",
            "--set",
            "officer=EWO",
            "--set",
            "outcome=no_contact",
        ],
    ):
        cme("case", "advance", str(case["id"]), *step)

    refused = cme(
        "case",
        "advance",
        str(case["id"]),
        "record_second_visit",
        "--set",
        "visited_at=2026-11-04T11:59",
        "--set",
        "officer=EWO",
        "--set",
        "outcome=no_contact",
        code=2,
    )

    assert "different_time_of_day: a visit was already made in the morning" in refused.output
    assert events_of(case["id"]) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["begin_enquiries", "--set", "x=1"], "x: is not evidence for this step"),
        (["record_ctf_upload"], "'record_ctf_upload' is not possible from state 'received'"),
        (["begin_enquiries", "--role", "auditor"], "role 'auditor' may not begin enquiries"),
        (["update_risk", "--set", "risk_flags=flying"], "risk_flags: must be one of"),
    ],
)
def test_refusals_exit_2_name_the_rule_and_write_nothing(
    database: Path, args: list[str], message: str
) -> None:
    case = open_case(database)

    refused = cme("case", "advance", str(case["id"]), *args, code=2)

    assert message in refused.output
    assert events_of(case["id"]) == 1


def test_refusal_with_json_prints_one_error_document(database: Path) -> None:
    case = open_case(database)

    result = runner.invoke(
        cli.app, ["case", "advance", str(case["id"]), "record_enquiry", "--json"]
    )

    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "TriggerNotAvailable"


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        (
            {
                "child": {
                    "forename": "A",
                    "surname": "B",
                    "date_of_birth": "2014-05-01",
                    "upn": "Z801200001001",
                }
            },
            "child.upn",
            "UPN check letter should be H, not Z",
        ),
        (
            {"child": {"forename": "A", "surname": "B", "date_of_birth": "2023-01-01"}},
            "child.date_of_birth",
            "not yet of compulsory school age: it starts on 2028-03-31",
        ),
        ({"risk_flags": ["pirate"]}, "risk_flags", "unknown flag 'pirate'"),
        ({"first_absence_date": "2031-01-01"}, "first_absence_date", "cannot be in the future"),
    ],
)
def test_a_bad_referral_is_refused_naming_the_field(
    database: Path, overrides: dict[str, Any], field: str, rule: str
) -> None:
    path = database / "bad.json"
    path.write_text(json.dumps(school_referral(**overrides)))

    result = runner.invoke(
        cli.app, ["case", "open", "--workflow", "school-referral", "--file", str(path), "--json"]
    )

    assert result.exit_code == 2
    problems = json.loads(result.stdout)["error"]["problems"]
    assert any(p["field"] == field and rule in p["rule"] for p in problems), problems
    assert cme("cases", "--json") == []


def test_a_referral_file_that_is_not_json_is_refused(database: Path) -> None:
    path = database / "bad.json"
    path.write_text("{not json")

    refused = cme("case", "open", "--workflow", "school-referral", "--file", str(path), code=2)

    assert "--file: not valid JSON" in refused.output


def test_the_queue_puts_high_priority_first_then_oldest(database: Path) -> None:
    standard = open_case(database)
    high = open_case(database, risk_flags=["runaway"])

    queue = cme("cases", "--json")

    assert [c["id"] for c in queue] == [high["id"], standard["id"]]
    assert {"events", "timers", "state", "priority"} <= set(queue[0])


def test_a_child_with_a_child_protection_plan_is_referred_to_mash_at_once(database: Path) -> None:
    case = open_case(database, risk_flags=["child_protection_plan"])

    history = cme("audit", "history", str(case["id"]), "--json")

    assert case["state"] == "escalated_to_mash"
    assert [(h["trigger"], h["actor"]) for h in history] == [
        ("open_case", "tester"),
        ("refer_to_mash_at_once", "system:rule"),
    ]


def test_unknown_case_is_refused() -> None:
    refused = cme("case", "show", "99", code=2)

    assert "no case with id 99" in refused.output


def test_workflow_validate_reports_file_line_and_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = Path("workflows/school-referral.yaml").read_text()
    broken.write_text(text.replace("    to: home_visit_2\n", "    to: home_visit_9\n"))

    refused = cme("workflow", "validate", str(broken), code=2)
    valid = cme("workflow", "validate", "workflows/school-referral.yaml")

    line = text.splitlines().index("  - id: record_second_visit") + 1
    assert f"{broken}:{line}:" in refused.output
    assert "unknown state 'home_visit_9' in 'to'" in refused.output
    assert "valid" in valid.output


def test_workflow_show_lists_states_and_triggers() -> None:
    chart = cme("workflow", "show", "out-of-school-referral", "--json")

    states = [s["id"] for s in chart["states"]]
    assert {
        "received",
        "database_search",
        "referrer_contacted",
        "school_place",
        "home_education",
        "school_attendance_order",
        "other_la_tracking",
        "closed",
    } <= set(states)
    assert chart["initial"] == "received"


def test_workflow_diagram_is_mermaid_drawn_from_the_yaml() -> None:
    diagram = cme("workflow", "diagram", "school-referral")

    assert diagram.output.startswith("---") or "stateDiagram-v2" in diagram.output
    assert "housing_check --> lost_pupil_upload: remove_from_roll" in diagram.output


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["case"],
        ["case", "open"],
        ["case", "advance"],
        ["case", "show"],
        ["case", "actions"],
        ["cases"],
        ["audit", "history"],
        ["workflow", "validate"],
        ["workflow", "show"],
        ["init"],
        ["tick"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(cli.app, [*command, "--help"])

    assert result.exit_code == 0
    assert "Usage" in result.output


def test_advance_prompts_for_the_step_and_its_evidence_at_a_terminal(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = open_case(database)
    monkeypatch.setattr(cli, "interactive", lambda: True)
    answers = iter(["begin_enquiries"])
    monkeypatch.setattr(cli, "_ask", lambda prompt, choices=(): next(answers))

    result = runner.invoke(cli.app, ["case", "advance", str(case["id"]), "--yes"])

    assert result.exit_code == 0, result.output
    assert "begin_enquiries - received -> enquiries" in result.output


def test_evidence_prompts_repeat_until_the_value_is_valid(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = open_case(database)
    cme("case", "advance", str(case["id"]), "begin_enquiries")
    monkeypatch.setattr(cli, "interactive", lambda: True)
    answers = iter(["telephone", "la", "yesterday", "2026-11-02", "Rang twice"])
    monkeypatch.setattr(cli, "_ask", lambda prompt, choices=(): next(answers))

    result = runner.invoke(
        cli.app, ["case", "advance", str(case["id"]), "record_enquiry", "--yes"]
    )

    assert result.exit_code == 0, result.output
    assert "made_on: must be a date as YYYY-MM-DD (got 'yesterday')" in result.output
    history = cme("audit", "history", str(case["id"]), "--json")
    assert history[-1]["evidence"] == {
        "enquiry_method": "telephone",
        "made_by": "la",
        "made_on": "2026-11-02",
        "summary": "Rang twice",
    }
