"""The tables in storage/tables.py (one `MetaData`, the auditors' tables included) are the
schema the migrations build, so Alembic's autogenerate offers no change: a new migration
starts from the truth, and never proposes to drop a table the code uses."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import storage.tables  # noqa: F401 - registers every table on SQLModel.metadata


def test_the_tables_are_the_migrated_schema(db_url: str, app_factory: Any) -> None:
    app = app_factory(db_url)

    with app.db.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)

    assert differences == []


def test_the_auditors_tables_share_the_one_metadata() -> None:
    names = set(SQLModel.metadata.tables)

    assert {"audit_checkpoint", "audit_checkpoint_head", "access_log", "legal_hold"} <= names
    assert "erasure" in names and "event" in names
