"""`cme workflow migrate`: move the running cases of a workflow onto a stored definition
version, each with a `migrated` event and re-projected deadlines (administrators; a dry run
for CME officers too). Exit status 2: refused (nothing written), or a case another writer
changed meanwhile (not moved; the others are). The logic is cme/services/migration.py.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cme.console import ActorOpt, JsonOpt, RoleOpt, dump, get_app, refusals
from cme.services.identity import cli_principal


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `cme workflow migrate`."""
    groups["workflow"].command("migrate")(migrate)


# --- definition versions ----------------------------------------------------------------------
def migrate(
    name: str,
    to: Annotated[str, typer.Option("--to", help="The version (a unique hash prefix).")],
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="OLD=NEW: the state a case in OLD goes to (repeat)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan only, write nothing.")] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move the running cases of a workflow onto a stored definition version, each with a
    `migrated` event and re-projected deadlines. Refused if a case's state is not in the new
    version and not mapped."""
    from cme.services import migration

    with refusals(as_json):
        mapping = migration.parse_mapping(map_ or [])  # bad input opens no database
        application = get_app()
        principal = cli_principal(application, actor, role, migration.migrate_action(dry_run))
        moved = migration.migrate(application, principal, name, to, mapping, dry_run)
    if as_json:
        dump(moved.as_json())
    else:
        verb = "would move" if dry_run else "moved"
        typer.echo(f"{verb} {len(moved.cases)} case(s) of {name} to version {moved.short_version}")
        for c in moved.cases:
            typer.echo(f"  case {c['case_id']}: {c['from_state']} -> {c['to_state']}")
        for c in moved.conflicts:
            typer.echo(f"  case {c['case_id']} NOT moved: {c['reason']}", err=True)
    if moved.conflicts:
        raise typer.Exit(2)
