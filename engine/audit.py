"""The audit chain, one import away: canonical event JSON, hashing and sealing, redaction
(`engine.chain`); verifying a chain of records or every stored chain (`engine.verify`);
replaying a case through the definition versions it ran on (`engine.replay`).

Callers import these names from here; the three modules hold the code.
"""

from __future__ import annotations

from engine.chain import (
    DIGEST,
    ERASED_TRIGGER,
    IMPORTED_TRIGGER,
    KEEP_ON_ERASURE,
    MIGRATED_TRIGGER,
    OPEN_TRIGGER,
    REDACTED,
    SYSTEM_EVENTS,
    append_system_event,
    body_text,
    canonical_json,
    chain_hash,
    event_body,
    evidence_digest,
    hash_text,
    is_redacted,
    redact,
    seal,
    sealed_text,
)
from engine.replay import DefinitionSource, Replayed, opening_version, replay
from engine.verify import (
    COLUMNS_CHANGED,
    CONTENT_CHANGED,
    BrokenLink,
    CaseHead,
    ChainEnd,
    ChainReport,
    StoredEvent,
    StoredRow,
    header_values,
    stored_evidence_digest,
    verify_chain,
    verify_stored,
    walk_chain,
)

__all__ = [
    "COLUMNS_CHANGED",
    "CONTENT_CHANGED",
    "DIGEST",
    "ERASED_TRIGGER",
    "IMPORTED_TRIGGER",
    "KEEP_ON_ERASURE",
    "MIGRATED_TRIGGER",
    "OPEN_TRIGGER",
    "REDACTED",
    "SYSTEM_EVENTS",
    "BrokenLink",
    "CaseHead",
    "ChainEnd",
    "ChainReport",
    "DefinitionSource",
    "Replayed",
    "StoredEvent",
    "StoredRow",
    "append_system_event",
    "body_text",
    "canonical_json",
    "chain_hash",
    "event_body",
    "evidence_digest",
    "hash_text",
    "header_values",
    "is_redacted",
    "opening_version",
    "redact",
    "replay",
    "seal",
    "sealed_text",
    "stored_evidence_digest",
    "verify_chain",
    "verify_stored",
    "walk_chain",
]
