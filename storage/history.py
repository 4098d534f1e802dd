"""What auditors read of a case besides its chain: who read it (the access log), its deadlines
and messages as they stood at a moment, and the definition versions a workflow has had.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, or_, select

from engine.ports import TimerRecord
from storage.rows import timer_from_row
from storage.tables import access_log_table, definition_table, outbox_table, timer_table


def record_access(
    engine: Engine,
    at: datetime,
    actor: str,
    role: str,
    case_ids: Sequence[int],
    action: str,
    detail: str = "",
) -> None:
    """Append one row per case read to the access log, in one transaction."""
    if not case_ids:
        return
    with engine.begin() as conn:
        conn.execute(
            insert(access_log_table),
            [
                {
                    "at": at,
                    "actor": actor,
                    "role": role,
                    "case_id": case_id,
                    "action": action,
                    "detail": detail,
                }
                for case_id in case_ids
            ],
        )


def access_log(engine: Engine, case_id: int, limit: int = 1000) -> list[dict[str, Any]]:
    """Reads of a case, oldest first."""
    a = access_log_table.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(access_log_table).where(a.case_id == case_id).order_by(a.at, a.id).limit(limit)
        )
        return [dict(r._mapping) for r in rows]


def timers_as_of(engine: Engine, case_id: int, as_of: datetime | None) -> list[TimerRecord]:
    """The case's deadlines pending at `as_of` (None: now): created by then, not yet
    finished then."""
    t = timer_table.c
    query = select(timer_table).where(t.case_id == case_id)
    if as_of is None:
        query = query.where(t.status == "pending")
    else:
        query = query.where(
            t.created_at <= as_of, or_(t.finished_at.is_(None), t.finished_at > as_of)
        )
    with engine.connect() as conn:
        return [timer_from_row(r) for r in conn.execute(query.order_by(t.due_at, t.id))]


def outbox_as_of(engine: Engine, case_id: int, as_of: datetime | None) -> list[dict[str, Any]]:
    """The case's messages queued up to `as_of` (None: all), without their bodies."""
    o = outbox_table.c
    query = select(
        o.id, o.event_seq, o.template, o.recipient_role, o.recipient, o.subject, o.created_at
    ).where(o.case_id == case_id)
    if as_of is not None:
        query = query.where(o.created_at <= as_of)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query.order_by(o.created_at, o.id))]


def definition_versions(engine: Engine, workflow: str, prefix: str = "") -> list[str]:
    """Stored versions of a workflow whose hash starts with `prefix`."""
    d = definition_table.c
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(d.version)
                .where(d.workflow == workflow, d.version.startswith(prefix, autoescape=True))
                .order_by(d.loaded_at)
            ).scalars()
        )
