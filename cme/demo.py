"""`make demo`: cases on both charts walked through their states with the real CLI commands.

The demo runs the `cme` commands in-process against `./var/demo.db` with a simulated clock (time
is an input), so it can cross statutory deadlines in seconds: a high-risk child escalates to
MASH when five school days pass, and removal from roll is refused before day 20 and before
the school's and the LA's enquiries span four weeks.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.rule import Rule

from engine.clock import LOCAL_ZONE
from engine.testing import FakeClock
from storage.files import private_dir, write_atomic

VAR = Path("var")
DB = VAR / "demo.db"
console = Console()
clock = FakeClock(datetime(2025, 10, 13, 9, 0, tzinfo=LOCAL_ZONE))


def at(text: str) -> None:
    """Move the simulated clock to a local date-time."""
    clock.set(datetime.fromisoformat(text).replace(tzinfo=LOCAL_ZONE).astimezone(UTC))
    console.print(f"[dim]-- simulated time: {text} (Europe/London) --[/]")


def cme(*args: str, show: bool = True) -> tuple[int, str]:
    """Run one `cme` command in-process, as a caseworker would type it."""
    from typer.testing import CliRunner

    from cme import cli

    console.print(f"[bold cyan]$ cme {' '.join(args)}[/]")
    result = CliRunner().invoke(cli.app, list(args))
    if show:
        console.print(result.output.rstrip(), markup=False, highlight=False)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def open_case(workflow: str, referral: dict[str, object]) -> int:
    """Open a case from a referral file and return its id."""
    path = VAR / f"referral-{len(list(VAR.glob('referral-*.json'))) + 1}.json"
    write_atomic(path, json.dumps(referral, indent=2).encode(), replace=True)
    code, out = cme(
        "case", "open", "--workflow", workflow, "--file", str(path), "--json", show=False
    )
    if code != 0:
        raise SystemExit(f"opening failed: {out}")
    data = json.loads(out)
    console.print(
        f"opened {data['ref']} (id {data['id']}): state {data['state']}, priority "
        f"{data['priority']}"
    )
    return int(data["id"])


def child(forename: str, dob: str, upn: str | None = None) -> dict[str, object]:
    """A sample child (fictional)."""
    details: dict[str, object] = {"forename": forename, "surname": "Sample", "date_of_birth": dob}
    if upn:
        details["upn"] = upn
    return details


RECIPIENTS = VAR / "demo-recipients.yaml"
RECIPIENTS_TEXT = """\
# The demo's schools and a neighbouring authority (fictional addresses).
schools:
  "8212001": office@sample-primary.luton.sch.uk
  "8212002": office@sample-academy.luton.sch.uk
las:
  "822": cme@bedford.gov.uk
"""


def _demo_key() -> Path:
    """A fresh audit signing key for the demo (`cme audit keygen` in real use)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    key = VAR / "demo-audit-key.pem"
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    )
    key.chmod(0o600)
    RECIPIENTS.write_text(RECIPIENTS_TEXT, encoding="utf-8")
    return key


REFERRER = {
    "name": "Ms J Head",
    "organisation": "Sample Primary School",
    "email": "office@sample-primary.luton.sch.uk",
}


DEMO_OFFICER = "demo.officer"
"""The demo's one account, bound to the login running it, in every role the story needs."""


def _add_demo_account(settings: Any) -> None:
    """Bind an account to this login, as an operator's first step would (README, "Who is
    acting"): from then on roles come from the account, and `cme check` is green."""
    from cme import console as cme_console
    from cme.bootstrap import build_app
    from cme.services.identity import os_login

    first_admin = settings.model_copy(update={"role": "admin"})  # CME_ROLE=admin, this once
    cme_console.APP_FACTORY = lambda: build_app(first_admin, clock)
    roles = ("cmeo", "caseworker", "mash", "ehe_officer", "auditor", "admin")
    cme(
        "user",
        "add",
        DEMO_OFFICER,
        *(a for r in roles for a in ("--role", r)),
        "--login",
        os_login(),
    )
    cme_console.APP_FACTORY = lambda: build_app(settings, clock)


def main() -> None:
    """Run the demo."""
    from cme import console as cme_console
    from cme.bootstrap import build_app
    from cme.settings import Settings

    for old in (DB, *VAR.glob("demo.db-*"), *VAR.glob("referral-*.json")):
        old.unlink(missing_ok=True)
    shutil.rmtree(VAR / "outbox", ignore_errors=True)
    private_dir(VAR)
    VAR.chmod(0o700)  # the demo's children are made up, but its files are kept as real ones
    os.environ.setdefault("COLUMNS", "120")  # rich's table width, not cme's configuration
    settings = Settings(
        actor=DEMO_OFFICER,
        database_url=f"sqlite:///{DB}",
        mash_email="mash@luton.gov.uk",
        cmeo_email="cme@luton.gov.uk",
        ehe_email="ehe@luton.gov.uk",
        manager_email="education.manager@luton.gov.uk",
        mail_allowed_domains="luton.gov.uk,luton.sch.uk,bedford.gov.uk",
        recipients_file=RECIPIENTS,
        audit_key_file=_demo_key(),
        mail_files_only=True,  # the demo writes .eml files on purpose
    )
    cme_console.APP_FACTORY = lambda: build_app(settings, clock)

    console.print(Rule("cme demo: Luton 2025/26, simulated time"))
    cme("init")
    _add_demo_account(settings)
    code, _ = cme("check")  # configuration required for safe operation (README)
    if code != 0:
        raise SystemExit("cme check found problems in the demo's configuration")

    console.print(Rule("Chart 2: a school reports a missing pupil"))
    amy = open_case(
        "school-referral",
        {
            "child": child("Amy", "2015-03-14", "H801200001001"),
            "school": {"id": "8212001", "name": "Sample Primary School"},
            "first_absence_date": "2025-09-22",
            "reason": "did not return after a weekend; family not seen at the address",
            "risk_flags": [],
            "referrer": REFERRER,
        },
    )
    cme("case", "actions", str(amy))
    cme("case", "advance", str(amy), "begin_enquiries", "--role", "caseworker")
    console.print("[yellow]Enquiries are joint: each says who made it, the school or the LA:[/]")
    cme(
        "case",
        "advance",
        str(amy),
        "record_enquiry",
        "--set",
        "enquiry_method=school_staff",
        "--set",
        "made_by=school",
        "--set",
        "made_on=2025-09-23",
        "--set",
        "summary=Class teacher and SENCO: no word from the family since Fri 19 Sep",
    )
    cme(
        "case",
        "advance",
        str(amy),
        "record_enquiry",
        "--set",
        "enquiry_method=telephone",
        "--set",
        "made_by=la",
        "--set",
        "made_on=2025-10-13",
        "--set",
        "summary=Called both numbers held; no answer",
    )
    at("2025-10-14T10:00")
    console.print("[yellow]A visit without its time of day is refused:[/]")
    cme(
        "case",
        "advance",
        str(amy),
        "record_first_visit",
        "--set",
        "visited_at=2025-10-14",
        "--set",
        "officer=EWO R Patel",
        "--set",
        "outcome=no_contact",
    )
    cme(
        "case",
        "advance",
        str(amy),
        "record_first_visit",
        "--set",
        "visited_at=2025-10-14T09:15",
        "--set",
        "officer=EWO R Patel",
        "--set",
        "outcome=no_contact",
        "--set",
        "notes=Curtains drawn, post piling up",
    )
    at("2025-10-15T18:30")
    console.print("[yellow]A second visit in the morning again is refused:[/]")
    cme(
        "case",
        "advance",
        str(amy),
        "record_second_visit",
        "--set",
        "visited_at=2025-10-15T10:00",
        "--set",
        "officer=EWO R Patel",
        "--set",
        "outcome=no_contact",
    )
    cme(
        "case",
        "advance",
        str(amy),
        "record_second_visit",
        "--set",
        "visited_at=2025-10-15T14:00",
        "--set",
        "officer=EWO R Patel",
        "--set",
        "outcome=no_contact",
    )
    at("2025-10-16T19:30")
    cme(
        "case",
        "advance",
        str(amy),
        "record_third_visit",
        "--set",
        "visited_at=2025-10-16T18:10",
        "--set",
        "officer=EWO R Patel",
        "--set",
        "outcome=no_contact",
        "--set",
        "notes=Neighbour thinks the family left in September",
    )
    cme(
        "case",
        "advance",
        str(amy),
        "check_housing",
        "--set",
        "checked_on=2025-10-16",
        "--set",
        "housing_result=no_trace",
    )
    console.print(
        "[yellow]Removal before day 20, and before four weeks of enquiries, is refused, "
        "with the dates it needs:[/]"
    )
    cme(
        "case",
        "advance",
        str(amy),
        "remove_from_roll",
        "--set",
        "removal_ground=i",
        "--set",
        "pro_forma_reason=20 school days absent, enquiries failed",
    )
    at("2025-10-21T09:00")
    cme(
        "case",
        "advance",
        str(amy),
        "record_enquiry",
        "--set",
        "enquiry_method=letter",
        "--set",
        "made_by=la",
        "--set",
        "made_on=2025-10-21",
        "--set",
        "summary=No reply to the letter sent to the last known address on 13 Oct",
    )
    cme(
        "case",
        "advance",
        str(amy),
        "remove_from_roll",
        "--set",
        "removal_ground=i",
        "--set",
        "pro_forma_reason=20 school days absent; joint enquiries failed",
    )
    cme("case", "show", str(amy))
    at("2025-10-22T11:00")
    cme(
        "case",
        "advance",
        str(amy),
        "record_ctf_upload",
        "--set",
        "uploaded_on=2025-10-22",
        "--set",
        "file_name=8212001_CTF_XXXXXXX_001.xml",
    )

    console.print(Rule("A high-risk child crosses a deadline in simulated time"))
    at("2025-10-22T11:30")
    ben = open_case(
        "school-referral",
        {
            "child": child("Ben", "2012-07-02"),
            "school": {"id": "8212001", "name": "Sample Primary School"},
            "first_absence_date": "2025-10-20",
            "reason": "ran away from home, not seen since",
            "risk_flags": ["runaway"],
            "referrer": REFERRER,
        },
    )
    console.print(
        "5 school days from Wed 22 Oct: Thu 23, Fri 24, then half term 27-31 Oct, "
        "then Mon 3, Tue 4, Wed 5 Nov -> due Wed 5 Nov"
    )
    at("2025-11-04T23:00")
    cme("tick")
    cme("case", "show", str(ben))
    at("2025-11-05T00:05")
    cme("tick")
    cme("case", "show", str(ben))

    console.print(Rule("A child with a child protection plan goes to MASH at once"))
    cara = open_case(
        "school-referral",
        {
            "child": child("Cara", "2013-01-09"),
            "school": {"id": "8212002", "name": "Sample Academy"},
            "first_absence_date": "2025-11-03",
            "reason": "not in school; family left the area",
            "risk_flags": ["child_protection_plan"],
            "referrer": REFERRER,
        },
    )
    cme(
        "case",
        "advance",
        str(cara),
        "mash_acknowledged",
        "--role",
        "mash",
        "--set",
        "acknowledged_by=MASH duty officer",
    )

    console.print(Rule("Chart 1: another authority refers a child on no school roll"))
    dev = open_case(
        "out-of-school-referral",
        {
            "child": child("Dev", "2014-11-30"),
            "reason": "family moved into Luton from Bedford; child not on any roll",
            "risk_flags": [],
            "parents": ["Mrs P Sample"],
            "referrer": {"name": "CME Officer", "organisation": "Bedford Borough Council"},
        },
    )
    for step in (
        ["begin_database_search"],
        [
            "record_database_search",
            "--set",
            "searched_on=2025-11-05",
            "--set",
            "search_result=no_record",
            "--set",
            "contacted_on=2025-11-05",
            "--set",
            "enters_cme=yes",
        ],
        ["begin_enquiries"],
        ["seek_school_place", "--set", "applied_on=2025-11-05"],
    ):
        cme("case", "advance", str(dev), *step)
    at("2025-11-12T10:00")
    cme(
        "case",
        "advance",
        str(dev),
        "record_admission",
        "--set",
        "admitted_school=Sample Primary School",
        "--set",
        "admitted_on=2025-11-12",
    )
    cme(
        "case",
        "advance",
        str(dev),
        "confirm_attending",
        "--set",
        "attending_confirmed_on=2025-11-12",
    )

    console.print(Rule("Deliver the outbox (no SMTP configured: .eml files)"))
    cme("tick")

    console.print(Rule("Pausing a clock: the family is confirmed abroad"))
    at("2025-11-12T10:30")
    cme("case", "pause", str(amy), "--reason", "family confirmed abroad, awaiting evidence")
    at("2025-11-19T09:00")
    cme("case", "resume", str(amy))
    cme("case", "timeline", str(ben))

    console.print(Rule("The queue, an audited history, and the audit checks"))
    cme("cases")
    cme("cases", "--closed")
    cme("audit", "history", str(amy))
    cme("audit", "verify")
    cme("audit", "replay", str(ben), "--as-of", "2025-11-04T12:00")
    console.print(
        f"\nDemo database: {DB} (try: CME_DATABASE_URL=sqlite:///{DB} "
        f".venv/bin/cme case show {amy})"
    )


if __name__ == "__main__":
    main()
