"""A malformed `CME_*` setting is refused in one line naming the variable and the rule, exit 2,
at every command (issue 13 items 6, 7, 13, 15), never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cme import cli, console
from tests.support import school_referral

runner = CliRunner()

MALFORMED = [
    ("CME_SMTP_PORT", "abc", "valid integer"),
    ("CME_SMTP_PORT", "70000", "less than or equal to 65535"),
    ("CME_SMTP_TLS", "none", "'starttls' or 'implicit'"),
    ("CME_TICK_SECONDS", "0", "greater than or equal to 1"),
    ("CME_TICK_SECONDS", "9" * 30, "less than or equal to 86400"),
    ("CME_RETENTION_YEARS", "x", "valid integer"),
    ("CME_RETENTION_YEARS", "99999", "less than or equal to 100"),
    ("CME_LOG_LEVEL", "LOUD", "'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    ("CME_LOG_FORMAT", "xml", "'json' or 'kv'"),
    ("CME_SQLITE_SYNCHRONOUS", "OFF", "'FULL', 'EXTRA' or 'NORMAL'"),
    ("CME_DATABASE_URL", "nonsense", "must be a database URL"),
    ("CME_DATABASE_URL", "mysql://u@h/x", "SQLite or PostgreSQL only"),
    ("CME_DATABASE_URL", "sqlite:///", "a SQLite URL names a file"),
    ("CME_DATABASE_URL", "postgresql://u@h:port/x", "must be a database URL"),
    ("CME_DEADLINES", "nope", "this is not valid JSON"),
    ("CME_DEADLINES", '{"case_stalled": -1}', "case_stalled is -1"),
    ("CME_DEADLINES", '{"case_stalled": true}', "case_stalled is True"),
    ("CME_DEADLINES", '{"case_stalled": 99999999999999999999}', "whole days (0 to 365)"),
    ("CME_DEADLINES", "[" * 5000, "this is not valid JSON"),
    ("CME_MASH_EMAIL", "mash@luton.gov.uk, evil@attacker.example", "one plain email address"),
    ("CME_MASH_EMAIL", "mash@luton.gov.uk\r\nBcc: evil@attacker.example", "one plain email"),
    ("CME_CMEO_EMAIL", "CME <cme@luton.gov.uk>", "one plain email address"),
    ("CME_EHE_EMAIL", "ehe", "one plain email address"),
    ("CME_MANAGER_EMAIL", "a@b@luton.gov.uk", "one plain email address"),
    ("CME_MAIL_FROM", "noreply@luton.gov.uk\nX: y", "must be one line"),
    ("CME_MAIL_FROM", "a@luton.gov.uk, b@luton.gov.uk", "must be one address"),
    ("CME_WORKFLOWS_DIR", "/proc/no-such-folder", "must be a folder that exists"),
    ("CME_CALENDAR", "x" * 300, "is not a usable path"),
    ("CME_CME_CONTACT_EMAIL", "cme@luton.gov.uk;x@y.z", "one plain email address"),
    ("CME_MAIL_ALLOWED_DOMAINS", "luton.gov.uk, evil domain", "is not a domain"),
    ("CME_SMTP_HOST", "smtp.example.gov.uk\r\n", "must be a host name"),
    ("CME_ACTOR", "bob\r\nsystem:timer", "U+000D"),
    ("CME_AUTHORITY_NAME", "Luton\u202e", "U+202E"),
]


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CME_DATABASE_URL", f"sqlite:///{tmp_path}/cme.db")
    monkeypatch.setenv("CME_ACTOR", "tester")
    monkeypatch.setattr(console, "APP_FACTORY", None)
    path = tmp_path / "referral.json"
    first = (date.today() - timedelta(days=20)).isoformat()
    path.write_text(json.dumps(school_referral(first_absence_date=first)))
    assert runner.invoke(cli.app, ["init"]).exit_code == 0
    return tmp_path


def one_line_refusal(result: Result, variable: str, rule: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith(variable), lines[0]
    assert rule in lines[0], lines[0]


@pytest.mark.parametrize(("variable", "value", "rule"), MALFORMED)
def test_a_malformed_setting_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, rule: str
) -> None:
    monkeypatch.setenv(variable, value)
    one_line_refusal(runner.invoke(cli.app, ["cases"]), variable, rule)


def test_a_secret_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CME_SMTP_PASSWORD", "hunter2\r\nRCPT TO")
    result = runner.invoke(cli.app, ["cases"])
    one_line_refusal(result, "CME_SMTP_PASSWORD", "line breaks")
    assert "hunter2" not in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["cases"],
        ["case", "show", "1"],
        ["case", "open", "--workflow", "school-referral", "--file", "referral.json"],
        ["case", "advance", "1", "begin_enquiries"],
        ["init"],
        ["tick"],
        ["db", "check"],
        ["audit", "verify"],
        ["audit", "erase", "--due"],
        ["outbox", "list"],
        ["workflow", "show", "school-referral"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_every_command_refuses_a_malformed_setting(
    environment: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(environment)
    monkeypatch.setenv("CME_SMTP_PORT", "abc")
    one_line_refusal(runner.invoke(cli.app, command), "CME_SMTP_PORT", "valid integer")


def test_the_console_script_refuses_before_any_command(environment: Path) -> None:
    """Through `main()`: even commands that need no database (and logging's own settings)."""
    env = {**os.environ, "CME_LOG_LEVEL": "LOUD"}
    chart = Path(cli.__file__).parent.parent / "workflows" / "school-referral.yaml"
    for args in (["workflow", "validate", str(chart)], ["audit", "verify", "--file", "x"]):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from cme.cli import main; sys.exit(main())",
                *args,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().splitlines() == [
            "CME_LOG_LEVEL='LOUD': Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"
        ]


# --- item 7: deadlines --------------------------------------------------------------------------
def test_an_unknown_deadline_id_is_refused_naming_the_known_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CME_DEADLINES", '{"case_stale": 3}')
    result = runner.invoke(cli.app, ["cases"])
    one_line_refusal(result, "CME_DEADLINES", "unknown deadline id 'case_stale'")
    assert "known: case_stalled," in result.output


def test_a_high_priority_count_only_where_the_chart_has_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CME_DEADLINES", '{"missing_four_weeks.high_priority": 3}')
    one_line_refusal(
        runner.invoke(cli.app, ["cases"]),
        "CME_DEADLINES",
        "unknown deadline id 'missing_four_weeks.high_priority'",
    )


def test_valid_deadlines_are_kept() -> None:
    from cme.settings import SettingsInvalid, load_settings

    settings = load_settings(deadlines='{"case_stalled": 3, "case_stalled.high_priority": 1}')
    assert settings.deadlines == {"case_stalled": 3, "case_stalled.high_priority": 1}
    with pytest.raises(SettingsInvalid, match="CME_DEADLINES"):
        load_settings(deadlines={"case_stalled": 1.5})


# --- item 13: recipients by variable, as by file ------------------------------------------------
def test_email_variables_take_one_plain_address() -> None:
    from cme.settings import load_settings

    settings = load_settings(mash_email=" mash@luton.gov.uk ", cmeo_email="")
    assert (settings.mash_email, settings.cmeo_email) == ("mash@luton.gov.uk", None)


# --- the database the URL names -----------------------------------------------------------------
def test_a_sqlite_url_in_a_missing_folder_is_refused_unless_init(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{environment}/typo/cme.db"
    monkeypatch.setenv("CME_DATABASE_URL", url)

    one_line_refusal(runner.invoke(cli.app, ["cases"]), "CME_DATABASE_URL", "does not exist")
    assert not (environment / "typo").exists()

    assert runner.invoke(cli.app, ["init"]).exit_code == 0
    assert (environment / "typo" / "cme.db").exists()


def test_an_unreachable_postgresql_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CME_DATABASE_URL", "postgresql://cme:secret@127.0.0.1:1/cme")
    for command in (["cases"], ["init"], ["db", "check"]):
        result = runner.invoke(cli.app, command)
        one_line_refusal(result, "CME_DATABASE_URL", "cannot connect to the database")
        assert "secret" not in result.output


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"mash: mash@luton.gov.uk, evil@attacker.example\n", "not one plain email address"),
        (b"[" * 5000, "nested too deeply"),
        (b"cmeo: caf\xe9@luton.gov.uk\n", "cannot read the file"),
        (b"schools: {[1]: a@luton.gov.uk}\n", "cannot read the file"),
    ],
)
def test_a_bad_recipients_file_is_refused_naming_the_variable(
    environment: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, rule: str
) -> None:
    recipients = environment / "recipients.yaml"
    recipients.write_bytes(content)
    monkeypatch.setenv("CME_RECIPIENTS_FILE", str(recipients))
    monkeypatch.setenv("CME_CMEO_EMAIL", "cme@luton.gov.uk")
    result = runner.invoke(
        cli.app,
        [
            "case",
            "open",
            "--workflow",
            "school-referral",
            "--file",
            str(environment / "referral.json"),
        ],
    )
    one_line_refusal(result, "CME_RECIPIENTS_FILE", rule)
