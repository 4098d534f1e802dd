"""Verification, for every door: every hash chain in the database (or one case's) and the
latest signed checkpoint (`verify`), and an exported case with no database at all
(`verify_export`: definitions hash to their versions, the chain verifies and ends where the
export says, replay is legal, the signature holds).

Keys are the door's to load (a file named by a flag or the settings); a service is handed a
loader, called only when a signature is there to check, so a missing key is reported as
"not checked" rather than refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cme.audit_keys import key_id as key_id  # one definition, shared with the scheduler
from cme.services.errors import ServiceRefusal

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from cme.bootstrap import App
    from engine.audit import BrokenLink

PublicKeyLoader = Callable[[], "Ed25519PublicKey | None"]
"""The verification key, or None when none is configured (loaded only if needed)."""
NO_KEY = "not checked: no key (set CME_AUDIT_KEY_FILE or CME_AUDIT_PUBLIC_KEY_FILE)"


class ExportUnreadable(ServiceRefusal):
    """The file is not a cme export that can be read (the CLI's `BadInput`)."""


def signature_ok(public: Ed25519PublicKey, signature_hex: str, payload: bytes) -> bool:
    """Whether `signature_hex` is `public`'s signature of `payload`."""
    from cryptography.exceptions import InvalidSignature

    try:
        public.verify(bytes.fromhex(signature_hex), payload)
    except (InvalidSignature, ValueError):
        return False
    return True


def link_json(link: BrokenLink) -> dict[str, Any]:
    """A broken link as the verification documents list it."""
    from engine.ports import case_ref

    return {
        "case_id": link.case_id,
        "ref": case_ref(link.case_id),
        "seq": link.seq,
        "problem": link.problem,
        "expected": link.expected,
        "stored": link.stored,
    }


@dataclass(frozen=True, slots=True)
class Verification:
    """What walking the chains found: every broken link, and the checkpoint's status."""

    cases: int
    events: int
    broken: tuple[BrokenLink, ...]
    checkpoint: dict[str, Any] | None

    @property
    def ok(self) -> bool:
        """Nothing is broken."""
        return not self.broken

    def as_json(self) -> dict[str, Any]:
        """The document `cme audit verify --json` prints."""
        return {
            "ok": self.ok,
            "cases": self.cases,
            "events": self.events,
            "broken": [link_json(b) for b in self.broken],
            "checkpoint": self.checkpoint,
        }


def verify(app: App, case_id: int | None, public_key: PublicKeyLoader) -> Verification:
    """Walk every hash chain (or one case's) and check the latest signed checkpoint.

    Raises:
        CaseNotFound: `case_id` names no case.
    """
    from storage import queries
    from storage.audit import verify_chains

    if case_id is not None:
        queries.case_read(app.db, case_id)  # CaseNotFound is a refusal
    report = verify_chains(app.db, case_id)
    checkpoint, problems = _checkpoint_status(app, case_id, public_key)
    broken = sorted(report.broken + problems, key=lambda b: (b.case_id, b.seq))
    return Verification(report.cases, report.events, tuple(broken), checkpoint)


def _checkpoint_status(
    app: App, case_id: int | None, public_key: PublicKeyLoader
) -> tuple[dict[str, Any] | None, list[BrokenLink]]:
    from engine.audit import BrokenLink
    from storage.audit import check_checkpoint, latest_checkpoint

    checkpoint = latest_checkpoint(app.db)
    if checkpoint is None:
        return None, []
    heads_sha, problems = check_checkpoint(app.db, checkpoint, case_id)
    status: dict[str, Any] = {
        "id": checkpoint["id"],
        "created_at": checkpoint["created_at"].isoformat(),
        "cases": checkpoint["cases"],
        "key_id": checkpoint["key_id"],
    }
    try:
        payload = json.loads(checkpoint["payload"])
    except ValueError:
        payload = {}
    altered = payload.get("heads_sha256") != checkpoint["heads_sha256"] or (
        case_id is None and heads_sha != checkpoint["heads_sha256"]
    )
    if altered:
        problems.append(
            BrokenLink(0, 0, f"checkpoint {checkpoint['id']}: its list of heads was altered")
        )
    public = public_key()
    if public is None:
        status["signature"] = NO_KEY
    elif key_id(public) != checkpoint["key_id"] or payload.get("key_id") != key_id(public):
        status["signature"] = "invalid: signed by another key"
    elif signature_ok(public, checkpoint["signature"], checkpoint["payload"].encode()):
        status["signature"] = "valid"
    else:
        status["signature"] = "invalid"
    if status["signature"].startswith("invalid"):
        problems.append(
            BrokenLink(0, 0, f"checkpoint {checkpoint['id']}: signature {status['signature']}")
        )
    return status, problems
