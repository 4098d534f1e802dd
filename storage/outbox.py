"""`SqlOutboxStore`: the outbox as `notifications.dispatch.OutboxStore` needs it.

A claim marks rows `sending` with a lease (`next_attempt_at` = now + lease) in one statement
(PostgreSQL: `FOR UPDATE SKIP LOCKED`), so racing dispatchers never take the same row, and a
dispatcher that dies mid-send leaves rows another one takes again once the lease runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, update

from engine.ports import OutboxMessage
from storage.tables import outbox_table

LEASE = timedelta(minutes=10)


def _message(m: Any) -> OutboxMessage:
    return OutboxMessage(
        case_id=m.case_id,
        event_seq=m.event_seq,
        template=m.template,
        recipient_role=m.recipient_role,
        recipient=m.recipient,
        subject=m.subject,
        body_text=m.body_text,
        body_html=m.body_html,
        created_at=m.created_at,
        status=m.status,
        attempts=m.attempts,
        next_attempt_at=m.next_attempt_at,
        last_error=m.last_error,
        id=m.id,
        sent_at=m.sent_at,
    )


class SqlOutboxStore:
    """Claims and marks outbox rows, each call in its own short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim_sendable(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Claim due rows (pending, deferred, or `sending` with an expired lease)."""
        t = outbox_table
        due = (
            select(t.c.id)
            .where(
                or_(t.c.status.in_(("pending", "deferred")), t.c.status == "sending"),
                or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= now),
            )
            .order_by(t.c.created_at, t.c.id)
            .limit(limit)
        )
        if self.engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            rows = conn.execute(
                update(t)
                .where(t.c.id.in_(due.scalar_subquery()))
                .values(status="sending", next_attempt_at=now + LEASE)
                .returning(*t.c)
            ).all()
        return sorted((_message(r) for r in rows), key=lambda m: m.id or 0)

    def _mark(self, message_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox_table)
                .where(outbox_table.c.id == message_id)
                .values(attempts=outbox_table.c.attempts + 1, **values)
            )

    def mark_sent(self, message_id: int, at: datetime) -> None:
        """Sent: never tried again."""
        self._mark(message_id, status="sent", sent_at=at, next_attempt_at=None)

    def mark_deferred(
        self, message_id: int, at: datetime, next_attempt_at: datetime, error: str
    ) -> None:
        """Failed for now: tried again from `next_attempt_at`."""
        self._mark(
            message_id, status="deferred", next_attempt_at=next_attempt_at, last_error=error
        )

    def mark_failed(self, message_id: int, at: datetime, error: str) -> None:
        """Given up: the CMEO is told."""
        self._mark(message_id, status="failed", next_attempt_at=None, last_error=error)

    def list(self, status: str | None = None, limit: int = 100) -> list[OutboxMessage]:
        """Rows for `cme outbox list`, newest first."""
        query = select(outbox_table).order_by(outbox_table.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(outbox_table.c.status == status)
        with self.engine.connect() as conn:
            return [_message(r) for r in conn.execute(query)]

    def retry(self, message_id: int, now: datetime) -> bool:
        """Put a failed or deferred row back in the queue now; False if there is no such row."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(outbox_table)
                .where(
                    outbox_table.c.id == message_id,
                    outbox_table.c.status.in_(("failed", "deferred")),
                )
                .values(status="pending", next_attempt_at=now)
            )
        return result.rowcount == 1
