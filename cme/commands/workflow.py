"""`cme workflow validate`, `show` and `diagram`: check and read the process charts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cme.console import JsonOpt, refusals
from cme.console import dump as _dump
from cme.console import get_app as _app
from cme.console import refuse as _refuse


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `validate`, `show` and `diagram` to `cme workflow` (`migrate`:
    cme/commands/workflow_migrate.py)."""
    workflow = groups["workflow"]
    workflow.command("validate")(workflow_validate)
    workflow.command("show")(workflow_show)
    workflow.command("diagram")(workflow_diagram)


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
