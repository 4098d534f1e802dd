"""Refusals in the access log: who tried to do what, in which role, and why it was refused.

A refusal may concern no case (`cme audit erase`, `cme db restore`): its `case_id` is NULL
(schema 0005). Reads of a case are recorded by `storage.audit.record_access`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from storage.audit import access_log_table

REFUSED = "refused"
"""The `action` column of every refusal; `detail` says what was refused and why."""


def record_refusal(
    engine: Engine,
    at: datetime,
    actor: str,
    role: str,
    case_id: int | None,
    what: str,
    why: str,
) -> None:
    """Append one refusal (its own transaction). Names and roles are cut to their columns'
    widths: a refusal of an absurd claim is still recorded."""
    with engine.begin() as conn:
        conn.execute(
            insert(access_log_table).values(
                at=at,
                actor=actor[:200],
                role=role[:32],
                case_id=case_id,
                action=REFUSED,
                detail=f"{what}: {why}",
            )
        )


def refusals(engine: Engine, limit: int = 1000) -> list[dict[str, Any]]:
    """Every refusal, newest first."""
    a = access_log_table.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(access_log_table)
            .where(a.action == REFUSED)
            .order_by(a.at.desc(), a.id.desc())
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]
