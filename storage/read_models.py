"""Read-side queries for the pages a person reads: one case with its child and its outbox, and
the queue searched by name, UPN, case reference or school.

Each runs in one read transaction (on SQLite a plain BEGIN: no write lock). The search is SQL:
a case reference is the primary key and a UPN the indexed `child.upn`; names (in the child's
details) and the school (in the case's facts) are matched with the database's JSON operators,
so nothing loads all cases. The search text is a bound parameter, never logged here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, false, func, or_, select

from engine.errors import CaseNotFound
from engine.ports import CaseRecord, TimerRecord
from storage.casework import CaseworkRows, casework_rows
from storage.rows import case_from_row, timer_from_row
from storage.tables import case_table, child_table, event_table, outbox_table, timer_table

MASH_TEMPLATE = "mash_escalation"
"""The outbox template of a MASH escalation (the secure email sent at once)."""


@dataclass(frozen=True, slots=True)
class LatestEscalation:
    """The newest MASH escalation row of a case: its status, when queued, when sent."""

    status: str
    queued_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class CaseRows:
    """Everything one case page shows, read together."""

    case: CaseRecord
    timers: list[TimerRecord]
    events: int
    child: dict[str, Any]
    """The child's stored details (empty when the case has no child row, or it was erased)."""
    outbox: dict[str, int]
    """Outbox rows of the case by status."""
    escalation: LatestEscalation | None
    casework: CaseworkRows | None = None
    """The case's assignee, notes, corrections and assignments (storage.casework)."""


def case_rows(engine: Engine, case_id: int) -> CaseRows:
    """A case, its pending timers (soonest first), its event count, its child's details and
    its outbox state, in one read transaction.

    Raises:
        CaseNotFound: no case has this id.
    """
    with engine.connect() as conn:
        row = conn.execute(select(case_table).where(case_table.c.id == case_id)).first()
        if row is None:
            raise CaseNotFound(case_id)
        return _around(conn, case_from_row(row))


def rows_around(engine: Engine, case: CaseRecord) -> CaseRows:
    """What `case_rows` reads beside a case already in hand (e.g. just written), in one read
    transaction that does not read the case again."""
    with engine.connect() as conn:
        return _around(conn, case)


def _around(conn: Connection, case: CaseRecord) -> CaseRows:
    timers = [
        timer_from_row(r)
        for r in conn.execute(
            select(timer_table)
            .where(timer_table.c.case_id == case.id, timer_table.c.status == "pending")
            .order_by(timer_table.c.due_at)
        )
    ]
    events = int(
        conn.execute(
            select(func.count()).select_from(event_table).where(event_table.c.case_id == case.id)
        ).scalar_one()
    )
    child = children(conn, [case.child_id] if case.child_id is not None else [])
    counts, escalation = _outbox(conn, case.id)
    kid = child.get(case.child_id or 0, {})
    return CaseRows(case, timers, events, kid, counts, escalation, casework_rows(conn, case.id))


def _outbox(conn: Connection, case_id: int) -> tuple[dict[str, int], LatestEscalation | None]:
    o = outbox_table.c
    counts = {
        str(status): int(n)
        for status, n in conn.execute(
            select(o.status, func.count())
            .where(o.case_id == case_id)
            .group_by(o.status)
            .order_by(o.status)
        )
    }
    last = conn.execute(
        select(o.status, o.created_at, o.sent_at)
        .where(o.case_id == case_id, o.template == MASH_TEMPLATE)
        .order_by(o.id.desc())
        .limit(1)
    ).first()
    latest = None if last is None else LatestEscalation(last.status, last.created_at, last.sent_at)
    return counts, latest


def children(conn: Connection, child_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Child id -> its stored details, for these children."""
    if not child_ids:
        return {}
    rows = conn.execute(
        select(child_table.c.id, child_table.c.details).where(child_table.c.id.in_(child_ids))
    )
    return {int(r.id): dict(r.details or {}) for r in rows}


@dataclass(frozen=True, slots=True)
class Search:
    """What a queue search looks for, already parsed by the caller: each is None or empty
    when the text cannot be one (e.g. `case_id` when it is not a reference)."""

    words: tuple[str, ...]
    """The text in lower case, split on white space (names; a school's id or name)."""
    case_id: int | None = None
    upn: str | None = None


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _starts(column: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    return func.lower(column).like(_like(text) + "%", escape="\\")


def search_clause(search: Search) -> ColumnElement[bool]:
    """The WHERE clause of a search: any of a reference, a UPN, a name or a school matches.

    A name matches when the text begins the forename or the surname, or its first words begin
    one and the rest the other (`sam test`, `testchild sam`); a school when the text is its
    id, or is contained in its name.
    """
    matches: list[ColumnElement[bool]] = []
    if search.case_id is not None:
        matches.append(case_table.c.id == search.case_id)
    if search.upn:
        matches.append(child_table.c.upn == search.upn)
    if search.words:
        text = " ".join(search.words)
        forename = child_table.c.details["forename"].as_string()
        surname = child_table.c.details["surname"].as_string()
        matches += [_starts(forename, text), _starts(surname, text)]
        for cut in range(1, len(search.words)):
            first, rest = " ".join(search.words[:cut]), " ".join(search.words[cut:])
            matches.append(and_(_starts(forename, first), _starts(surname, rest)))
            matches.append(and_(_starts(surname, first), _starts(forename, rest)))
        school_id = case_table.c.facts[("school", "id")].as_string()
        school_name = case_table.c.facts[("school", "name")].as_string()
        matches.append(func.lower(school_id) == text)
        matches.append(func.lower(school_name).like("%" + _like(text) + "%", escape="\\"))
    return or_(*matches) if matches else false()


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A case in the queue, and its child's stored details (empty if none)."""

    case: CaseRecord
    child: dict[str, Any]
    assignee: str | None = None


def queue(
    engine: Engine,
    state: str | None = None,
    include_closed: bool = False,
    limit: int = 50,
    search: Search | None = None,
    assignee: str | None = None,
) -> list[QueueRow]:
    """The queue (high priority first, then oldest first), filtered and searched, with each
    case's child, in one read transaction."""
    query = select(case_table)
    if search is not None:
        query = query.outerjoin(child_table, child_table.c.id == case_table.c.child_id).where(
            search_clause(search)
        )
    if state is not None:
        query = query.where(case_table.c.state == state)
    if assignee is not None:
        query = query.where(case_table.c.assignee == assignee)
    if not include_closed:
        query = query.where(case_table.c.closed_at.is_(None))
    query = query.order_by(case_table.c.priority, case_table.c.opened_at, case_table.c.id).limit(
        limit
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        found = [(case_from_row(r), r.assignee) for r in rows]
        kids = children(conn, [c.child_id for c, _ in found if c.child_id is not None])
    return [QueueRow(c, kids.get(c.child_id or 0, {}), a) for c, a in found]
