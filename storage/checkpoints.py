"""Signed checkpoints of the audit chains: the head (seq, hash) of every case's chain, signed
as one payload that also names the checkpoint before it; and the check of the chains against
one. Written and checked in keyset pages; signing is handed in as a function, so this module
knows no key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, insert, select, update

from engine.audit import BrokenLink, canonical_json
from storage.tables import case_table, checkpoint_head_table, checkpoint_table, event_table

CASE_PAGE = 1000
"""Cases read (or written) at a time."""


def _head_line(case_id: int, seq: int, hash_: str) -> bytes:
    return f"{case_id}:{seq}:{hash_}\n".encode("ascii")


def record_checkpoint(
    engine: Engine, now: datetime, key_id: str, sign: Callable[[bytes], bytes]
) -> dict[str, Any]:
    """Record the head (seq, hash) of every chain and sign the lot, in one transaction.

    Each head is read from the event the case row points at; a case whose row and chain
    disagree is refused (ValueError) so a checkpoint never blesses a broken chain's end.

    Returns:
        The checkpoint: id, created_at, cases, heads_sha256, key_id, payload, signature.
    """
    c, e = case_table.c, event_table.c
    digest = hashlib.sha256()
    count, last = 0, 0
    with engine.begin() as conn:
        previous = conn.execute(
            select(checkpoint_table.c.payload, checkpoint_table.c.signature)
            .order_by(checkpoint_table.c.id.desc())
            .limit(1)
        ).first()
        checkpoint_id = conn.execute(
            insert(checkpoint_table)
            .values(
                created_at=now, cases=0, heads_sha256="", key_id=key_id, payload="", signature=""
            )
            .returning(checkpoint_table.c.id)
        ).scalar_one()
        while True:
            rows = conn.execute(
                select(c.id, c.version, c.head_hash, e.hash)
                .select_from(
                    case_table.outerjoin(event_table, and_(e.case_id == c.id, e.seq == c.version))
                )
                .where(c.id > last)
                .order_by(c.id)
                .limit(CASE_PAGE)
            ).all()
            heads = []
            for case_id, version, head_hash, event_hash in rows:
                if event_hash != head_hash:
                    raise ValueError(
                        f"case {case_id}: its row says version {version} ({head_hash[:12]}) but "
                        "no such event ends its chain; run `cme audit verify`"
                    )
                digest.update(_head_line(case_id, version, head_hash))
                heads.append(
                    {
                        "checkpoint_id": checkpoint_id,
                        "case_id": case_id,
                        "seq": version,
                        "hash": head_hash,
                    }
                )
            if heads:
                conn.execute(insert(checkpoint_head_table), heads)
            count += len(rows)
            if len(rows) < CASE_PAGE:
                break
            last = rows[-1][0]
        previous_sha = (
            hashlib.sha256(
                previous.payload.encode() + bytes.fromhex(previous.signature)
            ).hexdigest()
            if previous
            else ""
        )
        payload = canonical_json(
            {
                "checkpoint": checkpoint_id,
                "created_at": now.isoformat(),
                "cases": count,
                "heads_sha256": digest.hexdigest(),
                "key_id": key_id,
                "previous_sha256": previous_sha,
            }
        ).decode()
        signature = sign(payload.encode()).hex()
        conn.execute(
            update(checkpoint_table)
            .where(checkpoint_table.c.id == checkpoint_id)
            .values(
                cases=count,
                heads_sha256=digest.hexdigest(),
                payload=payload,
                signature=signature,
            )
        )
    return {
        "id": checkpoint_id,
        "created_at": now.isoformat(),
        "cases": count,
        "heads_sha256": digest.hexdigest(),
        "key_id": key_id,
        "payload": payload,
        "signature": signature,
    }


def latest_checkpoint(engine: Engine) -> dict[str, Any] | None:
    """The newest checkpoint, or None."""
    with engine.connect() as conn:
        row = conn.execute(
            select(checkpoint_table).order_by(checkpoint_table.c.id.desc()).limit(1)
        ).first()
    return None if row is None else dict(row._mapping)


def check_checkpoint(
    engine: Engine, checkpoint: dict[str, Any], case_id: int | None = None
) -> tuple[str, list[BrokenLink]]:
    """Check the chains against a checkpoint's heads, in pages.

    Every case it lists must still exist, and its chain must still hold an event at the
    recorded seq with the recorded hash (a deleted tail or case is named here).

    Returns:
        The sha256 of the heads as stored now (all cases only; "" for one case), and the
        problems, one per case.
    """
    h, c, e = checkpoint_head_table.c, case_table.c, event_table.c
    digest = hashlib.sha256()
    problems: list[BrokenLink] = []
    last = -1
    cid = checkpoint["id"]
    while True:
        query = (
            select(h.case_id, h.seq, h.hash, c.id.label("case_row"), e.hash.label("event_hash"))
            .select_from(
                checkpoint_head_table.outerjoin(case_table, c.id == h.case_id).outerjoin(
                    event_table, and_(e.case_id == h.case_id, e.seq == h.seq)
                )
            )
            .where(h.checkpoint_id == cid, h.case_id > last)
            .order_by(h.case_id)
            .limit(CASE_PAGE)
        )
        if case_id is not None:
            query = query.where(h.case_id == case_id)
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        for r in rows:
            digest.update(_head_line(r.case_id, r.seq, r.hash))
            where = f"checkpoint {cid} ({checkpoint['created_at']:%Y-%m-%d %H:%M} UTC)"
            if r.case_row is None:
                problems.append(
                    BrokenLink(r.case_id, r.seq, f"the case was deleted: {where} lists it")
                )
            elif r.event_hash is None:
                problems.append(
                    BrokenLink(
                        r.case_id,
                        r.seq,
                        f"the chain no longer reaches seq {r.seq} recorded by {where} "
                        "(its tail was deleted)",
                        r.hash,
                        "",
                    )
                )
            elif r.event_hash != r.hash:
                problems.append(
                    BrokenLink(
                        r.case_id,
                        r.seq,
                        f"event {r.seq} is not the one {where} recorded",
                        r.hash,
                        r.event_hash,
                    )
                )
        if len(rows) < CASE_PAGE:
            break
        last = rows[-1].case_id
    return ("" if case_id is not None else digest.hexdigest()), problems
