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

from sqlalchemy import ColumnElement, Engine, Select, and_, exists, func, select, true
from sqlalchemy import case as when

from storage.read_models import QueueRow, Search, children, search_clause
from storage.rows import case_from_row
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


def _next_due() -> Any:
    t = timer_table.c
    return (
        select(func.min(t.due_at))
        .where(t.case_id == case_table.c.id, t.status == "pending")
        .correlate(case_table)
        .scalar_subquery()
    )


def _overdue(moment: datetime) -> ColumnElement[bool]:
    t = timer_table.c
    return exists().where(t.case_id == case_table.c.id, t.status == "pending", t.due_at <= moment)


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


def work(engine: Engine, wanted: WorkFilter, limit: int = 50, offset: int = 0) -> list[QueueRow]:
    """Open cases as `wanted` filters them: high priority first, then the nearest pending
    deadline (cases with none last), then the oldest; with each case's child."""
    c = case_table.c
    due = _next_due().label("next_due")
    query = _where(select(case_table, due), wanted).order_by(
        c.priority, due.is_(None), due, c.opened_at, c.id
    )
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit).offset(offset)).all()
        found = [(case_from_row(r), r.assignee) for r in rows]  # assignee: schema 0007
        kids = children(conn, [k.child_id for k, _ in found if k.child_id is not None])
    return [QueueRow(k, kids.get(k.child_id or 0, {}), a) for k, a in found]


def count(engine: Engine, wanted: WorkFilter) -> int:
    """How many open cases `wanted` lists."""
    query = _where(select(func.count()).select_from(case_table), wanted)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def by_state(engine: Engine, overdue_at: datetime) -> list[tuple[str, str, int, int]]:
    """`(workflow, state, open cases, of which overdue)` for every state holding open cases."""
    c = case_table.c
    overdue = func.sum(when((_overdue(overdue_at), 1), else_=0))
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
    unsent = exists().where(o.case_id == c.id, o.template == "mash_escalation", o.status != "sent")
    query = select(c.id, c.state).where(c.closed_at.is_(None), (c.state == state) | unsent)
    with engine.connect() as conn:
        return [(int(r[0]), str(r[1])) for r in conn.execute(query)]
