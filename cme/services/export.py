"""A case's export, both ways, for every door: write one (`export`: the case, the definition
source(s) it ran on and its events, one canonical JSON document a line, signed when a key is
given) and check one with no database (`verify_export`).

An export is a read of the case, kept in the access log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cme.services.verify import (
    NO_KEY,
    ExportUnreadable,
    PublicKeyLoader,
    key_id,
    link_json,
    signature_ok,
)
from cme.services.views import event_json

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cme.bootstrap import App
    from cme.services.principal import Principal
    from engine.audit import BrokenLink
    from engine.definition import WorkflowDefinition
    from engine.ports import CaseRecord, EventRecord


@dataclass(frozen=True, slots=True)
class Exported:
    """An export written: of which case, how many events, whether signed."""

    case: CaseRecord
    events: int
    signed: bool


def export(
    app: App,
    principal: Principal,
    case_id: int,
    private: Ed25519PrivateKey | None,
    write: Callable[[bytes], None],
    detail: str = "",
) -> Exported:
    """Build the export of a case and hand it to `write` (the door's: a file, a download);
    the read is logged with `detail` (the file's name, never its content)."""
    from cme.access import record
    from engine.audit import MIGRATED_TRIGGER, canonical_json, opening_version, sealed_text
    from storage import queries

    case = queries.case_read(app.db, case_id)[0]
    events = queries.events(app.db, case_id)
    versions = [opening_version(case.definition_hash, events)]
    versions += [
        str(e.evidence.get("to_version")) for e in events if e.trigger == MIGRATED_TRIGGER
    ]
    lines: list[dict[str, Any]] = [
        {
            "kind": "case",
            "case_id": case.id,
            "ref": case.ref,
            "workflow": case.workflow,
            "definition_version": case.definition_hash,
            "state": case.state,
            "version": case.version,
            "head_hash": case.head_hash,
            "exported_at": app.clock.now().isoformat(),
        }
    ]
    for version in dict.fromkeys(versions):
        d = app.registry.compiled(version).definition
        lines.append(
            {"kind": "definition", "version": version, "workflow": d.workflow, "source": d.source}
        )
    lines += [
        {"kind": "event", "case_id": e.case_id, **event_json(e), "body": sealed_text(e)}
        for e in events
    ]
    text = b"".join(canonical_json(line) + b"\n" for line in lines)
    if private is not None:
        signature = {
            "kind": "signature",
            "key_id": key_id(private.public_key()),
            "sha256": hashlib.sha256(text).hexdigest(),
            "signature": private.sign(text).hex(),
        }
        text += canonical_json(signature) + b"\n"
    write(text)
    record(app, principal.actor, case_id, "audit export", detail)
    return Exported(case, len(events), private is not None)


# --- checking an export --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ExportCheck:
    """What checking an export found."""

    file: str
    case_id: int
    events: int
    broken: tuple[BrokenLink, ...] = ()
    replay_problems: tuple[str, ...] = ()
    signature: str = "unsigned"

    @property
    def ok(self) -> bool:
        """The chain verifies, every step was legal, and no signature is invalid."""
        return not self.broken and not self.replay_problems

    def as_json(self) -> dict[str, Any]:
        """The document `cme audit verify --file --json` prints."""
        return {
            "ok": self.ok,
            "file": self.file,
            "case_id": self.case_id,
            "events": self.events,
            "broken": [link_json(b) for b in self.broken],
            "replay_problems": list(self.replay_problems),
            "signature": self.signature,
        }


@dataclass
class _Found:
    problems: list[BrokenLink] = field(default_factory=list)
    definitions: dict[str, WorkflowDefinition] = field(default_factory=dict)


def verify_export(raw: bytes, name: str, public_key: PublicKeyLoader) -> ExportCheck:
    """Check the export `raw` (read from `name`) with no database: its definitions hash to
    their versions, the chain verifies and ends where the export says, replay is legal, the
    signature (if any) holds.

    Raises:
        ExportUnreadable: not JSON lines, or no case line (not a cme export).
    """
    from cme.export_lines import parse_export
    from cme.inputs import InputRefused

    try:
        docs = parse_export(raw, name)
    except InputRefused as exc:
        raise ExportUnreadable(str(exc)) from None
    head = next(d for d in docs if d["kind"] == "case")
    case_id = int(head["case_id"])
    found = _definitions(case_id, docs)
    events = _events(docs)
    broken = _chain_broken(case_id, head, events, found.problems)
    replay_problems = _replay(head, events, found.definitions, missing_only=broken)
    signature = _signature(raw, docs, public_key)
    if signature.startswith("invalid"):
        found.problems.append(_link(case_id, 0, f"export signature {signature}"))
    return ExportCheck(
        name, case_id, len(events), tuple(found.problems), tuple(replay_problems), signature
    )


def _link(case_id: int, seq: int, problem: str, expected: str = "", stored: str = "") -> Any:
    from engine.audit import BrokenLink

    return BrokenLink(case_id, seq, problem, expected, stored)


def _definitions(case_id: int, docs: Sequence[Mapping[str, Any]]) -> _Found:
    """The definitions the export carries, each checked against its version."""
    import workflows
    from engine.errors import DefinitionError
    from engine.loader import parse_definition

    found = _Found()
    for d in (d for d in docs if d.get("kind") == "definition"):
        actual = hashlib.sha256(d["source"].encode("utf-8")).hexdigest()
        if actual != d["version"]:
            found.problems.append(
                _link(
                    case_id,
                    0,
                    "a definition's source does not match its version",
                    d["version"],
                    actual,
                )
            )
            continue
        try:
            found.definitions[d["version"]] = parse_definition(
                d["source"], f"exported version {d['version'][:12]}", workflows.known()
            )
        except DefinitionError as exc:
            found.problems.append(_link(case_id, 0, f"definition {d['version'][:12]}: {exc}"))
    return found


def _events(docs: Sequence[Mapping[str, Any]]) -> list[EventRecord]:
    from engine.evidence import parse_utc
    from engine.ports import EventRecord

    return [
        EventRecord(
            case_id=int(d["case_id"]),
            seq=int(d["seq"]),
            trigger=d["trigger"],
            from_state=d["from"],
            to_state=d["to"],
            actor=d["actor"],
            role=d["role"],
            at=parse_utc(d["at"]),
            evidence=d["evidence"],
            prev_hash=d["prev_hash"],
            hash=d["hash"],
            body=str(d.get("body") or ""),
        )
        for d in docs
        if d.get("kind") == "event"
    ]


def _chain_broken(
    case_id: int,
    head: Mapping[str, Any],
    events: list[EventRecord],
    problems: list[BrokenLink],
) -> bool:
    """Walk the chain and check it ends where the export says (each finding appended to
    `problems`); True if a link is broken (then replay is not attempted)."""
    from engine.audit import walk_chain

    end = walk_chain(case_id, events)
    if end.broken is not None:
        problems.append(end.broken)
        return True
    if end.seq != head["version"] or end.hash != head["head_hash"]:
        problems.append(
            _link(
                case_id,
                end.seq,
                f"the chain ends at seq {end.seq} but the export says version {head['version']}",
                head["head_hash"],
                end.hash,
            )
        )
    return False


def _replay(
    head: Mapping[str, Any],
    events: list[EventRecord],
    definitions: Mapping[str, WorkflowDefinition],
    missing_only: bool = False,
) -> list[str]:
    """Replay the events on the exported definitions (`missing_only`: the chain is broken,
    so only say if the opening definition is missing)."""
    from engine.audit import opening_version, replay

    start = opening_version(head["definition_version"], events)
    if start not in definitions:
        return [f"the export lacks definition {start[:12]}"]
    if missing_only:
        return []
    rebuilt = replay(definitions[start], events, None, lambda v: definitions[v])
    problems = list(rebuilt.problems)
    if rebuilt.state != head["state"]:
        problems.append(f"replays to '{rebuilt.state}', export says '{head['state']}'")
    return problems


def _signature(raw: bytes, docs: Sequence[Mapping[str, Any]], public_key: PublicKeyLoader) -> str:
    signature_doc = docs[-1] if docs and docs[-1].get("kind") == "signature" else None
    if signature_doc is None:
        return "unsigned"
    signed = raw[: raw.rstrip(b"\n").rfind(b"\n") + 1]
    public = public_key()
    if hashlib.sha256(signed).hexdigest() != signature_doc["sha256"]:
        return "invalid: the file was changed after signing"
    if public is None:
        return NO_KEY
    if key_id(public) != signature_doc["key_id"]:
        return "invalid: signed by another key"
    return "valid" if signature_ok(public, signature_doc["signature"], signed) else "invalid"
