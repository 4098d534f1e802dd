"""Retention: legal holds, and the erasure of a closed case's personal data (its chain still
verifies: each event's evidence is replaced by its redacted form, whose digest the hash
covers). The cases due for erasure are found by `storage.audit.due_for_erasure`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from engine.audit import ERASED_TRIGGER, KEEP_ON_ERASURE, is_redacted, redact, seal
from engine.errors import ConcurrentUpdate
from engine.ports import Actor
from storage.rows import case_from_row
from storage.tables import (
    case_table,
    child_table,
    erasure_table,
    event_table,
    legal_hold_table,
    outbox_table,
)

ERASED_TEXT = "[erased under the retention policy]"


def active_hold(engine: Engine, case_id: int) -> dict[str, Any] | None:
    """The case's legal hold in force, or None."""
    h = legal_hold_table.c
    with engine.connect() as conn:
        row = conn.execute(
            select(legal_hold_table).where(h.case_id == case_id, h.released_at.is_(None))
        ).first()
    return None if row is None else dict(row._mapping)


def place_hold(engine: Engine, case_id: int, reason: str, actor: str, now: datetime) -> None:
    """Put a case under legal hold (no erasure while it lasts)."""
    with engine.begin() as conn:
        conn.execute(
            insert(legal_hold_table).values(
                case_id=case_id, reason=reason, placed_by=actor, placed_at=now
            )
        )


def release_hold(engine: Engine, case_id: int, actor: str, now: datetime) -> int:
    """Release the case's holds in force; return how many."""
    h = legal_hold_table.c
    with engine.begin() as conn:
        return int(
            conn.execute(
                update(legal_hold_table)
                .where(h.case_id == case_id, h.released_at.is_(None))
                .values(released_by=actor, released_at=now)
            ).rowcount
        )


def erased(engine: Engine, case_id: int) -> dict[str, Any] | None:
    """When and by whom the case was erased, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(erasure_table).where(erasure_table.c.case_id == case_id)).first()
    return None if row is None else dict(row._mapping)


def erase_case(
    engine: Engine, case_id: int, actor: Actor, now: datetime, why: Mapping[str, Any]
) -> int:
    """Redact the personal data of one case, in one transaction; return events redacted.

    Each event's evidence becomes its redacted form (its hash still verifies), except events
    that hold no personal data and replay needs (`migrated`); the child's details, the case's
    facts and the text of its messages are erased; an `erased` event (evidence: `why` and the
    count) is appended under the case's version (optimistic lock).

    Raises:
        ConcurrentUpdate: the case changed while it was being erased.
    """
    e = event_table.c
    count = 0
    with engine.begin() as conn:
        case = case_from_row(
            conn.execute(select(case_table).where(case_table.c.id == case_id)).one()
        )
        for row in conn.execute(
            select(e.id, e.trigger, e.evidence).where(e.case_id == case_id).order_by(e.seq)
        ).all():
            if row.trigger in KEEP_ON_ERASURE or is_redacted(row.evidence):
                continue
            conn.execute(
                update(event_table).where(e.id == row.id).values(evidence=redact(row.evidence))
            )
            count += 1
        event = seal(
            case_id=case.id,
            seq=case.version + 1,
            trigger=ERASED_TRIGGER,
            from_state=case.state,
            to_state=case.state,
            actor=actor.name,
            role=actor.role,
            at=now,
            evidence={**why, "events_redacted": count},
            prev_hash=case.head_hash,
        )
        conn.execute(
            insert(event_table).values(
                case_id=event.case_id,
                seq=event.seq,
                trigger=event.trigger,
                from_state=event.from_state,
                to_state=event.to_state,
                actor=event.actor,
                role=event.role,
                at=event.at,
                evidence=dict(event.evidence),
                prev_hash=event.prev_hash,
                hash=event.hash,
                body=event.body,
            )
        )
        changed = conn.execute(
            update(case_table)
            .where(case_table.c.id == case_id, case_table.c.version == case.version)
            .values(
                facts={"redacted": True},
                pause_reason=None,
                version=event.seq,
                head_hash=event.hash,
                updated_at=now,
            )
        ).rowcount
        if changed != 1:
            raise ConcurrentUpdate(case.ref, case.version, case.version + 1, "", "")
        if case.child_id is not None:
            conn.execute(
                update(child_table)
                .where(child_table.c.id == case.child_id)
                .values(upn=None, details={"redacted": True})
            )
        conn.execute(
            update(outbox_table)
            .where(outbox_table.c.case_id == case_id)
            .values(subject=ERASED_TEXT, body_text=ERASED_TEXT, body_html=ERASED_TEXT)
        )
        conn.execute(
            insert(erasure_table).values(
                case_id=case_id, erased_at=now, actor=actor.name, events=count
            )
        )
    return count
