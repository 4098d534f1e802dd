"""What a new `cme` process loads to read a case (benchmark figure 7): a behavioural guard.

`cme case show` renders no message and counts no deadline, so it must not import jinja2 (the
templates), `holidays` (the calendar), aiosmtplib or cryptography; and the console script turns
the cycle collector back on once the application is built (`cme.console.release_collector`),
so a long-running command collects as usual. No timings here: bench/cli_figs.py measures.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cme import cli, console
from tests.support import school_referral

NOT_FOR_READING = ("jinja2", "holidays", "aiosmtplib", "cryptography", "notifications.rendering")

# The console script's own code (`from cme.cli import main; sys.exit(main())`), reporting on
# exit what the process imported and whether the collector is on.
SCRIPT = """
import atexit, gc, json, sys
def report():
    sys.stderr.write("\\nREPORT " + json.dumps(
        {"modules": sorted(sys.modules), "gc_enabled": gc.isenabled()}) + "\\n")
atexit.register(report)
sys.argv = ["cme", *sys.argv[1:]]
from cme.cli import main
sys.exit(main())
"""


def _run(args: list[str], env: dict[str, str]) -> tuple[str, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = done.stderr.rsplit("REPORT ", 1)[1]
    return done.stdout, json.loads(report)


@pytest.fixture
def env_with_a_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path}/cme.db"
    for name, value in {
        "CME_DATABASE_URL": url,
        "CME_ACTOR": "tester",
        "CME_CMEO_EMAIL": "cme@luton.gov.uk",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(console, "APP_FACTORY", None)
    referral = tmp_path / "referral.json"
    referral.write_text(json.dumps(school_referral(first_absence_date="2026-10-05")))
    opened = CliRunner().invoke(
        cli.app, ["case", "open", "--workflow", "school-referral", "--file", str(referral)]
    )
    assert opened.exit_code == 0, opened.output
    return dict(os.environ)


def test_case_show_in_a_new_process_loads_no_renderer_calendar_or_mail(
    env_with_a_case: dict[str, str],
) -> None:
    out, report = _run(["case", "show", "1", "--json"], env_with_a_case)

    in_process = CliRunner().invoke(cli.app, ["case", "show", "1", "--json"])
    loaded = sorted(m for m in NOT_FOR_READING if m in report["modules"])
    assert loaded == []
    assert json.loads(out) == json.loads(in_process.stdout)
    assert json.loads(out)["ref"] == "CME-000001"
    assert report["gc_enabled"] is True


def test_case_show_as_a_table_loads_no_renderer_either(env_with_a_case: dict[str, str]) -> None:
    out, report = _run(["case", "show", "1"], env_with_a_case)

    assert sorted(m for m in NOT_FOR_READING if m in report["modules"]) == []
    assert "CME-000001" in out


def test_the_collector_is_held_only_by_the_console_script() -> None:
    frozen = gc.get_freeze_count()
    console.release_collector()  # not held (tests, the demo): nothing happens
    assert (gc.isenabled(), gc.get_freeze_count()) == (True, frozen)

    console.hold_collector()
    try:
        assert not gc.isenabled()
        console.release_collector()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.enable()
        gc.unfreeze()  # give this test process's objects back to the collector
