"""Casework's reads and projections: the case's assignee (written with its `assigned` event),
a child's corrected details (written with its `details_corrected` event), the open cases a
new referral may duplicate, and the notes, corrections and assignments a case page shows.

The writes take the unit of work's connection, so they commit (or not) with the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select, update

from engine.ports import EventRecord
from storage.rows import event_from_row
from storage.tables import case_table, child_table, event_table

CASEWORK_EVENTS = ("note_added", "details_corrected", "assigned")
"""The system events a case page lists beside the chart's steps."""


def set_assignee(conn: Connection, case_id: int, assignee: str | None) -> None:
    """Project an `assigned` event onto the case row (`case.assignee`)."""
    conn.execute(update(case_table).where(case_table.c.id == case_id).values(assignee=assignee))


def set_child(conn: Connection, child_id: int, details: Mapping[str, Any]) -> None:
    """Write a child's corrected details (and its indexed UPN)."""
    conn.execute(
        update(child_table)
        .where(child_table.c.id == child_id)
        .values(details=dict(details), upn=details.get("upn"))
    )


def child_of(engine: Engine, case_id: int) -> tuple[int | None, dict[str, Any]]:
    """The case's child id and stored details ((None, {}) when it has none)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(child_table.c.id, child_table.c.details)
            .select_from(
                case_table.outerjoin(child_table, child_table.c.id == case_table.c.child_id)
            )
            .where(case_table.c.id == case_id)
        ).first()
    if row is None or row.id is None:
        return None, {}
    return int(row.id), dict(row.details or {})


@dataclass(frozen=True, slots=True)
class OpenMatch:
    """An open case about a child a new referral may also be about, and why."""

    case_id: int
    state: str
    workflow: str
    same_upn: bool
    same_name_and_birth: bool


def open_matches(
    engine: Engine,
    upn: str | None,
    forename: str | None,
    surname: str | None,
    date_of_birth: str | None,
    limit: int = 20,
) -> list[OpenMatch]:
    """Open cases whose child has this UPN, or this forename, surname and date of birth
    (names ignoring case and surrounding blanks), oldest first."""
    forename_of = func.lower(child_table.c.details["forename"].as_string())
    surname_of = func.lower(child_table.c.details["surname"].as_string())
    born_of = child_table.c.details["date_of_birth"].as_string()
    by_upn = child_table.c.upn == upn if upn else None
    by_name = (
        and_(
            forename_of == forename.strip().lower(),
            surname_of == surname.strip().lower(),
            born_of == date_of_birth,
        )
        if forename and surname and date_of_birth
        else None
    )
    clauses = [c for c in (by_upn, by_name) if c is not None]
    if not clauses:
        return []
    query = (
        select(
            case_table.c.id,
            case_table.c.state,
            case_table.c.workflow,
            child_table.c.upn,
            forename_of.label("forename"),
            surname_of.label("surname"),
            born_of.label("born"),
        )
        .join(child_table, child_table.c.id == case_table.c.child_id)
        .where(case_table.c.closed_at.is_(None), or_(*clauses))
        .order_by(case_table.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        OpenMatch(
            int(r.id),
            str(r.state),
            str(r.workflow),
            bool(upn) and r.upn == upn,
            by_name is not None
            and r.forename == (forename or "").strip().lower()
            and r.surname == (surname or "").strip().lower()
            and r.born == date_of_birth,
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class CaseworkRows:
    """A case's assignee and its casework events (notes, corrections, assignments) by seq."""

    assignee: str | None
    events: tuple[EventRecord, ...]


def casework_rows(conn: Connection, case_id: int) -> CaseworkRows:
    """The case's assignee and its casework events, on an open connection (the assignee from
    its latest `assigned` event, which `case.assignee` projects: the case row is not read)."""
    rows = conn.execute(
        select(event_table)
        .where(event_table.c.case_id == case_id, event_table.c.trigger.in_(CASEWORK_EVENTS))
        .order_by(event_table.c.seq)
    )
    events = tuple(event_from_row(r) for r in rows)
    assigned = [e for e in events if e.trigger == "assigned"]
    assignee = assigned[-1].evidence.get("assignee") if assigned else None
    return CaseworkRows(str(assignee) if assignee else None, events)


def casework_of(engine: Engine, case_id: int) -> CaseworkRows:
    """`casework_rows` in its own read transaction."""
    with engine.connect() as conn:
        return casework_rows(conn, case_id)
