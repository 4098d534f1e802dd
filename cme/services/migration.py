"""Workflow migration, for every door: move the running cases of a workflow onto a stored
definition version, each with a `migrated` event and re-projected deadlines (administrators;
a dry run, which writes nothing, for CME officers too).

Refused, with nothing written, when the version is unknown or ambiguous, the mapping names
states the new version lacks, or a running case's state is neither in the new version nor
mapped. A case another writer changed meanwhile is not moved (a conflict); the others are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cme.services.errors import Refused
from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal


def migrate_action(dry_run: bool) -> str:
    """The permission `migrate` asks for."""
    return "workflow.migrate.dry_run" if dry_run else "workflow.migrate"


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """`OLD=NEW` pairs as a state mapping.

    Raises:
        Refused: `BadInput`, naming the pair that is not OLD=NEW.
    """
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise Refused(f"--map {pair!r}: expected OLD=NEW", "BadInput")
        mapping[old.strip()] = new.strip()
    return mapping


@dataclass(frozen=True, slots=True)
class Migration:
    """What a migration did (or, dry, would do): the cases moved and those not moved."""

    workflow: str
    to_version: str
    short_version: str
    dry_run: bool
    mapping: dict[str, str]
    cases: tuple[dict[str, Any], ...]
    """case_id, from_version, from_state, to_state (and, not dry: version,
    deadlines_cancelled, deadlines)."""
    conflicts: tuple[dict[str, Any], ...]
    """The cases another writer changed meanwhile, with the reason."""

    def as_json(self) -> dict[str, Any]:
        """The document `cme workflow migrate --json` prints."""
        return {
            "workflow": self.workflow,
            "to_version": self.to_version,
            "dry_run": self.dry_run,
            "mapping": dict(self.mapping),
            "cases": list(self.cases),
            "conflicts": list(self.conflicts),
        }


def migrate(
    app: App,
    principal: Principal,
    name: str,
    to: str,
    mapping: dict[str, str],
    dry_run: bool = False,
) -> Migration:
    """Move the running cases of workflow `name` onto its stored version starting with `to`.

    Raises:
        ServiceRefusal: the principal may not (recorded in the access log).
        Refused: `refused` (version unknown or ambiguous), `MappingRefused`,
            `MigrationRefused` (`cases`: each blocked case, its state and the rule).
    """
    from engine.errors import ConcurrentUpdate
    from engine.migration import check_mapping, migrate_case, plan
    from storage.audit import definition_versions, running_cases

    authorize(app, principal, migrate_action(dry_run))
    found = definition_versions(app.db, name, to.lower())
    if not found:
        raise Refused(f"version_unknown: no stored version of {name} starts with {to!r}")
    if len(found) > 1:
        raise Refused(
            f"version_ambiguous: {to!r} names {len(found)} versions of {name}: "
            + ", ".join(v[:12] for v in found)
        )
    target = app.registry.compiled(found[0]).definition
    problems = check_mapping(target, mapping)
    if problems:
        raise Refused("; ".join(problems), "MappingRefused")
    steps = plan(list(running_cases(app.db, name, target.version)), target, mapping)
    blocked = [s for s in steps if s.problem]
    if blocked:
        raise Refused(
            "migration refused, nothing written: "
            + "; ".join(f"case {s.case_id}: {s.problem}" for s in blocked),
            "MigrationRefused",
            cases=[
                {"case_id": s.case_id, "state": s.from_state, "rule": s.problem} for s in blocked
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
            case, started, cancelled = migrate_case(app.engine, step, target, principal.actor)
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
    return Migration(
        name,
        target.version,
        target.short_version,
        dry_run,
        mapping,
        tuple(done),
        tuple(conflicts),
    )
