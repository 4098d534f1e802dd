"""The chain's hash covers the evidence through its digest: redaction keeps it valid, any other
change to the evidence (or to a redacted digest) breaks it, and a tampered float is a broken
link, not a crash."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from engine.audit import (
    evidence_digest,
    is_redacted,
    redact,
    seal,
    verify_chain,
    walk_chain,
)
from engine.ports import GENESIS_HASH, EventRecord

AT = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


def chain() -> list[EventRecord]:
    first = seal(
        case_id=7,
        seq=1,
        trigger="open_case",
        from_state="",
        to_state="received",
        actor="alice",
        role="cmeo",
        at=AT,
        evidence={"referral": {"child": {"forename": "Sam"}}, "facts": {}},
        prev_hash=GENESIS_HASH,
    )
    second = seal(
        case_id=7,
        seq=2,
        trigger="begin_enquiries",
        from_state="received",
        to_state="enquiries",
        actor="alice",
        role="cmeo",
        at=AT,
        evidence={"note": "rang Sam's mother"},
        prev_hash=first.hash,
    )
    return [first, second]


def test_redacting_evidence_keeps_every_hash_valid() -> None:
    events = chain()
    redacted = [replace(e, evidence=redact(e.evidence)) for e in events]

    assert verify_chain(7, redacted) is None
    assert all(is_redacted(e.evidence) for e in redacted)
    assert redacted[0].evidence == {
        "redacted": True,
        "evidence_sha256": evidence_digest(events[0].evidence),
    }
    assert "Sam" not in str([e.evidence for e in redacted])


def test_a_redacted_form_with_another_digest_breaks_the_chain_at_that_event() -> None:
    events = chain()
    forged = [
        events[0],
        replace(events[1], evidence={"redacted": True, "evidence_sha256": "0" * 64}),
    ]

    broken = verify_chain(7, forged)

    assert ((broken.seq, broken.problem) if broken else None) == (
        2,
        "the event's content does not match its hash",
    )


def test_a_float_in_tampered_evidence_is_a_broken_link_not_a_crash() -> None:
    events = chain()
    tampered = [events[0], replace(events[1], evidence={"note": 1.5})]

    end = walk_chain(7, tampered)

    assert (end.broken.seq if end.broken else None, end.seq, end.hash) == (2, 1, events[0].hash)


def test_sealing_refuses_floats() -> None:
    with pytest.raises(TypeError, match="floats are not allowed"):
        seal(
            case_id=7,
            seq=1,
            trigger="open_case",
            from_state="",
            to_state="received",
            actor="alice",
            role="cmeo",
            at=AT,
            evidence={"x": 0.5},
            prev_hash=GENESIS_HASH,
        )


def test_the_hash_covers_the_digest_of_the_evidence_not_its_text() -> None:
    first = chain()[0]

    assert (
        seal(
            case_id=7,
            seq=1,
            trigger="open_case",
            from_state="",
            to_state="received",
            actor="alice",
            role="cmeo",
            at=AT,
            evidence={"facts": {}, "referral": {"child": {"forename": "Sam"}}},
            prev_hash=GENESIS_HASH,
        ).hash
        == first.hash
    )
