"""Read-side queries: the caseworker queue, a case's timers and events, definition versions.

Every list is a SQL query on indexed columns with a limit: nothing loads all cases.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from engine.errors import CaseNotFound
from engine.ports import CaseRecord, EventRecord, TimerRecord
from storage.database import write_transaction
from storage.rows import case_from_row, event_from_row, timer_from_row
from storage.tables import case_table, definition_table, event_table, timer_table


def queue(
    engine: Engine,
    state: str | None = None,
    include_closed: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[CaseRecord]:
    """Open cases, high priority first, then oldest first."""
    query = select(case_table)
    if state is not None:
        query = query.where(case_table.c.state == state)
    if not include_closed:
        query = query.where(case_table.c.closed_at.is_(None))
    query = (
        query.order_by(case_table.c.priority, case_table.c.opened_at, case_table.c.id)
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as conn:
        return [case_from_row(r) for r in conn.execute(query)]


def pending_timers(engine: Engine, case_id: int) -> list[TimerRecord]:
    """A case's pending timers, soonest first."""
    with engine.connect() as conn:
        return _pending(conn, case_id)


def _pending(conn: Connection, case_id: int) -> list[TimerRecord]:
    rows = conn.execute(
        select(timer_table)
        .where(timer_table.c.case_id == case_id, timer_table.c.status == "pending")
        .order_by(timer_table.c.due_at)
    )
    return [timer_from_row(r) for r in rows]


def _count(conn: Connection, case_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(event_table).where(event_table.c.case_id == case_id)
        ).scalar_one()
    )


def case_read(engine: Engine, case_id: int) -> tuple[CaseRecord, list[TimerRecord], int]:
    """A case, its pending timers (soonest first) and how many events it has, in one read
    transaction (on SQLite a plain BEGIN: a read never takes the write lock).

    Raises:
        CaseNotFound: no case has this id.
    """
    with engine.connect() as conn:
        row = conn.execute(select(case_table).where(case_table.c.id == case_id)).first()
        if row is None:
            raise CaseNotFound(case_id)
        return case_from_row(row), _pending(conn, case_id), _count(conn, case_id)


def deadlines_and_counts(
    engine: Engine, case_ids: Sequence[int]
) -> dict[int, tuple[list[TimerRecord], int]]:
    """Case id -> (its pending timers, soonest first; its number of events), in one read
    transaction: what a list of cases shows beside each."""
    with engine.connect() as conn:
        return {i: (_pending(conn, i), _count(conn, i)) for i in case_ids}


def all_timers(engine: Engine, case_id: int) -> list[TimerRecord]:
    """Every timer a case ever had, by due time."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(timer_table)
            .where(timer_table.c.case_id == case_id)
            .order_by(timer_table.c.due_at, timer_table.c.id)
        )
        return [timer_from_row(r) for r in rows]


def events(engine: Engine, case_id: int) -> list[EventRecord]:
    """A case's events in order."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(event_table).where(event_table.c.case_id == case_id).order_by(event_table.c.seq)
        )
        return [event_from_row(r) for r in rows]


def count_events(engine: Engine, case_id: int) -> int:
    """How many events a case has."""
    with engine.connect() as conn:
        return _count(conn, case_id)


def case_ids(engine: Engine, batch: int = 1000) -> Iterator[int]:
    """Every case id, streamed in pages."""
    last = 0
    while True:
        with engine.connect() as conn:
            ids = list(
                conn.execute(
                    select(case_table.c.id)
                    .where(case_table.c.id > last)
                    .order_by(case_table.c.id)
                    .limit(batch)
                ).scalars()
            )
        yield from ids
        if len(ids) < batch:
            return
        last = ids[-1]


def store_definition(
    engine: Engine, version: str, workflow: str, source: str, now: datetime
) -> bool:
    """Keep a definition version's source (once); True if it was new.

    Every command checks its charts are stored: the check is a plain read (no write lock on
    SQLite); only a version not yet stored takes a write transaction, and looks again in it.
    """
    known = select(definition_table.c.version).where(definition_table.c.version == version)
    with engine.connect() as conn:
        if conn.execute(known).first():
            return False
    with write_transaction(engine) as conn:
        if conn.execute(known).first():
            return False
        conn.execute(
            insert(definition_table).values(
                version=version, workflow=workflow, source=source, loaded_at=now
            )
        )
        return True


def definition_source(engine: Engine, version: str) -> dict[str, Any] | None:
    """A stored definition version: {workflow, source}, or None."""
    with engine.connect() as conn:
        row = conn.execute(
            select(definition_table).where(definition_table.c.version == version)
        ).first()
    return None if row is None else {"workflow": row.workflow, "source": row.source}
