"""The schema revision, read without loading Alembic (a CLI command only needs to know).

`HEAD` and `KNOWN` are kept equal to the migration scripts by a test; Alembic itself is
imported only to upgrade (`storage.migrate`).
"""

from __future__ import annotations

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
