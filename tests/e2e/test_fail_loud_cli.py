"""Fail loud on the command line (issue 12, item 1): `cme check`, `cme tick` exit 1 while a
notification has no address, `cme scheduler` refusing to start, `cme calendar show` warnings,
`cme outbox retry` re-addressing, and the queue's escalation mark. Fixed dates (a fake clock);
the configuration comes from the environment, as an operator sets it.
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
from cme.services.identity import os_login
from cme.settings import Settings
from engine.clock import LOCAL_ZONE
from engine.testing import FakeClock
from tests.support import RECIPIENTS, school_referral

runner = CliRunner()
CONFIGURED = {
    "CME_MASH_EMAIL": "mash@luton.gov.uk",
    "CME_CMEO_EMAIL": "cme@luton.gov.uk",
    "CME_MANAGER_EMAIL": "manager@luton.gov.uk",
    "CME_EHE_EMAIL": "ehe@luton.gov.uk",
    "CME_MAIL_ALLOWED_DOMAINS": "luton.gov.uk",
    "CME_RECIPIENTS_FILE": str(RECIPIENTS),
    "CME_MAIL_FILES_ONLY": "true",
}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_ZONE).astimezone(UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local("2025-11-03T09:00"))  # Mon 3 Nov 2025, autumn term


@pytest.fixture(autouse=True)
def environment(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> Path:
    for name in (*CONFIGURED, "CME_AUDIT_KEY_FILE", "CME_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CME_DATABASE_URL", db_url)
    monkeypatch.setenv("CME_ACTOR", "tester")
    monkeypatch.setenv("CME_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setattr(console, "APP_FACTORY", lambda: build_app(Settings(), clock, False))
    return tmp_path


def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **overrides: str | None) -> None:
    """Everything `cme check` asks for, then `overrides` (None: unset): an account bound to
    this login (the tester, in every role these tests act in), recipients, mail, audit key."""
    key = tmp_path / "audit.pem"
    if not key.exists():
        cme("audit", "keygen", "--out", str(key))
        roles = ("cmeo", "caseworker", "mash", "admin")
        flags = [a for r in roles for a in ("--role", r)]
        monkeypatch.setenv("CME_ROLE", "admin")  # the first administrator (README)
        cme("user", "add", "tester", *flags, "--login", os_login())
        monkeypatch.delenv("CME_ROLE")
    for name, value in {**CONFIGURED, "CME_AUDIT_KEY_FILE": str(key), **overrides}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def cme(*args: str, code: int = 0) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    if "--json" in args and result.stdout.strip():
        return json.loads(result.stdout)
    return result


def open_case(tmp_path: Path) -> int:
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(school_referral(first_absence_date="2025-10-20")))
    opened = cme(
        "case", "open", "--workflow", "school-referral", "--file", str(path), "--json",
        "--open-anyway",  # the same fictional child again (issue 15 asks first)
    )  # fmt: skip
    return int(opened["id"])


def concern(case_id: int) -> None:
    cme(
        "case",
        "advance",
        str(case_id),
        "raise_concern",
        "--role",
        "caseworker",
        "--set",
        "concern=bruising seen by a neighbour",
        "--set",
        "raised_by=Bob Visitor",
    )


# --- cme check -------------------------------------------------------------------------------
def test_check_json_reports_every_problem_in_the_exact_shape_and_exits_1(
    clock: FakeClock,
) -> None:
    clock.set(local("2026-09-10T09:00"))  # 2026/27: no term dates shipped

    report = cme("check", "--json", code=1)

    assert set(report) == {"ok", "problems"} and report["ok"] is False
    assert all(set(p) == {"area", "message"} for p in report["problems"])
    assert all(isinstance(p["area"], str) and p["message"] for p in report["problems"])
    text = "\n".join(f"{p['area']}: {p['message']}" for p in report["problems"])
    for needle in (
        "recipients: no address configured for role mash (set CME_MASH_EMAIL)",
        "recipients: no address configured for role cmeo (set CME_CMEO_EMAIL)",
        "recipients: no address configured for role manager (set CME_MANAGER_EMAIL)",
        "recipients: no address configured for role ehe_officer (set CME_EHE_EMAIL)",
        "recipients: no recipients file (set CME_RECIPIENTS_FILE)",
        "mail: the mail allow-list is empty (set CME_MAIL_ALLOWED_DOMAINS)",
        "mail: no SMTP gateway configured (set CME_SMTP_HOST)",
        "calendar: the authority's calendar: today (2026-09-10) is not covered by loaded "
        "term dates: none are loaded for 2026/27",
        "`cme calendar import FILE --school ID`",
        "audit: no audit signing key (set CME_AUDIT_KEY_FILE",
    ):
        assert needle in text


def test_check_is_green_and_exits_0_when_everything_is_configured(
    monkeypatch: pytest.MonkeyPatch, environment: Path
) -> None:
    configure(monkeypatch, environment)

    assert cme("check", "--json") == {"ok": True, "problems": []}
    assert "ready" in cme("check").stdout


def test_check_names_an_address_off_the_allow_list_and_inconsistent_tls(
    monkeypatch: pytest.MonkeyPatch, environment: Path
) -> None:
    configure(
        monkeypatch,
        environment,
        CME_MASH_EMAIL="mash@mash.example",
        CME_SMTP_HOST="mail.luton.gov.uk",
        CME_SMTP_TLS="implicit",
        CME_SMTP_PORT="587",
    )

    report = cme("check", "--json", code=1)

    assert report["problems"] == [
        {
            "area": "mail",
            "message": "CME_MASH_EMAIL <mash@mash.example> is not on the allow-list "
            "(luton.gov.uk): messages to it would be refused",
        },
        {
            "area": "mail",
            "message": "CME_SMTP_TLS=implicit on port 587 (the STARTTLS port): use port 465, "
            "or CME_SMTP_TLS=starttls",
        },
    ]


def test_check_names_the_school_year_when_the_next_60_school_days_run_past_the_terms(
    monkeypatch: pytest.MonkeyPatch, environment: Path, clock: FakeClock
) -> None:
    configure(monkeypatch, environment)
    clock.set(local("2026-06-01T09:00"))  # covered today; 60 school days reach 2026/27

    [problem] = cme("check", "--json", code=1)["problems"]

    assert problem["area"] == "calendar"
    assert problem["message"].startswith("the authority's calendar: the next 60 school days (to ")
    assert "counted provisionally: no term dates loaded for 2026/27" in problem["message"]


def test_a_readiness_check_is_one_function_in_the_list() -> None:
    from cme import readiness

    def roles_are_self_declared(app: Any) -> Any:
        yield readiness.Problem("roles", "roles are self-declared")

    report = readiness.run_checks(build_app(Settings()), [roles_are_self_declared])

    assert report == {
        "ok": False,
        "problems": [{"area": "roles", "message": "roles are self-declared"}],
    }


# --- cme calendar show -------------------------------------------------------------------------
def test_calendar_show_warns_when_today_or_the_next_60_school_days_are_not_covered(
    clock: FakeClock,
) -> None:
    assert cme("calendar", "show", "--json")["coverage_warnings"] == []

    clock.set(local("2026-09-10T09:00"))
    shown = cme("calendar", "show")
    warnings = cme("calendar", "show", "--json")["coverage_warnings"]

    assert warnings[0].startswith(
        "today (2026-09-10) is not covered by loaded term dates: none are loaded for 2026/27"
    )
    assert "WARNING: today (2026-09-10) is not covered" in shown.stdout
    assert "cme calendar import" in shown.stdout


# --- cme scheduler -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("unset", "named"),
    [
        (("CME_MASH_EMAIL",), ["CME_MASH_EMAIL"]),
        (("CME_CMEO_EMAIL",), ["CME_CMEO_EMAIL"]),
        (("CME_MASH_EMAIL", "CME_CMEO_EMAIL"), ["CME_MASH_EMAIL", "CME_CMEO_EMAIL"]),
    ],
)
def test_the_scheduler_refuses_to_start_without_mash_or_cmeo_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
    environment: Path,
    db_url: str,
    unset: tuple[str, ...],
    named: list[str],
) -> None:
    configure(monkeypatch, environment, **dict.fromkeys(unset))
    files = {p.name: p.stat().st_mtime_ns for p in environment.glob("cme.db*")}

    refused = cme("scheduler", code=2)

    assert refused.output.startswith("the scheduler will not start: no address configured")
    for variable in named:
        assert variable in refused.output
    if db_url.startswith("sqlite"):
        # the database was not even opened
        assert {p.name: p.stat().st_mtime_ns for p in environment.glob("cme.db*")} == files


# --- cme tick, cme outbox retry, cme cases -----------------------------------------------------
def test_tick_exits_1_naming_the_role_until_the_message_is_retried_with_an_address(
    monkeypatch: pytest.MonkeyPatch, environment: Path, clock: FakeClock
) -> None:
    configure(monkeypatch, environment, CME_MASH_EMAIL=None)
    case_id = open_case(environment)
    concern(case_id)

    ticked = cme("tick", code=1)
    data = cme("tick", "--json", code=1)

    assert "NOT ADDRESSED: no address configured for role mash (set CME_MASH_EMAIL)" in (
        ticked.stdout
    )
    assert "error: notifications not addressed (roles: mash)" in ticked.stderr
    [missing] = data["unaddressed"]
    assert (missing["role"], missing["reason"]) == (
        "mash",
        "no address configured for role mash (set CME_MASH_EMAIL)",
    )
    [queued] = cme("cases", "--json")
    assert queued["escalation"] == "undelivered"
    outbox_id = str(missing["outbox_ids"][0])
    still = cme("outbox", "retry", outbox_id, code=2)
    assert "still cannot be addressed: no address configured for role mash" in still.output

    monkeypatch.setenv("CME_MASH_EMAIL", "mash@luton.gov.uk")
    retried = cme("outbox", "retry", outbox_id, "--json")
    clean = cme("tick", "--json")

    assert (retried["status"], retried["recipient"]) == ("pending", "mash@luton.gov.uk")
    assert clean["unaddressed"] == [] and clean["sent"] >= 1
    assert cme("cases", "--json")[0]["escalation"] is None


def test_tick_exits_1_naming_the_case_while_its_mash_escalation_has_failed(
    monkeypatch: pytest.MonkeyPatch, environment: Path, clock: FakeClock
) -> None:
    # MASH has no address: its escalation is queued failed, and MASH has not been told
    configure(monkeypatch, environment, CME_MASH_EMAIL=None)
    case_id = open_case(environment)
    concern(case_id)

    first = cme("tick", code=1)
    again = cme("tick", "--json", code=1)  # on every pass, not only the one that failed

    assert "MASH NOT TOLD: the escalation of CME-000001 failed" in first.stdout
    assert "error: MASH escalations not delivered: CME-000001" in first.stderr
    assert again["mash_undelivered"] == ["CME-000001"]
    failed = [m for m in cme("outbox", "list", "--json") if m["template"] == "mash_escalation"]
    assert [m["status"] for m in failed] == ["failed"]

    monkeypatch.setenv("CME_MASH_EMAIL", "mash@luton.gov.uk")
    cme("outbox", "retry", str(failed[0]["id"]))
    fixed = cme("tick", "--json")

    assert fixed["mash_undelivered"] == [] and fixed["sent"] >= 1


def test_tick_exits_1_when_mail_only_went_to_files_without_saying_that_is_intended(
    monkeypatch: pytest.MonkeyPatch, environment: Path, clock: FakeClock
) -> None:
    configure(monkeypatch, environment, CME_MAIL_FILES_ONLY=None)
    open_case(environment)  # the CMEO is told of the referral

    ticked = cme("tick", code=1)

    assert "MAIL NOT SENT: 1 message(s) were written to" in ticked.stdout
    assert "error: mail written to files, not sent (set CME_SMTP_HOST)" in ticked.stderr
    monkeypatch.setenv("CME_MAIL_FILES_ONLY", "true")
    assert cme("tick", "--json")["written_to_files_only"] is False


def test_the_queue_marks_an_escalation_unacknowledged_past_its_deadline(
    monkeypatch: pytest.MonkeyPatch, environment: Path, clock: FakeClock
) -> None:
    configure(monkeypatch, environment)
    case_id = open_case(environment)
    other = open_case(environment)
    concern(case_id)
    cme("tick")
    assert [c["escalation"] for c in cme("cases", "--json")] == [None, None]

    clock.set(local("2025-11-05T09:00"))  # one working day (Tue 4 Nov) has passed
    queue = {c["id"]: c["escalation"] for c in cme("cases", "--json")}

    assert queue == {case_id: "unacknowledged", other: None}
    assert "UNACKNOWLEDGED" in cme("cases").stdout
