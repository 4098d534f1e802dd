"""The unit of work's statements, built once at import: constructing a statement per call cost
more than SQLite's own work (bench/, issue 7). Values travel as bind parameters; the driver
layer (`storage.driver`) compiles each once per dialect.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select, update

from storage.rows import CASE_COLUMNS
from storage.tables import case_table, child_table, event_table, outbox_table, timer_table

CASE_BY_ID = select(case_table).where(case_table.c.id == bindparam("case_id"))
UPDATE_CASE = (
    update(case_table)
    .where(case_table.c.id == bindparam("_id"), case_table.c.version == bindparam("_expected"))
    .values({c: bindparam(c) for c in CASE_COLUMNS})
)
UPDATE_CASE_COLUMNS: dict[tuple[str, ...], Any] = {}


def update_case_columns(columns: tuple[str, ...]) -> Any:
    """UPDATE of only `columns` under the version check (built once per column set)."""
    statement = UPDATE_CASE_COLUMNS.get(columns)
    if statement is None:
        statement = UPDATE_CASE_COLUMNS[columns] = (
            update(case_table)
            .where(
                case_table.c.id == bindparam("_id"),
                case_table.c.version == bindparam("_expected"),
            )
            .values({c: bindparam(c) for c in columns})
        )
    return statement


INSERT_EVENT = insert(event_table)
EVENTS_OF = (
    select(event_table)
    .where(event_table.c.case_id == bindparam("case_id"))
    .order_by(event_table.c.seq)
)
CHILD = select(child_table.c.details).where(child_table.c.id == bindparam("child_id"))
PENDING_OF = (
    select(timer_table)
    .where(timer_table.c.case_id == bindparam("case_id"), timer_table.c.status == "pending")
    .order_by(timer_table.c.due_at)
)
FIRED_NAMES = select(timer_table.c.name).where(
    timer_table.c.case_id == bindparam("case_id"), timer_table.c.status == "fired"
)
INSERT_TIMER = insert(timer_table)
FINISH_TIMER = (
    update(timer_table)
    .where(timer_table.c.id == bindparam("_id"))
    .values(status=bindparam("status"), finished_at=bindparam("at"), reason=bindparam("reason"))
)
INSERT_OUTBOX = insert(outbox_table)
CASES_IN = select(case_table).where(case_table.c.id.in_(bindparam("ids", expanding=True)))
PENDING_IN = select(timer_table).where(
    timer_table.c.case_id.in_(bindparam("ids", expanding=True)),
    timer_table.c.status == "pending",
)
CHILDREN_IN = select(child_table.c.id, child_table.c.details).where(
    child_table.c.id.in_(bindparam("ids", expanding=True))
)
HEADS_IN = select(case_table.c.id, case_table.c.head_hash).where(
    case_table.c.id.in_(bindparam("ids", expanding=True))
)
# due timers, oldest first, of cases whose clock runs; joined on the case's primary key, one
# lookup per due timer, never a scan of every case (bench figure 4 with 1,000,000 cases)
CLAIM = (
    select(timer_table.c.id, timer_table.c.case_id)
    .join(case_table, case_table.c.id == timer_table.c.case_id)
    .where(
        timer_table.c.status == "pending",
        timer_table.c.due_at <= bindparam("now"),
        case_table.c.paused_since.is_(None),
    )
    .order_by(timer_table.c.due_at, timer_table.c.id)
    .limit(bindparam("limit"))
)
CLAIM_LOCKED = CLAIM.with_for_update(skip_locked=True, of=[timer_table, case_table])
