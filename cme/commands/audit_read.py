"""Auditors' reading commands: `cme audit history`, `replay`, `export` and `access`.

Each parses, calls one service (`cme.services.replay`, `cme.services.export`) and prints;
the services keep the access log. Exit status: 0 all well; 1 replay found a step not legal or
a difference from the stored case; 2 a refusal, naming its rule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from cme.commands.audit import EXIT_BROKEN, KeyOpt, _private_key
from cme.console import CaseId, JsonOpt, dump, get_app, refusals, refuse
from cme.services.identity import cli_principal


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `cme audit history`, `replay`, `export` and `access`."""
    audit = groups["audit"]
    audit.command("replay")(replay_command)
    audit.command("history")(history)
    audit.command("export")(export)
    audit.command("access")(access)


# --- replay ----------------------------------------------------------------------------------
def _as_of(text: str | None, as_json: bool) -> datetime | None:
    from engine.clock import LOCAL_ZONE

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_ZONE)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        refuse(
            f"--as-of {ascii(text)[:60]}: expected an ISO date-time within the calendar, "
            "e.g. 2025-11-10T09:00 (local time unless it has an offset)",
            as_json,
            "BadInput",
        )


def replay_command(
    case_id: CaseId,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="ISO moment (local time unless it has an offset)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rebuild a case from its events on the definition versions it ran on, as it stood at a
    moment: state, facts, evidence, pending deadlines, queued notifications, and any difference
    from the stored case. Exit status 1 if a step was not legal or the stored case differs."""
    from cme.services.replay import replay

    moment = _as_of(as_of, as_json)
    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application)
        result = replay(application, principal, case_id, moment, as_of or "")
    if as_json:
        dump(result.as_json())
    else:
        _print_replay(result.as_json())
    if not result.legal or not result.matches:
        raise typer.Exit(EXIT_BROKEN)


def _print_replay(r: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    when = r["as_of"] or "now"
    console.print(
        f"[bold]{r['ref']}[/] as of {when}: [bold]{r['state']}[/] (version {r['version']}, "
        f"definition {r['definition_version'][:12]}, head {r['head_hash'][:12]})"
    )
    if r["later_events"]:
        console.print(f"{r['later_events']} later event(s) are not shown")
    events = Table("seq", "at (UTC)", "step", "from -> to", "by", "evidence", title="Events")
    for e in r["events"]:
        shown = {k: v for k, v in e["evidence"].items() if k not in ("referral", "facts")}
        events.add_row(
            str(e["seq"]),
            e["at"][:16],
            e["trigger"],
            f"{e['from'] or '-'} -> {e['to']}",
            f"{e['actor']} ({e['role']})",
            ", ".join(f"{k}={v}" for k, v in shown.items()),
        )
    console.print(events)
    if r["deadlines"]:
        table = Table("deadline", "due", "counted", "calendar", title="Pending deadlines then")
        for t in r["deadlines"]:
            table.add_row(
                t["rule"],
                f"{t['due_on']} ({t['due_at']})",
                f"{t['after']} {t['unit']} from {t['counted_from']} ({t['anchor']})",
                f"{t['calendar']} {(t['calendar_hash'] or '')[:8]}",
            )
        console.print(table)
    if r["notifications"]:
        table = Table("seq", "template", "to", "queued", title="Notifications queued by then")
        for m in r["notifications"]:
            table.add_row(str(m["event_seq"]), m["template"], m["recipient"], m["queued_at"])
        console.print(table)
    for problem in r["problems"]:
        console.print(f"[red]not legal:[/] {problem}")
    for d in r["differences"]:
        console.print(
            f"[red]differs:[/] {d['field']}: replayed {d['replayed']}, stored {d['stored']}"
        )
    if not r["problems"] and not r["differences"]:
        console.print("[green]every step was legal; the stored case matches[/]")


# --- history, export, access -------------------------------------------------------------------
def history(case_id: CaseId, as_json: JsonOpt = False) -> None:
    """The case's events in order: who did what, when, with what evidence."""
    from cme.services.replay import history as read_history

    with refusals(as_json):
        application = get_app()
        found = read_history(application, cli_principal(application), case_id)
        case, events = found.case, found.as_json()
    if as_json:
        dump(events)
        return
    from rich.console import Console
    from rich.table import Table

    from engine.clock import LOCAL_ZONE
    from engine.evidence import parse_utc

    table = Table(
        "seq",
        "when (local)",
        "step",
        "from -> to",
        "by",
        "evidence",
        "hash",
        title=f"History of {case.ref}",
    )
    for e in events:
        when = parse_utc(e["at"]).astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")
        shown = {k: v for k, v in e["evidence"].items() if k not in ("referral", "facts")}
        table.add_row(
            str(e["seq"]),
            when,
            e["trigger"],
            f"{e['from'] or '-'} -> {e['to']}",
            f"{e['actor']} ({e['role']})",
            ", ".join(f"{k}={v}" for k, v in shown.items()),
            e["hash"][:10],
        )
    Console().print(table)


def export(
    case_id: CaseId,
    out: Annotated[Path, typer.Option("--out", help="The JSONL file to write (owner-only).")],
    key: KeyOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a case's events and the definition source(s) they ran on, one JSON document a
    line; signed with the audit key when one is configured."""
    from cme.files import write_output
    from cme.services.export import export as export_case

    private = _private_key(key, as_json)
    with refusals(as_json):
        application = get_app()
        url = application.settings.database_url

        def write(text: bytes) -> None:
            write_output(out, text, force=force, database_url=url, as_json=as_json)

        principal = cli_principal(application)
        done = export_case(application, principal, case_id, private, write, out.name)
    result = {"case_id": case_id, "file": str(out), "events": done.events, "signed": done.signed}
    if as_json:
        dump(result)
    else:
        signed = "signed" if done.signed else "unsigned (no audit key)"
        typer.echo(f"wrote {out}: {done.events} events of {done.case.ref}, {signed}")


def access(case_id: CaseId, as_json: JsonOpt = False) -> None:
    """Who read a case, when, and what they read."""
    from storage.audit import access_log

    with refusals(as_json):
        application = get_app()
        cli_principal(application)  # a disabled or unknown login reads nothing
        rows = [
            {
                "at": r["at"].isoformat(),
                "actor": r["actor"],
                "role": r["role"],
                "case_id": r["case_id"],
                "action": r["action"],
                "detail": r["detail"],
            }
            for r in access_log(application.db, case_id)
        ]
    if as_json:
        dump(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("when (UTC)", "who", "role", "read", "detail", title=f"Access to case {case_id}")
    for r in rows:
        table.add_row(r["at"][:19], r["actor"], r["role"], r["action"], r["detail"])
    Console().print(table)
