"""`cme`: the command line for caseworkers, CME officers, auditors and operators.

Interactive by default at a terminal (menus and prompts); every value also has a flag, and
`--json` prints exactly one JSON document on stdout, for scripts. Refusals (an illegal step,
missing or invalid evidence, a rule, a conflict, a bad referral) exit with status 2 and say
which field or rule; nothing is written. Heavy modules are imported inside commands so that
`cme --help` answers at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cme.console import (
    EXIT_REFUSED,
    ActorOpt,
    CaseId,
    JsonOpt,
    RoleOpt,
    interactive,
    refusals,
)
from cme.console import dump as _dump
from cme.console import get_app as _app
from cme.console import refuse as _refuse
from cme.services.identity import cli_principal
from cme.services.views import action_json

if TYPE_CHECKING:
    from cme.bootstrap import App
    from engine.definition import EvidenceSlot

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="cme - casework for children missing education.",
)
case_app = typer.Typer(no_args_is_help=True, help="Open, read and advance cases.")
audit_app = typer.Typer(no_args_is_help=True, help="Read a case's audited history.")
workflow_app = typer.Typer(no_args_is_help=True, help="Validate and read process charts.")
app.add_typer(case_app, name="case")
app.add_typer(audit_app, name="audit")
app.add_typer(workflow_app, name="workflow")


# --- reading a case -------------------------------------------------------------------------
# The read models and their JSON live in the application layer (cme/services/views.py); here,
# only how a terminal shows them.


def _print_case(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    head = Table.grid(padding=(0, 2))
    head.add_row("[bold]Case[/]", f"{data['ref']} (id {data['id']}, version {data['version']})")
    head.add_row("[bold]Workflow[/]", f"{data['workflow']} @ {data['definition_version'][:12]}")
    head.add_row("[bold]State[/]", f"{data['state']} - {data['state_title']}")
    child = data.get("child") or {}
    name = " ".join(p for p in (child.get("forename"), child.get("surname")) if p)
    if name:
        age = child.get("age")
        head.add_row("[bold]Child[/]", escape(name + (f", age {age}" if age is not None else "")))
    priority = data["priority"]
    head.add_row("[bold]Priority[/]", f"[red]{priority}[/]" if priority == "high" else priority)
    flags = data["facts"].get("risk_flags") or []
    head.add_row("[bold]Risk flags[/]", ", ".join(flags) or "none")
    head.add_row("[bold]Opened[/]", data["opened_at"])
    if data["paused_since"]:
        head.add_row(
            "[bold]Clock[/]",
            f"[yellow]paused since {data['paused_since'][:10]} because {data['pause_reason']}[/]",
        )
    if data["outcome"]:
        head.add_row("[bold]Outcome[/]", f"{data['outcome']} (closed {data['closed_at']})")
    head.add_row("[bold]Events[/]", str(data["events"]))
    if "assignee" in data:  # casework (cme/services/casework.py)
        head.add_row("[bold]Assigned to[/]", escape(data["assignee"] or "nobody"))
    if data["facts"].get("notes"):
        head.add_row("[bold]Referral notes[/]", escape(str(data["facts"]["notes"])))
    console.print(head)
    if data.get("notes"):
        notes = Table("when", "who", "note", title="Notes")
        for n in data["notes"]:
            notes.add_row(n["at"][:16], escape(n["actor"]), escape(n["text"] or ""))
        console.print(notes)
    if data["timers"]:
        table = Table("deadline", "due", "counted", "calendar", title="Pending deadlines")
        for t in data["timers"]:
            due = t["due_on"] + (" [yellow](provisional)[/]" if t["provisional"] else "")
            counted = (
                f"{t['after']} {t['unit'].replace('_', ' ')} from {t['counted_from']} "
                f"({t['anchor']})"
            )
            table.add_row(
                t["rule"], due, counted, f"{t['calendar']} {(t['calendar_hash'] or '')[:8]}"
            )
        console.print(table)
        for t in data["timers"]:
            if t["provisional_reason"]:
                console.print(f"[yellow]provisional:[/] {t['provisional_reason']}")
                break


def _print_actions(actions: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("trigger", "to", "evidence", "blocked by", title="Possible now")
    for a in actions:
        fields = ", ".join(f["name"] + ("" if f["required"] else "?") for f in a["evidence"])
        blocked = "\n".join(a["blocked_by"]) or "[green]-[/]"
        table.add_row(a["trigger"], a["to"], fields or "-", blocked)
    Console().print(table)


@case_app.command("show")
def case_show(case_id: CaseId, as_json: JsonOpt = False) -> None:
    """Show a case: state, priority, risk, pending deadlines and how each was worked out."""
    from cme.services import cases

    with refusals(as_json):
        application = _app()
        data = cases.show(application, cli_principal(application), case_id).detail_json()
    if as_json:
        _dump(data)
    else:
        _print_case(data)


@case_app.command("actions")
def case_actions(case_id: CaseId, as_json: JsonOpt = False, role: RoleOpt = None) -> None:
    """List what can be done next, the evidence each step needs, and what blocks it."""
    from cme.services import cases
    from cme.services.views import action_json

    with refusals(as_json):
        application = _app()
        principal = cli_principal(application, None, role)
        found = cases.actions(application, principal, case_id, for_role=role is not None)
        actions = [action_json(a) for a in found]
    if as_json:
        _dump(actions)
    else:
        _print_actions(actions)


@app.command("cases")
def cases(
    state: Annotated[str | None, typer.Option(help="Only cases in this state.")] = None,
    closed: Annotated[bool, typer.Option("--closed", help="Include closed cases.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    search: Annotated[
        str | None,
        typer.Option(
            help="Only cases whose child's name, UPN, case reference or school matches "
            "(never logged)."
        ),
    ] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only cases assigned to me.")] = False,
    assignee: Annotated[
        str | None, typer.Option(help="Only cases assigned to this account.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The queue: high priority first, then oldest first. A case whose MASH escalation is
    undelivered or unacknowledged past its deadline is marked (`escalation` in the JSON)."""
    from cme.services.queue import QueueFilter, queue

    with refusals(as_json):
        application = _app()
        wanted = QueueFilter(
            state=state,
            include_closed=closed,
            limit=limit,
            search=search,
            assignee=assignee,
            mine=mine,
        )
        rows = [e.as_json() for e in queue(application, cli_principal(application), wanted)]
    if as_json:
        _dump(rows)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Column, Table

    table = Table(
        "id",
        "ref",
        "child",
        "workflow",
        "state",
        "priority",
        "opened",
        "next deadline",
        Column("MASH", no_wrap=True, min_width=len("UNACKNOWLEDGED")),
        title=f"Case queue ({len(rows)})",
    )
    for r in rows:
        nxt = r["timers"][0] if r["timers"] else None
        table.add_row(
            str(r["id"]),
            r["ref"],
            escape(r["child_name"] or "-"),
            r["workflow"],
            r["state"],
            "[red]high[/]" if r["priority"] == "high" else r["priority"],
            r["opened_at"][:10],
            f"{nxt['due_on']} {nxt['rule']}" if nxt else "-",
            f"[bold red]{r['escalation'].upper()}[/]" if r["escalation"] else "",
        )
    Console().print(table)


# --- changing a case ------------------------------------------------------------------------
# `cme case open` (file, flags or prompts; the duplicate check) lives in cme/commands/casework.py


def _parse_sets(values: list[str], as_json: bool) -> dict[str, str]:
    evidence: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            _refuse(f"--set {ascii(item)[:60]}: expected NAME=VALUE", as_json, "BadInput")
        if name.strip() in evidence:
            _refuse(
                f"--set {ascii(name.strip())[:60]}: given twice; give each evidence field once",
                as_json,
                "BadInput",
            )
        evidence[name.strip()] = value
    return evidence


def _ask(prompt: str, choices: tuple[str, ...] = ()) -> str:
    if choices and interactive():
        import questionary

        answer: str = questionary.select(prompt, choices=list(choices)).unsafe_ask()
        return answer
    if choices:
        prompt = f"{prompt} [{'/'.join(choices)}]"
    return str(typer.prompt(prompt, default="", show_default=False))


def _prompt_evidence(
    application: App, slots: tuple[EvidenceSlot, ...], given: dict[str, str]
) -> None:
    from engine.evidence import ValueRefused, parse_value

    now = application.clock.now()
    for slot in slots:
        spec = slot.field
        if spec.name in given:
            continue
        hint = {
            "date": " (YYYY-MM-DD)",
            "datetime": " (YYYY-MM-DD HH:MM, local time)",
            "bool": " (yes/no)",
            "choices": " (comma-separated)",
        }.get(spec.type.value, "")
        optional = "" if slot.required else " (optional, Enter to skip)"
        while True:
            choices = spec.choices if spec.type.value == "choice" else ()
            value = _ask(f"{spec.title}{hint}{optional}", choices).strip()
            if not value and not slot.required:
                break
            try:
                parse_value(spec, value, now)
            except ValueRefused as exc:
                typer.echo(f"  {spec.name}: {exc}", err=True)
                continue
            given[spec.name] = value
            break


@case_app.command("advance")
def case_advance(
    case_id: CaseId,
    trigger: Annotated[
        str | None,
        typer.Argument(help="The step to take (see `case actions`); prompted for if left out."),
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Evidence as NAME=VALUE (repeat).")
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm.")] = False,
) -> None:
    """Take the next step on a case: show it, choose a step, give the evidence, confirm."""
    from cme.services import cases

    evidence = _parse_sets(set_ or [], as_json)
    ask = interactive() and not no_input and not as_json
    with refusals(as_json):
        application = _app()
        principal = cli_principal(application, actor, role, "case.advance")
        seen: int | None = None  # the version a person was shown, when one was
        if trigger is None or ask:
            options = cases.advance_options(application, principal, case_id, trigger)
            seen = options.view.case.version
            if trigger is None:
                if not ask:
                    _refuse(
                        "missing TRIGGER: name the step to take "
                        f"(see `cme case actions {case_id}`)",
                        as_json,
                        "BadInput",
                    )
                _print_case(options.view.as_json())
                _print_actions([action_json(a) for a in options.actions])
                open_steps = tuple(a.trigger for a in options.actions if not a.blocked_by)
                if not open_steps:
                    _refuse(
                        "nothing can be done on this case now: every step is blocked (see above)",
                        as_json,
                    )
                trigger = _ask("Which step?", open_steps)
            step = options.definition.triggers.get(trigger)
            if ask and any(a.trigger == trigger for a in options.actions) and step is not None:
                _prompt_evidence(application, step.evidence, evidence)
                summary = ", ".join(f"{k}={v}" for k, v in evidence.items()) or "no evidence"
                if not yes and not typer.confirm(f"Apply {trigger} ({summary})?", default=True):
                    typer.echo("Nothing was done.")
                    raise typer.Exit(1)
        done = cases.advance(application, principal, case_id, trigger, evidence, seen)
        data, applied = done.view.as_json(), done.applied
    if as_json:
        _dump(done.as_json())
        return
    typer.echo(
        f"{data['ref']}: {applied.event.trigger} - {applied.event.from_state} -> "
        f"{applied.event.to_state} (version {data['version']})"
    )
    for follow in applied.followed_by:
        typer.echo(f"  then {follow.event.trigger} -> {follow.event.to_state}")


# --- audit -----------------------------------------------------------------------------------
# `cme audit ...` (history, verify, replay, export, ...) lives in cme/commands/audit.py.


# --- workflows --------------------------------------------------------------------------------
@workflow_app.command("validate")
def workflow_validate(file: Path, as_json: JsonOpt = False) -> None:
    """Check a chart file fully; report the file, line and reason of the first problem."""
    import workflows
    from engine.errors import DefinitionError
    from engine.loader import load_definition_file
    from notifications.catalogue import template_names

    try:
        d = load_definition_file(file, workflows.known(template_names()))
    except DefinitionError as exc:
        _refuse(
            f"invalid: {exc}",
            as_json,
            "DefinitionError",
            file=str(file),
            line=exc.line,
            reason=exc.reason,
        )
    result = {
        "file": str(file),
        "workflow": d.workflow,
        "version": d.version,
        "states": len(d.states),
        "triggers": len(d.triggers),
        "valid": True,
    }
    if as_json:
        _dump(result)
    else:
        typer.echo(
            f"{file}: valid - {d.workflow} version {d.short_version}, "
            f"{len(d.states)} states, {len(d.triggers)} triggers"
        )


def _definition(name: str, as_json: bool) -> Any:
    with refusals(as_json):
        application = _app(check_schema=False)
        return application.registry.current(name)


@workflow_app.command("show")
def workflow_show(name: str, as_json: JsonOpt = False) -> None:
    """Print a chart's states and triggers."""
    d = _definition(name, as_json)
    data = {
        "workflow": d.workflow,
        "title": d.title,
        "version": d.version,
        "initial": d.initial,
        "states": [
            {
                "id": s.id,
                "title": s.title,
                "final": s.final,
                "notify": list(s.notify),
                "timers": [
                    {
                        "name": t.name,
                        "after": t.after,
                        "unit": t.unit.value,
                        "from": t.counted_from,
                        "trigger": t.trigger,
                        "notify": list(t.notify),
                    }
                    for t in s.timers
                ],
                "outcomes": list(s.outcomes),
            }
            for s in d.states.values()
        ],
        "triggers": [
            {
                "id": t.id,
                "title": t.title,
                "from": list(t.sources),
                "to": t.target,
                "evidence": [s.field.name for s in t.evidence],
                "guards": list(t.guards),
                "roles": list(t.roles),
            }
            for t in d.triggers.values()
        ],
    }
    if as_json:
        _dump(data)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{d.workflow}[/] - {d.title} (version {d.short_version})")
    states = Table("state", "title", "notifies", "timers", title="States")
    for s in data["states"]:
        timers = ", ".join(f"{t['name']} ({t['after']} {t['unit']})" for t in s["timers"])
        title = s["title"] + (" [final]" if s["final"] else "")
        states.add_row(s["id"], title, ", ".join(s["notify"]), timers)
    console.print(states)
    triggers = Table("trigger", "from", "to", "guards", "roles", title="Triggers")
    for t in data["triggers"]:
        triggers.add_row(
            t["id"], ", ".join(t["from"]), t["to"], ", ".join(t["guards"]), ", ".join(t["roles"])
        )
    console.print(triggers)


@workflow_app.command("diagram")
def workflow_diagram(
    name: str,
    out: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
) -> None:
    """Print the chart as a Mermaid state diagram, drawn by `transitions` from the YAML."""
    from cme.diagram import mermaid
    from cme.files import write_output

    text = mermaid(_definition(name, False))
    if out is None:
        typer.echo(text)
    else:
        url = _app(check_schema=False).settings.database_url
        write_output(out, text.encode("utf-8"), force=force, database_url=url, as_json=False)
        typer.echo(f"wrote {out}")


# --- operations --------------------------------------------------------------------------------
@app.command("init")
def init(as_json: JsonOpt = False, role: RoleOpt = None) -> None:
    """Create or upgrade the database schema, and store the current chart versions."""
    from cme.services.admin import init as initialise

    with refusals(as_json):
        application = _app(check_schema=False, create=True)
        principal = cli_principal(application, None, role, "init")
        done = initialise(application, principal)
    result = {
        "database": done.database,
        "from": done.before,
        "to": done.after,
        "workflows": done.workflows,
        "guards_recreated": done.guards_recreated,
    }
    if as_json:
        _dump(result)
    else:
        before, after = done.before, done.after
        verb = "created" if before is None else ("upgraded" if before != after else "up to date")
        typer.echo(f"Database {result['database']}: schema {verb} (revision {after}).")
        _echo_recreated(done.guards_recreated)


def _echo_recreated(repaired: list[str]) -> None:
    if repaired:
        typer.echo(
            "Recreated the audit log's append-only guard, which was not whole: "
            + "; ".join(repaired)
            + ".",
            err=True,
        )


@app.command("tick")
def tick(as_json: JsonOpt = False) -> None:
    """Fire every deadline that has fallen due, once, deliver the outbox, and exit (cron).

    Exits 1 while any notification has no address (each role and what to set is named), while
    a MASH escalation has failed and not been sent since (each case named), and when mail was
    written to files for want of `CME_SMTP_HOST` (unless `CME_MAIL_FILES_ONLY=true`)."""
    from cme.scheduler import one_pass

    with refusals(as_json):
        application = _app()  # the system acts (cme.services.tick); no flag or variable counts
        if as_json:
            import contextlib
            import io

            with contextlib.redirect_stdout(io.StringIO()):
                result = one_pass(application)
            _dump(result)
        else:
            result = one_pass(application)
    # fail loud: a notification that reached nobody is an error until it is resolved
    errors = []
    if result["unaddressed"]:
        roles = ", ".join(sorted({m["role"] for m in result["unaddressed"]}))
        errors.append(f"notifications not addressed (roles: {roles})")
    if result["mash_undelivered"]:
        errors.append(f"MASH escalations not delivered: {', '.join(result['mash_undelivered'])}")
    if result["written_to_files_only"]:
        errors.append("mail written to files, not sent (set CME_SMTP_HOST)")
    for error in errors:
        typer.echo(f"error: {error}", err=True)
    if errors:
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    from cme import console
    from cme.console import hold_collector
    from cme.log import configure_logging

    hold_collector()  # until the app is built (cme.console.release_collector)
    if len(sys.argv) < 2 or "--help" in sys.argv[1:]:
        configure_logging("WARNING")  # help needs no settings: it answers at once
    else:
        from cme.settings import SettingsInvalid, load_settings

        try:
            settings = load_settings()  # the one read of the configuration, refused first
        except SettingsInvalid as exc:
            if "--json" in sys.argv[1:]:
                _dump({"error": {"kind": "SettingsInvalid", "message": str(exc)}})
            typer.echo(str(exc), err=True)
            sys.exit(EXIT_REFUSED)
        configure_logging(settings.log_level, fmt=settings.log_format)
        console.SETTINGS = settings  # kept for the app: read once per process
    app()


def _register_command_modules() -> None:
    """Add the commands each module of `cme/commands/` defines (see its `register`)."""
    import importlib
    import pkgutil

    import cme.commands

    groups = {"app": app, "case": case_app, "audit": audit_app, "workflow": workflow_app}
    for module in pkgutil.iter_modules(cme.commands.__path__):
        importlib.import_module(f"cme.commands.{module.name}").register(groups)


_register_command_modules()


if __name__ == "__main__":
    main()
