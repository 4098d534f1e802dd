"""Queries for exchanging data with other systems: the children a transfer file may be about,
the Common Transfer File sequence per destination, and the register as a stream of rows.

Each runs in one read transaction. Names and dates of birth are matched with the database's
JSON operators on the child's details, so nothing loads all children.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, func, select

from storage.rows import case_from_row
from storage.tables import case_table, child_table, event_table

CTF_EXPORTED = "ctf_exported"


@dataclass(frozen=True, slots=True)
class Match:
    """A case whose child may be the one a transfer file is about, and why."""

    case_id: int
    by: str
    """`upn` (the same UPN) or `name_and_dob` (same names and date of birth, no UPN match)."""
    closed: bool


def matching_cases(
    engine: Engine, upn: str | None, forename: str, surname: str, date_of_birth: str
) -> list[Match]:
    """Cases whose child has this UPN, then (not already found) those whose child has these
    names (case-insensitive) and this date of birth; oldest first."""
    found: list[Match] = []
    seen: set[int] = set()
    joined = select(case_table.c.id, case_table.c.closed_at).join(
        child_table, child_table.c.id == case_table.c.child_id
    )
    with engine.connect() as conn:
        if upn:
            for row in conn.execute(
                joined.where(child_table.c.upn == upn).order_by(case_table.c.id)
            ):
                seen.add(row.id)
                found.append(Match(row.id, "upn", row.closed_at is not None))
        by_name = joined.where(
            and_(
                func.lower(child_table.c.details["forename"].as_string()) == forename.lower(),
                func.lower(child_table.c.details["surname"].as_string()) == surname.lower(),
                child_table.c.details["date_of_birth"].as_string() == date_of_birth,
            )
        ).order_by(case_table.c.id)
        for row in conn.execute(by_name):
            if row.id not in seen:
                found.append(Match(row.id, "name_and_dob", row.closed_at is not None))
    return found


def ctf_sequences_used(engine: Engine, destination: str) -> list[int]:
    """The sequence numbers of the CTFs already exported to `destination` (a LAESTAB)."""
    query = select(event_table.c.evidence).where(event_table.c.trigger == CTF_EXPORTED)
    used: list[int] = []
    with engine.connect() as conn:
        for (evidence,) in conn.execute(query):
            if isinstance(evidence, dict) and evidence.get("destination") == destination:
                sequence = evidence.get("sequence")
                if isinstance(sequence, int):
                    used.append(sequence)
    return used


def register_rows(engine: Engine, batch: int = 1000) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Every case (oldest first) with its child's details, `batch` at a time, in one read
    transaction: (CaseRecord, child details)."""
    query = (
        select(case_table, child_table.c.details.label("_child"))
        .outerjoin(child_table, child_table.c.id == case_table.c.child_id)
        .order_by(case_table.c.id)
    )
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=batch).execute(query)
        for row in result:
            mapping = dict(row._mapping)
            child = mapping.pop("_child") or {}
            yield case_from_row(mapping), dict(child)
