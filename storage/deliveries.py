"""A case's messages and their delivery, for the case page: each outbox row without its body
(template, recipient, status, attempts, when queued and sent, the last error)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from storage.tables import outbox_table


def case_messages(engine: Engine, case_id: int, limit: int = 500) -> list[dict[str, Any]]:
    """The case's outbox rows, oldest first, without their bodies (at most `limit`)."""
    o = outbox_table.c
    query = (
        select(
            o.id,
            o.event_seq,
            o.template,
            o.recipient_role,
            o.recipient,
            o.subject,
            o.status,
            o.attempts,
            o.last_error,
            o.created_at,
            o.sent_at,
        )
        .where(o.case_id == case_id)
        .order_by(o.created_at, o.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
