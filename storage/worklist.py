"""The work list the web pages read: open cases filtered (state, workflow, school, overdue, a
given set of ids), searched (`read_models.Search`), high priority first then nearest pending
deadline; the counts its tabs show; open cases counted by state for the manager.

Each runs in one read transaction. The search text is a bound parameter, never logged here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
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
    unassigned: bool = False
    """Only cases assigned to nobody."""


PENDING: ColumnElement[str] = literal_column("'pending'", String)
"""Inlined (not a bound parameter), so SQLite may use the partial index on pending timers."""
PRIORITIES = ("high", "standard")
"""The queue's order of priority (`engine.ports.Priority`)."""


OPEN_WORK, OPEN_SCHOOL = "ix_case_open_work", "ix_case_open_school"
OPEN_ASSIGNED = "ix_case_assignee_queue"
"""The open cases by assignee (schema 0007): the "assigned to" filter's choices are read from
it (left to itself, SQLite walked every open case's row for them: 44 ms at 100,000)."""
"""The open cases by every filter the list offers but the school, and by school (schema
0013). SQLite is told which to use for a filtered count or page (`INDEXED BY`): without
statistics its planner takes the index on `closed_at`, which reads every open case's row, where
the first answers from the index alone."""


LATE_IN_MAX = 1000
"""At most this many overdue cases are read by primary key (`id IN (...)`); more (a scheduler
down for days), and the filter is the subquery over pending deadlines, evaluated per case."""


def _overdue(moment: datetime) -> ColumnElement[bool]:
    """The case waits on a deadline due by `moment`: one seek of `ix_timer_case_due` a case
    (an `IN` over every late deadline built a table of them all first)."""
    t = timer_table.c
    late = select(t.id).where(
        t.case_id == case_table.c.id, t.status == PENDING, t.due_at <= moment
    )
    return late.exists()


def _resolved(conn: Connection, wanted: WorkFilter) -> WorkFilter:
    """`wanted` with its overdue condition turned into the overdue cases' ids, when they are
    few: the pending deadlines due by then are a range of their partial index, and a few ids
    are read by primary key rather than testing every open case."""
    if wanted.overdue_at is None:
        return wanted
    t = timer_table.c
    late = select(t.case_id).where(t.status == PENDING, t.due_at <= wanted.overdue_at)
    ids = {int(r[0]) for r in conn.execute(late.limit(LATE_IN_MAX + 1))}
    if len(ids) > LATE_IN_MAX:
        return wanted
    if wanted.case_ids is not None:
        ids &= set(wanted.case_ids)
    return replace(wanted, overdue_at=None, case_ids=sorted(ids))


def _where(query: Select[Any], wanted: WorkFilter) -> Select[Any]:
    c = case_table.c
    query = query.where(c.closed_at.is_(None))
    if wanted.search is not None:
        query = query.outerjoin(child_table, child_table.c.id == c.child_id).where(
            search_clause(wanted.search)
        )
    elif wanted.case_ids is None:  # a set of ids is read by primary key instead
        index = OPEN_SCHOOL if wanted.school else OPEN_WORK
        query = query.with_hint(case_table, f"INDEXED BY {index}", "sqlite")
    conditions: list[ColumnElement[bool]] = [true()]
    if wanted.state:
        conditions.append(c.state == wanted.state)
    if wanted.workflow:
        conditions.append(c.workflow == wanted.workflow)
    if wanted.school:
        conditions.append(c.school_id == wanted.school)
    if wanted.overdue_at is not None:
        conditions.append(_overdue(wanted.overdue_at))
    if wanted.assignee:
        conditions.append(c.assignee == wanted.assignee)
    if wanted.unassigned:
        conditions.append(c.assignee.is_(None))
    if wanted.high_priority:
        conditions.append(c.priority == "high")
    if wanted.case_ids is not None:
        conditions.append(c.id.in_(list(wanted.case_ids)))
    return query.where(and_(*conditions))


FIRST_BATCH, MAX_BATCH = 200, 5000
"""Pending deadlines read at a time while filling a page: few at first (a page of high-priority
cases usually fills from the first), twice as many each time after."""
DIRECT_MAX = 2000
"""At most this many cases of a priority: each one's nearest deadline is read (one index seek
a case) and sorted by the database; more, and the page is filled by walking the deadlines."""
WALK_MAX = 40_000
"""Pending deadlines the walk reads at most before it sorts the priority's cases instead (a
filter whose cases mostly have no deadline would otherwise read every pending timer)."""


def work(
    engine: Engine,
    wanted: WorkFilter,
    limit: int = 50,
    offset: int = 0,
    totals: Mapping[str, int] | None = None,
) -> list[QueueRow]:
    """Open cases as `wanted` filters them: high priority first, then the nearest pending
    deadline (cases with none after, oldest first); with each case's child.

    Counts each priority's cases (one index range), then fills the page with the cases of each
    priority in turn, in one of two ways: few cases (`DIRECT_MAX`), each one's nearest deadline
    is looked up and the database sorts them; many, the pending deadlines are read in due
    order (their partial index, no sort) a batch at a time, keeping the cases the filter
    admits, until the page is full. It never orders every open case by its nearest deadline.
    `totals`: the counts `by_priority` gave for `wanted`, if the caller has them.
    """
    need = offset + limit
    with engine.connect() as conn:
        wanted = _resolved(conn, wanted)
        if totals is None:
            totals = _by_priority(conn, wanted)
        ids: list[int] = []
        for priority, total in totals.items():
            take = min(need - len(ids), total)
            if take > 0:
                ids += _in_due_order(conn, wanted, priority, take, total)
        page = ids[offset:need]
        rows = {
            r.id: (case_from_row(r), r.assignee)  # assignee: schema 0007 (casework)
            for r in conn.execute(select(case_table).where(case_table.c.id.in_(page)))
        }
        found = [rows[i] for i in page if i in rows]
        kids = children(conn, [k.child_id for k, _ in found if k.child_id is not None])
    return [QueueRow(k, kids.get(k.child_id or 0, {}), a) for k, a in found]


def _in_due_order(
    conn: Connection, wanted: WorkFilter, priority: str, take: int, total: int
) -> list[int]:
    """The first `take` of the `total` cases of `priority` that `wanted` admits, nearest
    pending deadline first, those with none after (oldest first)."""
    if total > DIRECT_MAX:
        walked = _by_due(conn, wanted, priority, take)
        if walked is not None:
            if len(walked) < take:  # every pending deadline read: the rest have none
                walked += _undated(conn, wanted, priority, take - len(walked))
            return walked
    t, c = timer_table.c, case_table.c
    next_due = (
        select(func.min(t.due_at)).where(t.case_id == c.id, t.status == PENDING).scalar_subquery()
    )
    query = _where(select(c.id).where(c.priority == priority), wanted)
    query = query.order_by(next_due.asc().nulls_last(), c.opened_at, c.id).limit(take)
    return [int(r[0]) for r in conn.execute(query)]


def _undated(conn: Connection, wanted: WorkFilter, priority: str, n: int) -> list[int]:
    """The oldest `n` cases of `priority` that `wanted` admits and that wait on no deadline."""
    t, c = timer_table.c, case_table.c
    pending = select(t.case_id).where(t.case_id == c.id, t.status == PENDING).exists()
    query = _where(select(c.id).where(c.priority == priority, ~pending), wanted)
    return [int(r[0]) for r in conn.execute(query.order_by(c.opened_at, c.id).limit(n))]


def _by_priority(conn: Connection, wanted: WorkFilter) -> dict[str, int]:
    """How many open cases of each priority `wanted` admits, in the queue's order: one range
    of the index per priority (the index leads with it)."""
    priorities = ("high",) if wanted.high_priority else PRIORITIES
    if wanted.case_ids is not None and not wanted.case_ids:
        return dict.fromkeys(priorities, 0)
    c = case_table.c
    found = {}
    for priority in priorities:
        query = _where(select(func.count()).select_from(case_table), wanted)
        found[priority] = int(conn.execute(query.where(c.priority == priority)).scalar_one())
    return found


def _admitted(conn: Connection, wanted: WorkFilter, ids: list[int]) -> dict[int, str]:
    """`id -> priority` of the cases among `ids` that `wanted` admits, overdue or not (the
    walk meets only late deadlines when it asks for those). Read by primary key and filtered
    here (an index on another column would make the database scan it); a search is the
    database's."""
    c = case_table.c
    if wanted.search is not None:
        searched = replace(wanted, overdue_at=None)
        query = _where(select(c.id, c.priority).where(c.id.in_(ids)), searched)
        return {int(r[0]): str(r[1]) for r in conn.execute(query)}
    columns = (c.id, c.priority, c.state, c.workflow, c.closed_at, c.school_id, c.assignee)
    rows = conn.execute(select(*columns).where(c.id.in_(ids)))
    wanted_ids = set(wanted.case_ids) if wanted.case_ids is not None else None
    found = {}
    for case_id, priority, state, workflow, closed_at, school_id, assignee in rows:
        if closed_at is not None or (wanted.high_priority and priority != "high"):
            continue
        if (wanted.state and state != wanted.state) or (
            wanted.workflow and workflow != wanted.workflow
        ):
            continue
        if (wanted.school and school_id != wanted.school) or (
            wanted.assignee and assignee != wanted.assignee
        ):
            continue
        if wanted.unassigned and assignee is not None:
            continue
        if wanted_ids is not None and case_id not in wanted_ids:
            continue
        found[int(case_id)] = str(priority)
    return found


def _by_due(conn: Connection, wanted: WorkFilter, priority: str, take: int) -> list[int] | None:
    """Up to `take` case ids of `priority`, by nearest pending deadline (fewer: every pending
    deadline was read); None when `WALK_MAX` deadlines were read first."""
    t = timer_table.c
    admitted: list[int] = []
    seen: set[int] = set()
    after: tuple[Any, int] | None = None
    size, read = FIRST_BATCH, 0
    while len(admitted) < take:
        if read >= WALK_MAX:
            return None
        due = type_coerce(t.due_at, String)  # as stored: no conversion of each row
        query = select(t.case_id, due, t.id).where(t.status == PENDING)
        if wanted.overdue_at is not None:
            # a case is first met at its nearest deadline: it is overdue if that one is late,
            # and once the walk is past the moment no case it meets can be
            query = query.where(t.due_at <= wanted.overdue_at)
        if after is not None:
            query = query.where(tuple_(due, t.id) > tuple_(after[0], after[1]))
        batch = conn.execute(query.order_by(t.due_at, t.id).limit(size)).all()
        read += len(batch)
        size = min(size * 2, MAX_BATCH)
        if not batch:
            break
        after = (batch[-1][1], batch[-1][2])
        fresh = list(dict.fromkeys(r[0] for r in batch if r[0] not in seen))
        seen.update(fresh)
        if not fresh:
            continue
        keep = _admitted(conn, wanted, fresh)
        admitted += [i for i in fresh if keep.get(i) == priority]
    return admitted[:take]


def by_priority(engine: Engine, wanted: WorkFilter) -> dict[str, int]:
    """How many open cases of each priority `wanted` lists, in the queue's order of priority
    (only `high` when `wanted` asks for high priority)."""
    with engine.connect() as conn:
        return _by_priority(conn, _resolved(conn, wanted))


def count(engine: Engine, wanted: WorkFilter) -> int:
    """How many open cases `wanted` lists."""
    return sum(by_priority(engine, wanted).values())


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
    """`(id, name)` of every school named by an open case, by name (the school filter); the
    name as the newest open case of the school spells it."""
    c = case_table.c
    latest = (
        select(func.max(c.id))
        .where(c.closed_at.is_(None), c.school_id.is_not(None))
        .group_by(c.school_id)
        .with_hint(case_table, f"INDEXED BY {OPEN_SCHOOL}", "sqlite")
    )
    school_name = c.facts[("school", "name")].as_string()
    query = select(c.school_id, school_name).where(c.id.in_(latest))
    with engine.connect() as conn:
        rows = [(str(r[0]), str(r[1] or r[0])) for r in conn.execute(query)]
    return sorted(rows, key=lambda r: r[1].lower())


def assignees(engine: Engine) -> list[str]:
    """Every account open cases are assigned to, by name (the "assigned to" filter): read from
    the assignee index of open cases, not the cases."""
    c = case_table.c
    query = (
        select(c.assignee)
        .where(c.closed_at.is_(None), c.assignee.is_not(None))
        .distinct()
        .order_by(c.assignee)
        .with_hint(case_table, f"INDEXED BY {OPEN_ASSIGNED}", "sqlite")
    )
    with engine.connect() as conn:
        return [str(r[0]) for r in conn.execute(query)]


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
