"""`cme case show`, `actions`, `open` and `advance`: read a case, and change it.

Parsing, a call to the application layer (cme/services/cases.py) and printing; the read models
and their JSON live in cme/services/views.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cme.console import ActorOpt, CaseId, JsonOpt, RoleOpt, interactive, refusals
from cme.console import dump as _dump
from cme.console import get_app as _app
from cme.console import refuse as _refuse
from cme.services.identity import cli_principal
from cme.services.views import action_json

if TYPE_CHECKING:
    from cme.bootstrap import App
    from engine.definition import EvidenceSlot


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `show`, `actions`, `open` and `advance` to `cme case`."""
    case = groups["case"]
    case.command("show")(case_show)
    case.command("actions")(case_actions)
    case.command("advance")(case_advance)


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
