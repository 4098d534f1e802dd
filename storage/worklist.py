"""The work list the web pages read: open cases filtered (state, workflow, school, overdue, a
given set of ids), searched (`read_models.Search`), high priority first then nearest pending
deadline; the counts its tabs show; open cases counted by state for the manager.

Each runs in one read transaction. The search text is a bound parameter, never logged here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    String,
    and_,
    func,
    literal_column,
    select,
    true,
    tuple_,
    type_coerce,
)
from sqlalchemy import case as when

from engine.ports import TimerRecord
from storage.read_models import QueueRow, Search, children, search_clause
from storage.rows import case_from_row, timer_from_row
from storage.tables import case_table, child_table, outbox_table, timer_table


@dataclass(frozen=True, slots=True)
class WorkFilter:
    """Which open cases to list; None (or empty) means any."""

    state: str | None = None
    workflow: str | None = None
    school: str | None = None
    """The school's id, exactly."""
    overdue_at: datetime | None = None
    """Only cases with a pending deadline due at or before this moment."""
    high_priority: bool = False
    case_ids: Collection[int] | None = None
    """Only these cases (e.g. those whose MASH escalation is in trouble)."""
    search: Search | None = None
    assignee: str | None = None
    """Only cases assigned to this account (`case.assignee`, casework's "my cases")."""


PENDING: ColumnElement[str] = literal_column("'pending'", String)
"""Inlined (not a bound parameter), so SQLite may use the partial index on pending timers."""
PRIORITIES = ("high", "standard")
"""The queue's order of priority (`engine.ports.Priority`)."""


def _overdue(moment: datetime) -> ColumnElement[bool]:
    t = timer_table.c
    overdue = select(t.case_id).where(t.status == PENDING, t.due_at <= moment)
    found: ColumnElement[bool] = case_table.c.id.in_(overdue)
    return found


def _where(query: Select[Any], wanted: WorkFilter) -> Select[Any]:
    c = case_table.c
    query = query.where(c.closed_at.is_(None))
    if wanted.search is not None:
        query = query.outerjoin(child_table, child_table.c.id == c.child_id).where(
            search_clause(wanted.search)
        )
    conditions: list[ColumnElement[bool]] = [true()]
    if wanted.state:
        conditions.append(c.state == wanted.state)
    if wanted.workflow:
        conditions.append(c.workflow == wanted.workflow)
    if wanted.school:
        conditions.append(c.facts[("school", "id")].as_string() == wanted.school)
    if wanted.overdue_at is not None:
        conditions.append(_overdue(wanted.overdue_at))
    if wanted.assignee:
        conditions.append(c.assignee == wanted.assignee)
    if wanted.high_priority:
        conditions.append(c.priority == "high")
    if wanted.case_ids is not None:
        conditions.append(c.id.in_(list(wanted.case_ids)))
    return query.where(and_(*conditions))


FIRST_BATCH, MAX_BATCH = 200, 5000
"""Pending deadlines read at a time while filling a page: few at first (a page of high-priority
cases usually fills from the first), twice as many each time after."""


def work(engine: Engine, wanted: WorkFilter, limit: int = 50, offset: int = 0) -> list[QueueRow]:
    """Open cases as `wanted` filters them: high priority first, then the nearest pending
    deadline (cases with none after, oldest first); with each case's child.

    Counts first how many cases of each priority the page takes (those with a pending
    deadline, those without), then reads pending deadlines in due order (their partial index,
    no sort) a batch at a time, keeping the cases the filter admits, until the page is full:
    it never orders every open case by its nearest deadline.
    """
    need = offset + limit
    t, c = timer_table.c, case_table.c
    priorities = ("high",) if wanted.high_priority else PRIORITIES
    pending = select(t.case_id).where(t.case_id == c.id, t.status == PENDING).exists()
    with engine.connect() as conn:
        targets: dict[str, int] = {}
        undated_of: dict[str, Select[Any]] = {}
        placed = 0
        for priority in priorities:
            targets[priority] = 0
            if placed >= need:
                continue
            total = _count(conn, wanted, c.priority == priority)
            if not total:
                continue
            undated = _count(conn, wanted, c.priority == priority, ~pending)
            targets[priority] = min(need - placed, total - undated)
            undated_of[priority] = _where(
                select(c.id).where(c.priority == priority, ~pending), wanted
            ).order_by(c.opened_at, c.id)
            placed += min(need - placed, total)
        admitted = _by_due(conn, wanted, targets)
        ids: list[int] = []
        for priority in priorities:
            ids += admitted[priority][: targets[priority]]
            if len(ids) < need and priority in undated_of:
                query = undated_of[priority].limit(need - len(ids))
                ids += [r[0] for r in conn.execute(query)]
        page = ids[offset:need]
        rows = {
            r.id: (case_from_row(r), r.assignee)  # assignee: schema 0007 (casework)
            for r in conn.execute(select(case_table).where(c.id.in_(page)))
        }
        found = [rows[i] for i in page if i in rows]
        kids = children(conn, [k.child_id for k, _ in found if k.child_id is not None])
    return [QueueRow(k, kids.get(k.child_id or 0, {}), a) for k, a in found]


def _count(conn: Connection, wanted: WorkFilter, *more: ColumnElement[bool]) -> int:
    query = _where(select(func.count()).select_from(case_table).where(*more), wanted)
    return int(conn.execute(query).scalar_one())


def _admitted(
    conn: Connection, wanted: WorkFilter, ids: list[int], overdue: set[int] | None
) -> dict[int, str]:
    """`id -> priority` of the cases among `ids` that `wanted` admits. Read by primary key
    and filtered here (an index on another column would make the database scan it); a search
    is the database's."""
    c = case_table.c
    if wanted.search is not None:
        query = _where(select(c.id, c.priority).where(c.id.in_(ids)), wanted)
        return {int(r[0]): str(r[1]) for r in conn.execute(query)}
    school = c.facts[("school", "id")].as_string()
    rows = conn.execute(
        select(c.id, c.priority, c.state, c.workflow, c.closed_at, school).where(c.id.in_(ids))
    )
    wanted_ids = set(wanted.case_ids) if wanted.case_ids is not None else None
    found = {}
    for case_id, priority, state, workflow, closed_at, school_id in rows:
        if closed_at is not None or (wanted.high_priority and priority != "high"):
            continue
        if (wanted.state and state != wanted.state) or (
            wanted.workflow and workflow != wanted.workflow
        ):
            continue
        if wanted.school and school_id != wanted.school:
            continue
        if (overdue is not None and case_id not in overdue) or (
            wanted_ids is not None and case_id not in wanted_ids
        ):
            continue
        found[int(case_id)] = str(priority)
    return found


def _by_due(conn: Connection, wanted: WorkFilter, targets: dict[str, int]) -> dict[str, list[int]]:
    """Case ids of each priority, by nearest pending deadline, as many as `targets` asks."""
    t = timer_table.c
    admitted: dict[str, list[int]] = {p: [] for p in targets}
    seen: set[int] = set()
    overdue: set[int] | None = None
    if wanted.overdue_at is not None:
        late = select(t.case_id).where(t.status == PENDING, t.due_at <= wanted.overdue_at)
        overdue = {int(r[0]) for r in conn.execute(late)}
    after: tuple[Any, int] | None = None
    size = FIRST_BATCH
    while any(len(admitted[p]) < n for p, n in targets.items()):
        due = type_coerce(t.due_at, String)  # as stored: no conversion of each row
        query = select(t.case_id, due, t.id).where(t.status == PENDING)
        if after is not None:
            query = query.where(tuple_(due, t.id) > tuple_(after[0], after[1]))
        batch = conn.execute(query.order_by(t.due_at, t.id).limit(size)).all()
        size = min(size * 2, MAX_BATCH)
        if not batch:
            break
        after = (batch[-1][1], batch[-1][2])
        fresh = list(dict.fromkeys(r[0] for r in batch if r[0] not in seen))
        seen.update(fresh)
        if not fresh:
            continue
        keep = _admitted(conn, wanted, fresh, overdue)
        for case_id in fresh:
            if keep.get(case_id) in admitted:
                admitted[keep[case_id]].append(case_id)
    return admitted


def count(engine: Engine, wanted: WorkFilter) -> int:
    """How many open cases `wanted` lists."""
    query = _where(select(func.count()).select_from(case_table), wanted)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def by_state(engine: Engine, overdue_at: datetime) -> list[tuple[str, str, int, int]]:
    """`(workflow, state, open cases, of which overdue)` for every state holding open cases."""
    c = case_table.c
    overdue = func.sum(when((_overdue(overdue_at), 1), else_=0))  # one subquery, not one a row
    query = (
        select(c.workflow, c.state, func.count(), overdue)
        .where(c.closed_at.is_(None))
        .group_by(c.workflow, c.state)
        .order_by(c.workflow, c.state)
    )
    with engine.connect() as conn:
        return [(r[0], r[1], int(r[2]), int(r[3] or 0)) for r in conn.execute(query)]


def schools(engine: Engine) -> list[tuple[str, str]]:
    """`(id, name)` of every school named by an open case, by name (the school filter)."""
    c = case_table.c
    school_id = c.facts[("school", "id")].as_string()
    school_name = c.facts[("school", "name")].as_string()
    query = (
        select(school_id, func.max(school_name))
        .where(c.closed_at.is_(None), school_id.is_not(None))
        .group_by(school_id)
    )
    with engine.connect() as conn:
        rows = [(str(r[0]), str(r[1] or r[0])) for r in conn.execute(query)]
    return sorted(rows, key=lambda r: r[1].lower())


def escalation_candidates(engine: Engine, state: str) -> list[tuple[int, str]]:
    """`(id, state)` of open cases that may carry a MASH escalation mark: those in `state`
    (awaiting acknowledgement) and those with a MASH escalation not sent."""
    c, o = case_table.c, outbox_table.c
    unsent = select(o.case_id).where(o.template == "mash_escalation", o.status != "sent")
    with engine.connect() as conn:
        found = {
            int(r[0]): str(r[1])
            for r in conn.execute(
                select(c.id, c.state).where(c.closed_at.is_(None), c.state == state)
            )
        }
        extra = {int(r[0]) for r in conn.execute(unsent)} - set(found)
        if extra:
            for r in conn.execute(
                select(c.id, c.state).where(c.closed_at.is_(None), c.id.in_(sorted(extra)))
            ):
                found[int(r[0])] = str(r[1])
    return sorted(found.items())


def pending_timers(engine: Engine, case_ids: list[int]) -> dict[int, list[TimerRecord]]:
    """Case id -> its pending timers, soonest first, for these cases (one query)."""
    t = timer_table.c
    found: dict[int, list[TimerRecord]] = {i: [] for i in case_ids}
    if not case_ids:
        return found
    query = (
        select(timer_table)
        .where(t.case_id.in_(case_ids), t.status == PENDING)
        .order_by(t.case_id, t.due_at, t.id)
    )
    with engine.connect() as conn:
        for row in conn.execute(query):
            timer = timer_from_row(row)
            found[timer.case_id].append(timer)
    return found
