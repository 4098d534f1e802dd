"""The audit chain: canonical event JSON, hashing, verification, redaction, replay.

`hash = sha256(prev_hash || canonical JSON of the event body)`; canonical JSON has sorted keys,
no spaces, UTC times, and no floats (a float has no single text form). The body covers the
event's evidence through its digest, `evidence_sha256 = sha256(canonical JSON of evidence)`, so
that retention can replace the evidence of an erased case by `{"redacted": true,
"evidence_sha256": <digest>}` and the chain still verifies: verify checks the evidence against
the digest unless the evidence is in that redacted form.

`seal` keeps the exact text it hashed (`EventRecord.body`, stored in `event.body`), so verifying
a stored chain dumps no JSON per event: `verify_stored` checks `sha256(prev_hash || body) ==
hash` over the stored text, and that the body is exactly what the event's columns and the
`sha256` of its stored evidence give (SQLite stores JSON canonically, so that is the digest; any
other form is parsed first). Events stored before bodies were (schema 0004) come with their
whole record and are checked by rebuilding their body, as `walk_chain` does.

Replay runs a case's events through the definition version it was opened on, follows each
`migrated` event onto its new version, and checks every step was legal when it was made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from engine.definition import OUTCOME_FIELD, WorkflowDefinition
from engine.evidence import format_utc
from engine.ports import GENESIS_HASH, CaseRecord, EventRecord, UnitOfWork

OPEN_TRIGGER = "open_case"
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
        "erased",  # retention redacted the case's personal data (its evidence says how much)
    }
)
"""Events the engine records that are not transitions of the chart: from == to."""

REDACTED = "redacted"
DIGEST = "evidence_sha256"
ERASED_TRIGGER = "erased"
KEEP_ON_ERASURE = frozenset({MIGRATED_TRIGGER, ERASED_TRIGGER})
"""Events whose evidence holds no personal data and which replay needs (definition versions)."""

DefinitionSource = Callable[[str], WorkflowDefinition]
"""Finds a definition by its version (content hash)."""


def _no_floats(value: Any) -> Any:
    if isinstance(value, float):
        raise TypeError("floats are not allowed in audited data (use text or whole numbers)")
    if isinstance(value, Mapping):
        return {str(k): _no_floats(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_floats(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8, no floats.

    The bytes of `json.dumps(value, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`, made by orjson (a test holds the two equal over every kind of
    text): sealing dumped JSON three times per event with the standard library.
    """
    return orjson.dumps(_no_floats(value), option=orjson.OPT_SORT_KEYS)


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


def _stored_digest(evidence: Mapping[str, Any]) -> str:
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
        DIGEST: _stored_digest(evidence) if digest is None else digest,
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
    return event.body or body_text(_record_body(event, _stored_digest(event.evidence)))


def hash_text(prev_hash: str, body: str) -> str:
    """sha256(prev_hash || body), hex: the chain's rule over a body's canonical text."""
    return hashlib.sha256(prev_hash.encode("ascii") + body.encode("utf-8")).hexdigest()


def chain_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """sha256(prev_hash || canonical JSON of body), hex."""
    return hash_text(prev_hash, body_text(body))


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
        case.id,
        case.version + 1,
        kind,
        case.state,
        case.state,
        actor_name,
        role,
        at,
        evidence,
        case.head_hash,
    )
    uow.append_event(event)
    case.version, case.head_hash, case.updated_at = event.seq, event.hash, at
    return event


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The first place a chain fails to verify."""

    case_id: int
    seq: int
    problem: str
    expected: str = ""
    stored: str = ""


@dataclass(frozen=True, slots=True)
class ChainEnd:
    """What walking one chain found: its first broken link, or where it ends."""

    case_id: int
    broken: BrokenLink | None
    seq: int = 0
    """The last verified event's seq (0: no event)."""
    hash: str = GENESIS_HASH
    """The last verified event's hash."""


def walk_chain(case_id: int, events: Iterable[EventRecord]) -> ChainEnd:
    """Walk one case's chain in order; stop at the first broken link.

    Args:
        case_id: the case the events belong to.
        events: its events, by seq (an iterator is consumed only up to the first break).

    Returns:
        The first broken link, or None with the seq and hash the chain ends at.
    """
    prev, expected_seq = GENESIS_HASH, 1
    for event in events:
        broken = _check_link(case_id, event, prev, expected_seq)
        if broken is not None:
            return ChainEnd(case_id, broken, expected_seq - 1, prev)
        prev, expected_seq = event.hash, expected_seq + 1
    return ChainEnd(case_id, None, expected_seq - 1, prev)


def _check_order(
    case_id: int, event_case: int, seq: int, prev_hash: str, prev: str, expected_seq: int
) -> BrokenLink | None:
    """Whether an event is where its chain needs it: its case, the next seq, linked to the
    hash before it."""
    if event_case != case_id:
        return BrokenLink(case_id, seq, f"the event belongs to case {event_case}")
    if seq != expected_seq:
        return BrokenLink(
            case_id,
            seq,
            f"sequence jumps from {expected_seq - 1} to "
            f"{seq} (an event is missing or out of order)",
            str(expected_seq),
            str(seq),
        )
    if prev_hash != prev:
        return BrokenLink(
            case_id,
            seq,
            "prev_hash does not match the previous event",
            prev,
            prev_hash,
        )
    return None


def _check_link(
    case_id: int, event: EventRecord, prev: str, expected_seq: int
) -> BrokenLink | None:
    """Check one event record; name the first thing wrong. A record that carries its body
    (the text its hash covers) is checked as stored: the hash over the body, the body against
    the columns, the evidence against the body's digest (`_check_body`)."""
    broken = _check_order(case_id, event.case_id, event.seq, event.prev_hash, prev, expected_seq)
    if broken is not None:
        return broken
    if event.body:
        return _check_body(case_id, event, prev)
    actual = chain_hash(prev, _record_body(event, _stored_digest(event.evidence)))
    if actual != event.hash:
        return BrokenLink(case_id, event.seq, CONTENT_CHANGED, actual, event.hash)
    return None


def _record_body(event: EventRecord, digest: str) -> dict[str, Any]:
    """The body a record's columns give with `digest`."""
    e = event
    return event_body(
        e.case_id, e.seq, e.trigger, e.from_state, e.to_state, e.actor, e.role, e.at, {}, digest
    )


def _check_body(case_id: int, event: EventRecord, prev: str) -> BrokenLink | None:
    actual = hash_text(prev, event.body)
    if actual != event.hash:
        return BrokenLink(case_id, event.seq, CONTENT_CHANGED, actual, event.hash)
    sealed = _sealed_digest(event.body)
    try:
        columns = body_text(_record_body(event, sealed))
    except (TypeError, ValueError):  # a value of the wrong type
        columns = ""
    if columns != event.body:
        return BrokenLink(case_id, event.seq, COLUMNS_CHANGED)
    found = _stored_digest(event.evidence)
    if found != sealed:
        return BrokenLink(case_id, event.seq, CONTENT_CHANGED, sealed, found)
    return None


def verify_chain(case_id: int, events: Iterable[EventRecord]) -> BrokenLink | None:
    """Walk one case's chain; return the first broken link, or None."""
    return walk_chain(case_id, events).broken


# --- verifying stored chains from what the database reads -----------------------------------
CONTENT_CHANGED = "the event's content does not match its hash"
COLUMNS_CHANGED = (
    "the event's columns do not match the content its hash covers "
    "(its trigger, states, actor, role or time was changed)"
)

StoredEvent = tuple[int, int, str, str, str | None, bytes, str | None, str, EventRecord | None]
"""One event as verify reads it, plain values and no record built: (case_id, seq, prev_hash,
hash, body, evidence as stored (its JSON text, UTF-8 bytes), header, at, record).

`header` is the JSON array `[actor, from_state, role, to_state, trigger]` of its columns as the
database writes it (None when they could not be read so: a value of a type JSON cannot hold);
one text, which the columns' repeating values make a cheap key (`_BODY_PARTS`). `at` is the
UTC time as text, `YYYY-MM-DDTHH:MM:SS.ffffff` (as the body writes it, less its Z). An event
stored before bodies were has body None and its whole `record` (else None)."""

CaseHead = tuple[int, int, str]
"""(case id, version, head hash) as a case row holds them."""

_NO_MORE: StoredEvent = (2**63, 0, "", "", None, b"", None, "", None)
"""Stands after the last stored event: its case id is beyond every case's."""


@dataclass
class ChainReport:
    """What verifying the chains found."""

    cases: int = 0
    events: int = 0
    broken: list[BrokenLink] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No broken link anywhere."""
        return not self.broken


def verify_stored(heads: Iterable[CaseHead], events: Iterable[StoredEvent]) -> ChainReport:
    """Walk every case's chain from its stored events; name the first broken link of each.

    Each event must be in order and linked, its body exactly the canonical JSON of its
    columns and of its evidence's digest, and its hash `sha256(prev_hash || body)`. The body is
    compared with its fixed parts filled in (`_BODY_PARTS`: no JSON dumped) and the digest is
    `sha256` of the evidence as stored when that is canonical; anything else is looked at
    again by `_sound_reparsed` (evidence in another JSON form) and `_check_stored` (exact,
    names the problem; events stored before bodies were). Besides each link, the chain must
    end where the case row says (its version and head hash): a deleted tail the case row does
    not know of is caught here. Events are read only as far as the cases in `heads` need.

    Args:
        heads: the cases to check, by id.
        events: their events, by case id then seq (events of a case not in `heads` are
            skipped: the foreign key forbids them).

    Returns:
        Cases and events walked (the rest of a broken chain counts too), and the problems,
        at most one per case.
    """
    report = ChainReport()
    stream = iter(events)
    event = next(stream, _NO_MORE)
    cases = walked = 0
    parts, sha256 = _BODY_PARTS, hashlib.sha256
    for case_id, version, head_hash in heads:
        cases += 1
        while event[0] < case_id:
            event = next(stream, _NO_MORE)
        prev, seq, broken = GENESIS_HASH, 0, None
        while event[0] == case_id:
            walked += 1
            if broken is None:
                # the hot check, inlined (a call per event cost more than the checks);
                # `filled` is `_filled(...)`
                _, now, prev_hash, stored_hash, body, evidence, header, at, _ = event
                try:
                    head, middle, tail = parts[header]
                    digest = sha256(evidence).hexdigest()
                    filled = (
                        f'{head}{at}Z","case_id":{case_id},'
                        f'"evidence_sha256":"{digest}{middle}{now}{tail}'
                    )
                    sound = (
                        now == seq + 1
                        and prev_hash == prev
                        and body == filled
                        and sha256((prev + filled).encode()).hexdigest() == stored_hash
                    )
                except (TypeError, AttributeError, ValueError):  # a value of the wrong type
                    sound = False
                if sound or _sound_reparsed(event, prev, seq + 1):
                    prev, seq = stored_hash, now
                else:
                    broken = _check_stored(case_id, event, prev, seq + 1)
                    if broken is None:
                        prev, seq = event[3], event[1]
            event = next(stream, _NO_MORE)
        if broken is None and seq and seq == version and prev == head_hash:
            continue
        report.broken.append(broken or _end_problem(case_id, version, head_hash, seq, prev))
    report.cases, report.events = cases, walked
    return report


def header_values(header: str | None) -> list[Any] | None:
    """The five values of a stored event's header (`StoredEvent`): [actor, from_state, role,
    to_state, trigger] as stored, whatever their JSON types; None when it is no such array."""
    if header is None:
        return None
    try:
        values = json.loads(header)
    except ValueError:
        return None
    return values if isinstance(values, list) and len(values) == 5 else None


class _BodyParts(dict[str | None, tuple[str, str, str]]):
    """Header (`StoredEvent`) -> the fixed text of a canonical body around its time, case id,
    digest and seq, remembered: the columns repeat across events. A header that is not five
    texts has none (ValueError)."""

    def __missing__(self, header: str | None) -> tuple[str, str, str]:
        values = header_values(header)
        if values is None or not all(isinstance(v, str) for v in values):
            raise ValueError(f"a header that is not five texts: {header!r}")
        if len(self) >= 4096:
            self.clear()
        actor, from_, role, to, trigger = (json.dumps(v, ensure_ascii=False) for v in values)
        parts = self[header] = (
            f'{{"actor":{actor},"at":"',
            f'","from":{from_},"role":{role},"seq":',
            f',"to":{to},"trigger":{trigger}}}',
        )
        return parts


_BODY_PARTS = _BodyParts()


def _sound_reparsed(event: StoredEvent, prev: str, expected_seq: int) -> bool:
    """`verify_stored`'s check with the evidence's digest taken from the parsed evidence
    (stored in another JSON form: PostgreSQL's JSONB text, or redacted)."""
    case_id, seq, prev_hash, stored_hash, body, evidence, header, at, _ = event
    if body is None or seq != expected_seq or prev_hash != prev:
        return False
    try:
        parts = _BODY_PARTS[header]
        filled = _filled(parts, at, case_id, stored_evidence_digest(evidence), seq)
        return body == filled and hash_text(prev, filled) == stored_hash
    except (TypeError, AttributeError, ValueError):  # a value of the wrong type
        return False


def _filled(parts: tuple[str, str, str], at: str, case_id: int, digest: str, seq: int) -> str:
    """The canonical body from its fixed parts (`_BODY_PARTS`), its time as stored, case id,
    evidence digest and seq: `body_text` of the event body, without dumping JSON.
    (`verify_stored` inlines the same.)"""
    head, middle, tail = parts
    return (
        f'{head}{at.replace(" ", "T")}Z","case_id":{case_id},'
        f'"evidence_sha256":"{digest}{middle}{seq}{tail}'
    )


def _check_stored(
    case_id: int, event: StoredEvent, prev: str, expected_seq: int
) -> BrokenLink | None:
    """Check one stored event fully (JSON dumped and parsed); name the first thing wrong."""
    event_case, seq, prev_hash, stored_hash, body, evidence, header, at, record = event
    if body is None:
        if record is None:
            raise ValueError(f"case {case_id} seq {seq}: an event without body needs its record")
        return _check_link(case_id, record, prev, expected_seq)
    broken = _check_order(case_id, event_case, seq, str(prev_hash), prev, expected_seq)
    if broken is not None:
        return broken
    actual = hash_text(prev, str(body))
    if actual != stored_hash:
        return BrokenLink(case_id, seq, CONTENT_CHANGED, actual, str(stored_hash))
    sealed = _sealed_digest(str(body))
    if _columns_body(event_case, seq, header_values(header), at, sealed) != body:
        return BrokenLink(case_id, seq, COLUMNS_CHANGED)
    found = stored_evidence_digest(evidence)
    if found != sealed:
        return BrokenLink(case_id, seq, CONTENT_CHANGED, sealed, found)
    return None


def _sealed_digest(body: str) -> str:
    """The evidence digest a body holds ("" when it holds none)."""
    try:
        value = json.loads(body)
    except ValueError:
        return ""
    digest = value.get(DIGEST) if isinstance(value, dict) else None
    return digest if isinstance(digest, str) else ""


def _columns_body(
    case_id: int, seq: int, header: Sequence[Any] | None, at: Any, digest: str
) -> str:
    """The canonical body the event's columns (`header_values`, at as UTC text) give with
    `digest` ("" if they cannot: no header, a time that is none, a value JSON cannot hold)."""
    if header is None:
        return ""
    actor, from_state, role, to_state, trigger = header
    try:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        body = event_body(
            case_id, seq, trigger, from_state, to_state, actor, role, moment, {}, digest
        )
        return body_text(body)
    except (TypeError, ValueError, AttributeError):
        return ""


def stored_evidence_digest(evidence: bytes) -> str:
    """The digest the hash covers, from evidence as stored (its JSON text, UTF-8).

    The text is parsed (`_stored_digest`: the kept digest when redacted), so any JSON form
    of the evidence will do (PostgreSQL's JSONB text, an older serialiser's); verify's hot
    loop first tries `sha256` of the text, which is the digest when the text is canonical.
    Text that is not a JSON object gives the digest of the text, which no sealed body holds.
    """
    try:
        value = json.loads(evidence)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return _stored_digest(value)
    return hashlib.sha256(evidence).hexdigest()


def _end_problem(case_id: int, version: int, head_hash: str, seq: int, hash_: str) -> BrokenLink:
    """Why a chain that verified up to `seq` (`hash_`) does not end where its case row says."""
    if seq == 0:
        return BrokenLink(case_id, 1, "the case has no events")
    return BrokenLink(
        case_id,
        seq + 1 if seq < version else seq,
        f"the chain ends at seq {seq} but the case row says version {version} "
        "(events are missing from the end, or the case row was changed)",
        head_hash,
        hash_,
    )


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
