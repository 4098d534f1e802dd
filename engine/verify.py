"""Verifying audit chains: walking a chain of records (`walk_chain`, `verify_chain`), and every
stored chain from what the database reads (`verify_stored`).

`verify_stored` checks `sha256(prev_hash || body) == hash` over the stored text, and that the
body is exactly what the event's columns and the `sha256` of its stored evidence give (SQLite
stores JSON canonically, so that is the digest; any other form is parsed first). Events stored
before bodies were (schema 0004) come with their whole record and are checked by rebuilding
their body, as `walk_chain` does.

A little over 400 lines, kept whole: the two verifiers share their exact checks
(`_check_order`, `_check_link`, the body rebuilt from columns), and the stored one inlines its
hot check by design (bench figure 9); apart, the shared checks would be private names crossing
modules.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from engine.chain import (
    DIGEST,
    body_text,
    chain_hash,
    event_body,
    hash_text,
    record_body,
    stored_digest,
)
from engine.errors import ContractBroken, HeaderUnreadable
from engine.ports import GENESIS_HASH, EventRecord


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
    actual = chain_hash(prev, record_body(event, stored_digest(event.evidence)))
    if actual != event.hash:
        return BrokenLink(case_id, event.seq, CONTENT_CHANGED, actual, event.hash)
    return None


def _check_body(case_id: int, event: EventRecord, prev: str) -> BrokenLink | None:
    actual = hash_text(prev, event.body)
    if actual != event.hash:
        return BrokenLink(case_id, event.seq, CONTENT_CHANGED, actual, event.hash)
    sealed = _sealed_digest(event.body)
    try:
        columns = body_text(record_body(event, sealed))
    except (TypeError, ValueError):  # a value of the wrong type
        columns = ""
    if columns != event.body:
        return BrokenLink(case_id, event.seq, COLUMNS_CHANGED)
    found = stored_digest(event.evidence)
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


class StoredEvent(NamedTuple):
    """One event as verify reads it, plain values and no record built.

    `header` is the JSON array `[actor, from_state, role, to_state, trigger]` of its columns as
    the database writes it (None when they could not be read so: a value of a type JSON cannot
    hold); one text, which the columns' repeating values make a cheap key (`_BODY_PARTS`).
    """

    case_id: int
    seq: int
    prev_hash: str
    hash: str
    body: str | None
    """The canonical JSON text the hash covers; None for an event stored before bodies were."""
    evidence: bytes
    """The evidence as stored: its JSON text, UTF-8 bytes."""
    header: str | None
    at: str
    """The UTC time as text, `YYYY-MM-DDTHH:MM:SS.ffffff` (as the body writes it, less its Z)."""
    record: EventRecord | None
    """The whole record of an event stored without a body (else None)."""


StoredRow = tuple[int, int, str, str, str | None, bytes, str | None, str, EventRecord | None]
"""A `StoredEvent` as the database driver hands it over: the same values in the same order, in
a plain tuple (a `StoredEvent` is one too). `verify_stored` takes these, so the driver's rows
need no conversion: making each a `StoredEvent` cost about 0.3 µs an event, some 4% of verify
(bench figure 9, whose margin is smaller). The hot loop (`verify_stored`, `_sound_reparsed`)
unpacks each row once, in `StoredEvent`'s field order; the rest reads a `StoredEvent` by name."""

CaseHead = tuple[int, int, str]
"""(case id, version, head hash) as a case row holds them."""

_NO_MORE = StoredEvent(2**63, 0, "", "", None, b"", None, "", None)
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


def verify_stored(heads: Iterable[CaseHead], events: Iterable[StoredRow]) -> ChainReport:
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
    event: StoredRow = next(stream, _NO_MORE)
    cases = walked = 0
    parts, sha256 = _BODY_PARTS, hashlib.sha256
    for case_id, version, head_hash in heads:
        cases += 1
        while event[0] < case_id:  # [0]: its case_id (indexing costs less than a name)
            event = next(stream, _NO_MORE)
        prev, seq, broken = GENESIS_HASH, 0, None
        while event[0] == case_id:
            walked += 1
            if broken is None:
                # the hot check, inlined (a call per event cost more than the checks);
                # `filled` is `_filled(...)`; the row unpacked as `StoredEvent`'s fields
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
                    stored = StoredEvent._make(event)
                    broken = _check_stored(case_id, stored, prev, seq + 1)
                    if broken is None:
                        prev, seq = stored.hash, stored.seq
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
    texts has none (`HeaderUnreadable`, a ValueError)."""

    def __missing__(self, header: str | None) -> tuple[str, str, str]:
        values = header_values(header)
        if values is None or not all(isinstance(v, str) for v in values):
            raise HeaderUnreadable(f"a header that is not five texts: {header!r}")
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


def _sound_reparsed(event: StoredRow, prev: str, expected_seq: int) -> bool:
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
    seq, body, stored_hash = event.seq, event.body, event.hash
    if body is None:
        if event.record is None:
            raise ContractBroken(
                f"case {case_id} seq {seq}: an event without body needs its record"
            )
        return _check_link(case_id, event.record, prev, expected_seq)
    broken = _check_order(case_id, event.case_id, seq, str(event.prev_hash), prev, expected_seq)
    if broken is not None:
        return broken
    actual = hash_text(prev, str(body))
    if actual != stored_hash:
        return BrokenLink(case_id, seq, CONTENT_CHANGED, actual, str(stored_hash))
    sealed = _sealed_digest(str(body))
    header = header_values(event.header)
    if _columns_body(event.case_id, seq, header, event.at, sealed) != body:
        return BrokenLink(case_id, seq, COLUMNS_CHANGED)
    found = stored_evidence_digest(event.evidence)
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

    The text is parsed (`stored_digest`: the kept digest when redacted), so any JSON form
    of the evidence will do (PostgreSQL's JSONB text, an older serialiser's); verify's hot
    loop first tries `sha256` of the text, which is the digest when the text is canonical.
    Text that is not a JSON object gives the digest of the text, which no sealed body holds.
    """
    try:
        value = json.loads(evidence)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return stored_digest(value)
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
