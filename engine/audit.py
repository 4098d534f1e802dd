"""The audit chain: canonical event JSON, hashing, verification, replay.

`hash = sha256(prev_hash || canonical JSON of the event)`; canonical JSON has sorted keys, no
spaces, UTC times, and no floats (a float has no single text form). Replay runs a case's events
through the definition version it is pinned to and checks every step was legal when it was made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.definition import OUTCOME_FIELD, WorkflowDefinition
from engine.evidence import format_utc
from engine.ports import GENESIS_HASH, EventRecord

OPEN_TRIGGER = "open_case"
SYSTEM_EVENTS = frozenset(
    {
        "deadline_reached",  # a reminder timer fell due (no state change)
        "deadline_moved",  # a pending deadline was re-projected (calendar change, pause)
        "clock_paused",
        "clock_resumed",
        "notification_delivered",
        "notification_failed",
        "correction",  # a correction names the event it corrects
    }
)
"""Events the engine records that are not transitions of the chart: from == to."""


def _no_floats(value: Any) -> Any:
    if isinstance(value, float):
        raise TypeError("floats are not allowed in audited data (use text or whole numbers)")
    if isinstance(value, Mapping):
        return {str(k): _no_floats(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_floats(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8, no floats."""
    return json.dumps(
        _no_floats(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def event_body(
    case_id: int,
    seq: int,
    trigger: str,
    from_state: str,
    to_state: str,
    actor: str,
    role: str,
    at: datetime,
    evidence: Mapping[str, Any],
) -> dict[str, Any]:
    """The part of an event its hash covers."""
    return {
        "case_id": case_id,
        "seq": seq,
        "trigger": trigger,
        "from": from_state,
        "to": to_state,
        "actor": actor,
        "role": role,
        "at": format_utc(at),
        "evidence": dict(evidence),
    }


def chain_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """sha256(prev_hash || canonical JSON of body), hex."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(body)).hexdigest()


def seal(
    case_id: int,
    seq: int,
    trigger: str,
    from_state: str,
    to_state: str,
    actor: str,
    role: str,
    at: datetime,
    evidence: Mapping[str, Any],
    prev_hash: str,
) -> EventRecord:
    """Build a hash-chained event."""
    body = event_body(case_id, seq, trigger, from_state, to_state, actor, role, at, evidence)
    return EventRecord(
        case_id=case_id,
        seq=seq,
        trigger=trigger,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        role=role,
        at=at,
        evidence=dict(evidence),
        prev_hash=prev_hash,
        hash=chain_hash(prev_hash, body),
    )


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The first place a chain fails to verify."""

    case_id: int
    seq: int
    problem: str
    expected: str = ""
    stored: str = ""


def verify_chain(case_id: int, events: Iterable[EventRecord]) -> BrokenLink | None:
    """Walk one case's chain; return the first broken link, or None."""
    prev, expected_seq = GENESIS_HASH, 1
    for event in events:
        if event.seq != expected_seq:
            return BrokenLink(
                case_id,
                event.seq,
                f"sequence jumps from {expected_seq - 1} to "
                f"{event.seq} (an event is missing or out of order)",
            )
        if event.prev_hash != prev:
            return BrokenLink(
                case_id,
                event.seq,
                "prev_hash does not match the previous event",
                prev,
                event.prev_hash,
            )
        body = event_body(
            event.case_id,
            event.seq,
            event.trigger,
            event.from_state,
            event.to_state,
            event.actor,
            event.role,
            event.at,
            event.evidence,
        )
        actual = chain_hash(prev, body)
        if actual != event.hash:
            return BrokenLink(
                case_id,
                event.seq,
                "the event's content does not match its hash",
                actual,
                event.hash,
            )
        prev, expected_seq = event.hash, expected_seq + 1
    return None


@dataclass
class Replayed:
    """A case rebuilt from its events."""

    state: str = ""
    version: int = 0
    facts: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    head_hash: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)


def replay(
    definition: WorkflowDefinition, events: Sequence[EventRecord], as_of: datetime | None = None
) -> Replayed:
    """Rebuild a case from its events (up to `as_of`), checking each step was legal."""
    result = Replayed()
    for event in events:
        if as_of is not None and event.at > as_of:
            break
        _replay_one(definition, result, event)
    return result


def _replay_one(definition: WorkflowDefinition, r: Replayed, event: EventRecord) -> None:
    where = f"event {event.seq} ({event.trigger})"
    if event.seq == 1:
        if event.trigger != OPEN_TRIGGER or event.to_state != definition.initial:
            r.problems.append(f"{where}: a case must open into '{definition.initial}'")
        r.facts = dict(event.evidence.get("facts", {}))
    elif event.trigger in SYSTEM_EVENTS:
        if event.from_state != r.state or event.to_state != r.state:
            r.problems.append(f"{where}: a system event may not change the state")
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
            if definition.states[event.to_state].final:
                r.outcome = trigger.outcome or event.evidence.get(OUTCOME_FIELD)
    if event.from_state != r.state and event.seq != 1:
        r.problems.append(
            f"{where}: recorded from '{event.from_state}' but the case was in '{r.state}'"
        )
    r.state, r.version, r.head_hash = event.to_state, event.seq, event.hash
