"""`SqlOutboxStore`: the outbox as `notifications.dispatch.OutboxStore` needs it.

Claiming. A claim marks due rows `sending` with a lease (`next_attempt_at` = now + lease) in one
statement, so racing dispatchers never take the same row, and a dispatcher that dies mid-send
leaves rows another one takes again once the lease runs out:

* PostgreSQL: `WITH due AS MATERIALIZED (SELECT id ... FOR UPDATE SKIP LOCKED LIMIT n)
  UPDATE ... FROM due ... RETURNING`. The CTE is evaluated exactly once (a plain `IN (subquery
  LIMIT n)` may be re-evaluated by the planner and claim more than `n` rows), rows another
  claim holds locked are skipped, and a row another claim committed meanwhile is re-checked
  against the WHERE clause (READ COMMITTED) and dropped because it is no longer due.
* SQLite: one writer at a time (every transaction begins IMMEDIATE, storage/database.py), so
  the select-and-update statement runs alone.

Fencing. The lease a claim wrote is remembered by this store, and every `mark_*` updates the row
only while it is still `sending` under that same lease. A dispatcher that was too slow (its lease
ran out and another dispatcher re-claimed the row) therefore cannot overwrite the newer claim's
outcome, e.g. turn a `sent` row back into `deferred`; it logs that it lost the claim instead.
Keep a dispatcher's batch small enough to be sent well within `LEASE` (cme.delivery does).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select, update

from engine.ports import OutboxMessage
from storage.database import write_transaction
from storage.tables import outbox_table

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
"""How long a claimed (`sending`) row stays reserved for the dispatcher that claimed it."""

STATUSES = ("pending", "sending", "sent", "deferred", "failed")
"""Every status an outbox row can have (engine.ports.OutboxStatus)."""


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
    """Claims and marks outbox rows, each call in its own short transaction.

    Args:
        engine: the database.
        lease: how long a claim reserves its rows.
    """

    def __init__(self, engine: Engine, lease: timedelta = LEASE) -> None:
        if lease <= timedelta(0):
            raise ValueError("the outbox lease must be positive")
        self.engine = engine
        self.lease = lease
        self._leases: dict[int, datetime] = {}
        self._lock = threading.Lock()

    def claim_sendable(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Claim due rows (pending or deferred due by `now`, or `sending` with an expired
        lease), oldest first, and mark them `sending` until `now + lease`."""
        if limit < 1:
            return []
        t = outbox_table
        until = now + self.lease
        due = (
            select(t.c.id)
            .where(
                t.c.status.in_(("pending", "deferred", "sending")),
                or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= now),
            )
            .order_by(t.c.created_at, t.c.id)
            .limit(limit)
        )
        claim = update(t).values(status="sending", next_attempt_at=until).returning(*t.c)
        if self.engine.dialect.name == "postgresql":
            locked = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
            statement = claim.where(t.c.id == locked.c.id)
        else:
            statement = claim.where(t.c.id.in_(due.scalar_subquery()))
        with write_transaction(self.engine) as conn:
            rows = conn.execute(statement).all()
        messages = sorted((_message(r) for r in rows), key=lambda m: (m.created_at, m.id or 0))
        with self._lock:
            for m in messages:
                if m.id is not None:
                    self._leases[m.id] = until
        return messages

    def _mark(self, message_id: int, outcome: str, **values: Any) -> bool:
        """Record one attempt's outcome on a row this store holds the claim on."""
        with self._lock:
            lease = self._leases.pop(message_id, None)
        with write_transaction(self.engine) as conn:
            return self._mark_on(conn, message_id, lease, outcome, **values)

    def settle(
        self,
        conn: Connection,
        message_id: int,
        status: str,
        at: datetime,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        """Record one attempt's outcome (`sent`, `deferred` or `failed`) on a claimed row, on
        `conn`: inside the transaction that records the outcome's event on the case
        (cme.delivery), so the two commit together. False (nothing written) if the claim on
        the row was lost. The claim's lease is kept until `release`, so a transaction retried
        after a conflict is fenced the same way."""
        if status not in ("sent", "deferred", "failed"):
            raise ValueError(f"'{status}' is not the outcome of an attempt")
        with self._lock:
            lease = self._leases.get(message_id)
        values: dict[str, Any] = {
            "status": status,
            "next_attempt_at": None,
            "outcome_recorded": status != "deferred",  # its event commits with it
        }
        if status == "sent":
            values["sent_at"] = at
        else:
            values["last_error"] = error or ""
        if status == "deferred":
            values["next_attempt_at"] = next_attempt_at
        return self._mark_on(conn, message_id, lease, status, **values)

    def release(self, message_id: int) -> None:
        """Forget the claim on a row whose outcome was settled (or lost)."""
        with self._lock:
            self._leases.pop(message_id, None)

    def _mark_on(
        self,
        conn: Connection,
        message_id: int,
        lease: datetime | None,
        outcome: str,
        **values: Any,
    ) -> bool:
        t = outbox_table
        held = t.c.status == "sending"
        if lease is not None:
            held = and_(held, t.c.next_attempt_at == lease)
        result = conn.execute(
            update(t).where(t.c.id == message_id, held).values(attempts=t.c.attempts + 1, **values)
        )
        if result.rowcount != 1:
            log.warning(
                "outbox %s: not marked %s, the claim on it was lost (its lease ran out and "
                "another dispatcher took it, or it is no longer being sent)",
                message_id,
                outcome,
            )
            return False
        return True

    def mark_sent(self, message_id: int, at: datetime) -> None:
        """Sent: never tried again."""
        self._mark(message_id, "sent", status="sent", sent_at=at, next_attempt_at=None)

    def mark_deferred(
        self, message_id: int, at: datetime, next_attempt_at: datetime, error: str
    ) -> None:
        """Failed for now: tried again from `next_attempt_at`."""
        self._mark(
            message_id,
            "deferred",
            status="deferred",
            next_attempt_at=next_attempt_at,
            last_error=error,
        )

    def mark_failed(self, message_id: int, at: datetime, error: str) -> None:
        """Given up: the CMEO is told."""
        self._mark(message_id, "failed", status="failed", next_attempt_at=None, last_error=error)

    # -- for operators (`cme outbox ...`) --------------------------------------------------
    def get(self, message_id: int) -> OutboxMessage | None:
        """One row, or None if there is no such row."""
        with self.engine.connect() as conn:
            row = conn.execute(select(outbox_table).where(outbox_table.c.id == message_id)).first()
        return None if row is None else _message(row)

    def list(
        self, status: str | None = None, case_id: int | None = None, limit: int = 100
    ) -> list[OutboxMessage]:
        """Rows for `cme outbox list`, newest first."""
        query = select(outbox_table).order_by(outbox_table.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(outbox_table.c.status == status)
        if case_id is not None:
            query = query.where(outbox_table.c.case_id == case_id)
        with self.engine.connect() as conn:
            return [_message(r) for r in conn.execute(query)]

    def retry(self, message_id: int, now: datetime) -> bool:
        """Put a failed or deferred row back in the queue now (its attempts count is kept);
        False if there is no such row or it is not failed or deferred."""
        with write_transaction(self.engine) as conn:
            result = conn.execute(
                update(outbox_table)
                .where(
                    outbox_table.c.id == message_id,
                    outbox_table.c.status.in_(("failed", "deferred")),
                )
                .values(status="pending", next_attempt_at=now, outcome_recorded=False)
            )
        return result.rowcount == 1
