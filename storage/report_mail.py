"""`report_mail`: the messages the scheduler sends about reports (no personal data), one row
per report, period and recipient, so a message is queued once however often the scheduler
passes, and a failed send is tried again on the next pass."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from storage.tables import report_mail_table

MAX_ATTEMPTS = 10


def queue(engine: Engine, at: datetime, kind: str, period: str, rows: list[dict[str, str]]) -> int:
    """Add a message per row (`recipient`, `subject`, `body_text`, `body_html`) not already
    queued for this report and period; return how many were added."""
    t = report_mail_table.c
    added = 0
    with engine.begin() as conn:
        known = set(
            conn.execute(select(t.recipient).where(t.kind == kind, t.period == period)).scalars()
        )
        for row in rows:
            if row["recipient"] in known:
                continue
            conn.execute(
                insert(report_mail_table).values(
                    kind=kind, period=period, status="pending", attempts=0, created_at=at, **row
                )
            )
            added += 1
    return added


def is_queued(engine: Engine, kind: str, period: str, recipient: str) -> bool:
    """Whether this message was queued already (sent or not)."""
    t = report_mail_table.c
    query = select(t.id).where(t.kind == kind, t.period == period, t.recipient == recipient)
    with engine.connect() as conn:
        return conn.execute(query).first() is not None


def pending(engine: Engine) -> list[dict[str, Any]]:
    """Messages not yet sent and not given up on, oldest first."""
    t = report_mail_table.c
    with engine.connect() as conn:
        rows = conn.execute(select(report_mail_table).where(t.status == "pending").order_by(t.id))
        return [dict(r._mapping) for r in rows]


def settle(engine: Engine, mail_id: int, at: datetime, error: str | None, final: bool) -> None:
    """Record a send: done (no `error`), to be tried again, or given up (`final`)."""
    t = report_mail_table.c
    values: dict[str, Any] = {"attempts": t.attempts + 1, "last_error": error}
    if error is None:
        values.update(status="sent", sent_at=at)
    elif final:
        values.update(status="failed")
    with engine.begin() as conn:
        conn.execute(update(report_mail_table).where(t.id == mail_id).values(**values))


def listed(engine: Engine) -> list[dict[str, Any]]:
    """Every message, oldest first (without bodies)."""
    t = report_mail_table.c
    query = select(
        t.id, t.kind, t.period, t.recipient, t.status, t.attempts, t.last_error, t.sent_at
    ).order_by(t.id)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
