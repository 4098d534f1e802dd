"""`cme workflow migrate`: move the running cases of a workflow onto a stored definition
version, each with a `migrated` event and re-projected deadlines (administrators; a dry run
for CME officers too). Exit status 2: refused (nothing written), or a case another writer
changed meanwhile (not moved; the others are).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cme.console import ActorOpt, JsonOpt, RoleOpt, dump, get_app, refusals, refuse
from cme.services.identity import acting


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
    from engine.errors import ConcurrentUpdate
    from engine.migration import check_mapping, migrate_case, plan
    from storage.audit import definition_versions, running_cases

    mapping: dict[str, str] = {}
    for pair in map_ or []:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            refuse(f"--map {pair!r}: expected OLD=NEW", as_json, "BadInput")
        mapping[old.strip()] = new.strip()
    with refusals(as_json):
        application = get_app()
        plan_only = "workflow.migrate.dry_run" if dry_run else "workflow.migrate"
        who = acting(application, plan_only, actor, role).actor
        found = definition_versions(application.db, name, to.lower())
        if not found:
            refuse(f"version_unknown: no stored version of {name} starts with {to!r}", as_json)
        if len(found) > 1:
            refuse(
                f"version_ambiguous: {to!r} names {len(found)} versions of {name}: "
                + ", ".join(v[:12] for v in found),
                as_json,
            )
        target = application.registry.compiled(found[0]).definition
        problems = check_mapping(target, mapping)
        if problems:
            refuse("; ".join(problems), as_json, "MappingRefused")
        steps = plan(list(running_cases(application.db, name, target.version)), target, mapping)
        blocked = [s for s in steps if s.problem]
        if blocked:
            refuse(
                "migration refused, nothing written: "
                + "; ".join(f"case {s.case_id}: {s.problem}" for s in blocked),
                as_json,
                "MigrationRefused",
                cases=[
                    {"case_id": s.case_id, "state": s.from_state, "rule": s.problem}
                    for s in blocked
                ],
            )
        done: list[dict[str, Any]] = []
        conflicts: list[dict[str, Any]] = []
        for step in steps:
            item: dict[str, Any] = {
                "case_id": step.case_id,
                "from_version": step.from_version,
                "from_state": step.from_state,
                "to_state": step.to_state,
            }
            if dry_run:
                done.append(item)
                continue
            try:
                case, started, cancelled = migrate_case(application.engine, step, target, who)
            except ConcurrentUpdate as exc:
                conflicts.append({**item, "reason": str(exc)})
                continue
            item.update(
                {
                    "version": case.version,
                    "deadlines_cancelled": cancelled,
                    "deadlines": {t.name: t.provenance.get("due_on") for t in started},
                }
            )
            done.append(item)
    result = {
        "workflow": name,
        "to_version": target.version,
        "dry_run": dry_run,
        "mapping": mapping,
        "cases": done,
        "conflicts": conflicts,
    }
    if as_json:
        dump(result)
    else:
        verb = "would move" if dry_run else "moved"
        typer.echo(f"{verb} {len(done)} case(s) of {name} to version {target.short_version}")
        for c in done:
            typer.echo(f"  case {c['case_id']}: {c['from_state']} -> {c['to_state']}")
        for c in conflicts:
            typer.echo(f"  case {c['case_id']} NOT moved: {c['reason']}", err=True)
    if conflicts:
        raise typer.Exit(2)
