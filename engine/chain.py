"""The audit chain: canonical event JSON, hashing and sealing, redaction.

`hash = sha256(prev_hash || canonical JSON of the event body)`; canonical JSON has sorted keys,
no spaces, UTC times, and no floats (a float has no single text form). The body covers the
event's evidence through its digest, `evidence_sha256 = sha256(canonical JSON of evidence)`, so
that retention can replace the evidence of an erased case by `{"redacted": true,
"evidence_sha256": <digest>}` and the chain still verifies: verify (`engine.verify`) checks the
evidence against the digest unless the evidence is in that redacted form.

`seal` keeps the exact text it hashed (`EventRecord.body`, stored in `event.body`), so verifying
a stored chain dumps no JSON per event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from engine.errors import UnauditableValue
from engine.evidence import format_utc
from engine.ports import CaseRecord, EventRecord, UnitOfWork

OPEN_TRIGGER = "open_case"
IMPORTED_TRIGGER = "imported"
"""The first event of a case brought in from another system's register (`engine.importing`):
it opens the case straight into the state the register gives, its evidence carrying the source
row, so the history starts where cme learned of the case, with no invented earlier steps."""
MIGRATED_TRIGGER = "migrated"
"""Moves a running case onto another definition version (from -> to state, both versions in
its evidence). Replay switches definition at this event."""
SYSTEM_EVENTS = frozenset(
    {
        "deadline_reached",  # a reminder timer fell due (no state change)
        "deadline_moved",  # a pending deadline was re-projected (calendar change, pause)
        "clock_paused",
        "clock_resumed",
        "notification_delivered",
        "notification_deferred",
        "notification_failed",
        "correction",  # a correction names the event it corrects
        "primary_reason_set",  # the DfE return's primary reason for CME (cme/services/reports)
        "details_corrected",  # a child's or referral's details, before and after, and why
        "note_added",  # a note on the case (any state, MASH's included)
        "assigned",  # the case given to an account (or taken back)
        "erased",  # retention redacted the case's personal data (its evidence says how much)
        "ctf_exported",  # a Common Transfer File was written for the child (file, destination)
        "ctf_received",  # a Common Transfer File about the child was attached to the case
    }
)
"""Events the engine records that are not transitions of the chart: from == to."""
CORRECTED_TRIGGER = "details_corrected"
"""Replay applies its `facts.after` to the case's facts (a value of None removes the fact)."""

REDACTED = "redacted"
DIGEST = "evidence_sha256"
ERASED_TRIGGER = "erased"
KEEP_ON_ERASURE = frozenset({MIGRATED_TRIGGER, ERASED_TRIGGER})
"""Events whose evidence holds no personal data and which replay needs (definition versions)."""


def _no_floats(value: Any) -> Any:
    if isinstance(value, float):
        raise UnauditableValue(
            "floats are not allowed in audited data (use text or whole numbers)"
        )
    if isinstance(value, Mapping):
        return {str(k): _no_floats(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_floats(v) for v in value]
    return value


_PLAIN = frozenset({str, int, bool, type(None)})


def _is_plain(value: Any) -> bool:
    """Whether `value` is already what `_no_floats` would make of it: dicts with text keys,
    lists, text, whole numbers, booleans and None (exact types), so it can be dumped as it
    is. Checking costs a fifth of copying, and almost all evidence is such."""
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _PLAIN and not _is_plain(item)):
                return False
        return True
    if kind is list:
        return all(type(item) in _PLAIN or _is_plain(item) for item in value)
    return False


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8, no floats.

    The bytes of `json.dumps(value, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`, made by orjson (a test holds the two equal over every kind of
    text): sealing dumped JSON three times per event with the standard library. A value
    with nothing to convert (`_is_plain`) is dumped without its float-checking copy.
    """
    if not _is_plain(value):
        value = _no_floats(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def evidence_digest(evidence: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of an event's evidence, hex."""
    return hashlib.sha256(canonical_json(evidence)).hexdigest()


def is_redacted(evidence: Mapping[str, Any]) -> bool:
    """Whether evidence is in the redacted form: exactly `redacted: true` and the digest."""
    return (
        len(evidence) == 2
        and evidence.get(REDACTED) is True
        and isinstance(evidence.get(DIGEST), str)
    )


def redact(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """The redacted form of an event's evidence: its digest stands in for it."""
    if is_redacted(evidence):
        return dict(evidence)
    return {REDACTED: True, DIGEST: evidence_digest(evidence)}


def stored_digest(evidence: Mapping[str, Any]) -> str:
    """The digest the hash covers: the kept digest when redacted, else computed (leniently:
    a tampered float or odd value only gives another digest, never an exception)."""
    if is_redacted(evidence):
        return str(evidence[DIGEST])
    try:
        text = json.dumps(evidence, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(evidence)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    digest: str | None = None,
) -> dict[str, Any]:
    """The part of an event its hash covers (the evidence through its digest; `digest`:
    already worked out from the evidence)."""
    return {
        "case_id": case_id,
        "seq": seq,
        "trigger": trigger,
        "from": from_state,
        "to": to_state,
        "actor": actor,
        "role": role,
        "at": format_utc(at),
        DIGEST: stored_digest(evidence) if digest is None else digest,
    }


def body_text(body: Mapping[str, Any]) -> str:
    """The canonical JSON text of an event body (`event_body`): what `seal` hashes and keeps.

    The body holds only text and whole numbers, so it is dumped directly, without the float
    check `canonical_json` makes: the same text, faster.
    """
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def sealed_text(event: EventRecord) -> str:
    """The text an event's hash covers after its prev_hash: its stored body, or (an event
    stored before bodies were) the canonical body rebuilt from its record."""
    return event.body or body_text(record_body(event, stored_digest(event.evidence)))


def hash_text(prev_hash: str, body: str) -> str:
    """sha256(prev_hash || body), hex: the chain's rule over a body's canonical text."""
    return hashlib.sha256(prev_hash.encode("ascii") + body.encode("utf-8")).hexdigest()


def chain_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """sha256(prev_hash || canonical JSON of body), hex."""
    return hash_text(prev_hash, body_text(body))


def seal(
    *,
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
    """Build a hash-chained event (the evidence must be canonical: no floats)."""
    canonical = canonical_json(evidence)  # refuses floats before anything is sealed
    digest = (
        str(evidence[DIGEST]) if is_redacted(evidence) else hashlib.sha256(canonical).hexdigest()
    )
    body = body_text(
        event_body(case_id, seq, trigger, from_state, to_state, actor, role, at, evidence, digest)
    )
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
        hash=hash_text(prev_hash, body),
        body=body,
    )


def append_system_event(
    uow: UnitOfWork,
    case: CaseRecord,
    kind: str,
    evidence: Mapping[str, Any],
    actor_name: str,
    role: str,
    at: datetime,
) -> EventRecord:
    """Seal and append an event that leaves the case in its state, and move the case's head.

    The caller writes the case (under its optimistic lock) in the same unit of work.
    """
    event = seal(
        case_id=case.id,
        seq=case.version + 1,
        trigger=kind,
        from_state=case.state,
        to_state=case.state,
        actor=actor_name,
        role=role,
        at=at,
        evidence=evidence,
        prev_hash=case.head_hash,
    )
    uow.append_event(event)
    case.version, case.head_hash, case.updated_at = event.seq, event.hash, at
    return event


def record_body(event: EventRecord, digest: str) -> dict[str, Any]:
    """The body a record's columns give with `digest`."""
    e = event
    return event_body(
        e.case_id, e.seq, e.trigger, e.from_state, e.to_state, e.actor, e.role, e.at, {}, digest
    )
