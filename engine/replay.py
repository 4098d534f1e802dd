"""Replay: a case's events run through the definition version it was opened on, following
each `migrated` event onto its new version, checking every step was legal when it was made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.chain import CORRECTED_TRIGGER, MIGRATED_TRIGGER, OPEN_TRIGGER, SYSTEM_EVENTS
from engine.definition import OUTCOME_FIELD, WorkflowDefinition
from engine.ports import GENESIS_HASH, EventRecord

DefinitionSource = Callable[[str], WorkflowDefinition]
"""Finds a definition by its version (content hash)."""


@dataclass
class Replayed:
    """A case rebuilt from its events."""

    state: str = ""
    version: int = 0
    facts: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    head_hash: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)
    definition_version: str = ""
    """The definition version in force after the last event replayed."""
    at: datetime | None = None
    """When the last event replayed was recorded."""


def opening_version(pinned: str, events: Iterable[EventRecord]) -> str:
    """The definition version a case was opened on: the `from_version` of its first
    `migrated` event, else the version it is pinned to now."""
    for event in events:
        if event.trigger == MIGRATED_TRIGGER:
            found = event.evidence.get("from_version")
            return str(found) if found else pinned
    return pinned


def replay(
    definition: WorkflowDefinition,
    events: Sequence[EventRecord],
    as_of: datetime | None = None,
    definitions: DefinitionSource | None = None,
) -> Replayed:
    """Rebuild a case from its events (up to `as_of`), checking each step was legal.

    Args:
        definition: the version the case was opened on (see `opening_version`).
        events: the case's events, by seq.
        as_of: replay only events recorded at or before this moment.
        definitions: finds the version a `migrated` event moves the case onto.

    Returns:
        The rebuilt case, with every problem found (an empty list: every step was legal).
    """
    result = Replayed(definition_version=definition.version)
    current = definition
    for event in events:
        if as_of is not None and event.at > as_of:
            break
        if event.trigger == MIGRATED_TRIGGER and event.seq != 1:
            current = _replay_migration(current, result, event, definitions)
        else:
            _replay_one(current, result, event)
        result.at = event.at
    return result


def _replay_migration(
    definition: WorkflowDefinition,
    r: Replayed,
    event: EventRecord,
    definitions: DefinitionSource | None,
) -> WorkflowDefinition:
    where = f"event {event.seq} ({event.trigger})"
    evidence = event.evidence
    target: WorkflowDefinition | None = None
    if event.from_state != r.state:
        r.problems.append(
            f"{where}: recorded from '{event.from_state}' but the case was in '{r.state}'"
        )
    if evidence.get("from_version") != definition.version:
        r.problems.append(
            f"{where}: migrates from version {str(evidence.get('from_version'))[:12]} but the "
            f"case ran on {definition.version[:12]}"
        )
    to_version = evidence.get("to_version")
    if not isinstance(to_version, str) or definitions is None:
        r.problems.append(f"{where}: cannot follow the migration (its new version is unknown)")
    else:
        try:
            target = definitions(to_version)
        except Exception as exc:  # noqa: BLE001 - any lookup failure is a replay problem
            r.problems.append(f"{where}: version {to_version[:12]} not found ({exc})")
    if target is not None and event.to_state not in target.states:
        r.problems.append(f"{where}: version {target.version[:12]} has no '{event.to_state}'")
    r.state, r.version, r.head_hash = event.to_state, event.seq, event.hash
    if target is None:
        return definition
    r.definition_version = target.version
    return target


def _replay_one(definition: WorkflowDefinition, r: Replayed, event: EventRecord) -> None:
    where = f"event {event.seq} ({event.trigger})"
    if event.seq == 1:
        if event.trigger != OPEN_TRIGGER or event.to_state != definition.initial:
            r.problems.append(f"{where}: a case must open into '{definition.initial}'")
        r.facts = dict(event.evidence.get("facts", {}))
    elif event.trigger in SYSTEM_EVENTS:
        if event.from_state != r.state or event.to_state != r.state:
            r.problems.append(f"{where}: a system event may not change the state")
        if event.trigger == CORRECTED_TRIGGER:
            corrected_facts(r.facts, event.evidence)
    else:
        trigger = definition.triggers.get(event.trigger)
        if trigger is None:
            r.problems.append(f"{where}: the definition has no such trigger")
        elif r.state not in trigger.sources or event.to_state != trigger.target_from(r.state):
            r.problems.append(
                f"{where}: '{event.trigger}' was not legal from '{r.state}' to '{event.to_state}'"
            )
        elif event.role not in trigger.roles:
            r.problems.append(f"{where}: role '{event.role}' may not fire it")
        if trigger is not None:
            for name in trigger.sets_facts:
                if name in event.evidence:
                    r.facts[name] = event.evidence[name]
            if event.to_state in definition.states and definition.states[event.to_state].final:
                r.outcome = trigger.outcome or event.evidence.get(OUTCOME_FIELD)
    if event.from_state != r.state and event.seq != 1:
        r.problems.append(
            f"{where}: recorded from '{event.from_state}' but the case was in '{r.state}'"
        )
    r.state, r.version, r.head_hash = event.to_state, event.seq, event.hash


def corrected_facts(facts: dict[str, Any], evidence: Mapping[str, Any]) -> None:
    """Apply a `details_corrected` event's facts (`facts.after`) to `facts`, in place: the
    same rule `Engine.record` applies when the event is written."""
    changed = evidence.get("facts")
    after = changed.get("after") if isinstance(changed, Mapping) else None
    if isinstance(after, Mapping):
        for name, value in after.items():
            if value is None:
                facts.pop(str(name), None)
            else:
                facts[str(name)] = value
