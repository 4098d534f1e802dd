"""`make demo`: cases on both charts walked through their states with the real CLI commands.

The demo runs the `cme` commands in-process against `./var/demo.db` with a simulated clock (time
is an input), so it can cross statutory deadlines in seconds: a high-risk child escalates to
MASH when five school days pass, and removal from roll is refused before day 20.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from engine.clock import LOCAL_ZONE
from engine.testing import FakeClock

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
    path.write_text(json.dumps(referral, indent=2))
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


REFERRER = {
    "name": "Ms J Head",
    "organisation": "Sample Primary School",
    "email": "office@sample-primary.luton.sch.uk",
}


def main() -> None:
    """Run the demo."""
    from cme import console as cme_console
    from cme.bootstrap import build_app
    from cme.settings import Settings

    for old in (DB, *VAR.glob("demo.db-*"), *VAR.glob("referral-*.json")):
        old.unlink(missing_ok=True)
    shutil.rmtree(VAR / "outbox", ignore_errors=True)
    VAR.mkdir(exist_ok=True)
    os.environ.setdefault("CME_ACTOR", "demo.caseworker")
    os.environ.setdefault("COLUMNS", "120")
    settings = Settings(
        database_url=f"sqlite:///{DB}",
        mash_email="mash@luton.gov.uk",
        cmeo_email="cme@luton.gov.uk",
        ehe_email="ehe@luton.gov.uk",
        manager_email="education.manager@luton.gov.uk",
        mail_allowed_domains="luton.gov.uk,luton.sch.uk",
    )
    cme_console.APP_FACTORY = lambda: build_app(settings, clock)

    console.print(Rule("cme demo: Luton 2025/26, simulated time"))
    cme("init", "--role", "admin")  # an operator's step (cme.services.permissions)

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
    cme(
        "case",
        "advance",
        str(amy),
        "record_enquiry",
        "--set",
        "enquiry_method=telephone",
        "--set",
        "made_on=2025-10-13",
        "--set",
        "summary=Called both numbers held; no answer",
    )
    at("2025-10-14T10:00")
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
    console.print("[yellow]Removal before day 20 is refused, with the date it is allowed:[/]")
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
