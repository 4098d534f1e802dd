"""`cme cases`: the caseworkers' queue (cme/services/queue.py), as a table or JSON."""

from __future__ import annotations

from typing import Annotated

import typer

from cme.console import JsonOpt, refusals
from cme.console import dump as _dump
from cme.console import get_app as _app
from cme.services.identity import cli_principal


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `cases` to the `cme` command."""
    groups["app"].command("cases")(cases)


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
