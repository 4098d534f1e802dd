"""The schema revision, read without loading Alembic (a CLI command only needs to know).

`HEAD` and `KNOWN` are kept equal to the migration scripts by a test; Alembic itself is
imported only to upgrade (`storage.migrate`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, inspect, text

HEAD = "0013"
"""The newest schema revision this code knows."""
KNOWN = frozenset(
    {
        "0001",
        "0002",
        "0003",
        "0004",
        "0005",
        "0006",
        "0007",
        "0008",
        "0009",
        "0010",
        "0012",
        "0013",
    }
)
"""Every revision this code knows."""


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: not initialised)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def _indexes(engine: Engine) -> tuple[list[Any], set[str]]:
    """The indexes the tables declare, and the names of those the database holds."""
    from sqlmodel import SQLModel

    import storage.tables  # noqa: F401 - registers every table on the metadata

    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    tables = [t for t in SQLModel.metadata.tables.values() if t.name in present]
    declared = [index for table in tables for index in table.indexes]
    held = {
        str(found["name"])
        for table in tables
        if table.indexes
        for found in inspector.get_indexes(table.name)
    }
    return declared, held


def missing_indexes(engine: Engine) -> list[str]:
    """The declared indexes the database lacks (`cme db check`): the work list names its
    indexes to SQLite (`storage.worklist`), so a dropped one fails its pages, not just slows
    them."""
    declared, held = _indexes(engine)
    return sorted(str(index.name) for index in declared if index.name not in held)


def restore_indexes(engine: Engine) -> list[str]:
    """Create the declared indexes the database lacks (`cme init`); their names."""
    declared, held = _indexes(engine)
    made = []
    with engine.begin() as conn:
        for index in declared:
            if index.name not in held:
                index.create(conn)
                made.append(str(index.name))
    return sorted(made)
