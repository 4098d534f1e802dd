"""Clocks and calendars: pause and resume a case's deadlines, its timeline, the school
calendars (show, import an ICS feed, re-project deadlines after a change), and the scheduler.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cme import access
from cme.console import (
    ActorOpt,
    CaseId,
    JsonOpt,
    RoleOpt,
    dump,
    get_app,
    refusals,
    refuse,
)
from cme.services.identity import cli_principal

calendar_app = typer.Typer(no_args_is_help=True, help="School calendars (term dates, closures).")


def register(groups: dict[str, typer.Typer]) -> None:
    """Add the clock commands."""
    case = groups["case"]
    case.command("pause")(case_pause)
    case.command("resume")(case_resume)
    case.command("timeline")(case_timeline)
    groups["app"].add_typer(calendar_app, name="calendar")
    groups["app"].command("scheduler")(scheduler)


def case_pause(
    case_id: CaseId,
    reason: Annotated[str, typer.Option(help="Why the clock stops (recorded on the case).")],
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pause a case's deadlines, e.g. while the family is confirmed abroad."""
    from cme.services import cases

    with refusals(as_json):
        app = get_app()
        principal = cli_principal(app, actor, role, "case.pause")
        case = cases.pause(app, principal, case_id, reason)
    result = {
        "id": case.id,
        "ref": case.ref,
        "paused_since": case.paused_since,
        "pause_reason": case.pause_reason,
        "version": case.version,
    }
    if as_json:
        dump(result)
    else:
        typer.echo(f"{case.ref}: clock paused because {case.pause_reason}.")


def case_resume(
    case_id: CaseId,
    note: Annotated[str, typer.Option(help="A note recorded with the resumption.")] = "",
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resume a paused case: every running deadline moves by the days it was paused."""
    from cme.services import cases

    with refusals(as_json):
        app = get_app()
        principal = cli_principal(app, actor, role, "case.resume")
        moves = cases.resume(app, principal, case_id, note)
    if as_json:
        dump({"id": case_id, "moved": moves.moved})
        return
    typer.echo(f"Case {case_id}: clock resumed.")
    for m in moves.moved:
        typer.echo(f"  {m['deadline']}: {m['from']} -> {m['to']}")


def timeline_rows(app: Any, case_id: int) -> list[dict[str, Any]]:
    """Every deadline the case ever had, past and future, by due time."""
    from storage import queries

    rows = []
    for t in queries.all_timers(app.db, case_id):
        p = t.provenance
        rows.append(
            {
                "deadline": t.name,
                "title": p.get("title", t.name),
                "status": t.status,
                "due_on": p.get("due_on"),
                "due_at": t.due_at.isoformat(),
                "counted": f"{p.get('after')} {str(p.get('unit', '')).replace('_', ' ')} from "
                f"{p.get('counted_from')} ({p.get('anchor')})",
                "calendar": p.get("calendar"),
                "provisional": bool(p.get("provisional")),
                "condition": p.get("condition"),
                "finished_at": t.finished_at.isoformat() if t.finished_at else None,
                "reason": t.reason,
            }
        )
    return rows


def case_timeline(case_id: CaseId, as_json: JsonOpt = False) -> None:
    """Past and future deadlines of a case, one line each."""
    with refusals(as_json):
        app = get_app()
        who = access.reader(app)
        case = app.engine.get(case_id)
        rows = timeline_rows(app, case_id)
        access.record(app, who, case_id, "case timeline")
    if as_json:
        dump(rows)
        return
    paused = ""
    if case.paused_since is not None:
        paused = f" - clock paused since {case.paused_since:%Y-%m-%d} because {case.pause_reason}"
    typer.echo(f"{case.ref}: {case.state}{paused}")
    marks = {"pending": " ", "fired": "✓", "cancelled": "-", "void": "x"}
    for r in rows:
        extra = " (provisional)" if r["provisional"] else ""
        extra += (
            f" only if {r['condition']}" if r["condition"] and r["status"] == "pending" else ""
        )
        done = f" - {r['status']} {r['finished_at'][:16]}" if r["finished_at"] else ""
        typer.echo(
            f"{marks.get(r['status'], '?')} {r['due_on']}  {r['title']} "
            f"[{r['counted']}]{extra}{done}"
        )


@calendar_app.command("show")
def calendar_show(
    school: Annotated[
        str | None, typer.Option(help="A school id (default: the authority).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The calendar in use: name, content hash, term dates and closures; warns when today or
    the next 60 school days have no loaded term dates (deadlines are then provisional)."""
    from cme.readiness import calendar_fix, coverage_problems
    from engine.clock import local_date

    with refusals(as_json):
        app = get_app(check_schema=False)
        cal = app.calendars.for_school(school)
    warnings = [
        f"{w}; {calendar_fix(app)}" for w in coverage_problems(cal, local_date(app.clock.now()))
    ]
    first, last = cal.coverage
    data: dict[str, Any] = {
        "name": cal.name,
        "content_hash": cal.content_hash,
        "file": str(app.settings.calendar),
        "coverage": [first.isoformat(), last.isoformat()],
        "terms": [
            {"start": t.start.isoformat(), "end": t.end.isoformat(), "name": t.name}
            for t in cal.terms
        ],
        "closures": [d.isoformat() for d in cal.closures],
        "schools": list(app.calendars.school_ids),
        "coverage_warnings": warnings,
    }
    if as_json:
        dump(data)
        return
    typer.echo(
        f"{data['name']} ({data['file']}), hash {data['content_hash'][:12]}, "
        f"terms {data['coverage'][0]} to {data['coverage'][1]}"
    )
    for t in data["terms"]:
        typer.echo(f"  {t['start']} - {t['end']}  {t['name']}")
    if data["closures"]:
        typer.echo("  closures: " + ", ".join(data["closures"]))
    for w in warnings:
        typer.echo(f"WARNING: {w}")


@calendar_app.command("import")
def calendar_import(
    file: Path,
    school: Annotated[str, typer.Option(help="The school whose dates the feed gives.")],
    as_json: JsonOpt = False,
    role: RoleOpt = None,
) -> None:
    """Import a school's term dates from an ICS feed into the calendar file, then re-project
    every pending deadline counted on that school's calendar."""
    from cme.services import calendars

    with refusals(as_json):
        calendars.check_school(school)  # bad input opens no database
        app = get_app()
        principal = cli_principal(app, None, role, "calendar.import")
        done = calendars.import_school_feed(app, principal, file, school, get_app)
    if as_json:
        dump(done.as_json())
    else:
        typer.echo(
            f"Imported {done.terms} terms and {done.closures} closure days for "
            f"school {school} into {done.file}; {len(done.reprojection.moved)} deadlines moved "
            f"on {done.reprojection.cases} cases."
        )


@calendar_app.command("reproject")
def calendar_reproject(
    why: Annotated[str, typer.Option(help="Why (recorded on each case).")] = "calendar changed",
    as_json: JsonOpt = False,
    role: RoleOpt = None,
) -> None:
    """Recompute every pending deadline counted on a calendar that changed since."""
    from cme.services import calendars

    with refusals(as_json):
        app = get_app()
        principal = cli_principal(app, None, role, "calendar.reproject")
        result = calendars.reproject(app, principal, why)
    if as_json:
        dump(result.as_json())
        return
    typer.echo(f"{len(result.moved)} deadlines moved on {result.cases} cases.")
    for m in result.moved:
        typer.echo(f"  case {m['case_id']} {m['deadline']}: {m['from']} -> {m['to']}")


def scheduler(
    tick_seconds: Annotated[
        int | None, typer.Option(help="Seconds between passes (default CME_TICK_SECONDS).")
    ] = None,
) -> None:
    """Run the scheduler: fire due deadlines and deliver the outbox every few seconds.

    On start it re-projects deadlines whose calendar changed and catches up everything that
    fell due while it was down, oldest first. Stop it with Ctrl-C (or SIGTERM). It refuses to
    start (exit 2) while MASH or the CMEO has no address (CME_MASH_EMAIL, CME_CMEO_EMAIL).
    """
    from cme.scheduler import refuse_to_start, run

    with refusals(False):
        app = get_app(check_schema=False)
        problems = refuse_to_start(app)
        if problems:  # refused before the database is touched
            refuse(
                "the scheduler will not start: " + "; ".join(problems) + " (see `cme check`)",
                False,
            )
        app.check_schema()
    run(app, tick_seconds or app.settings.tick_seconds)
