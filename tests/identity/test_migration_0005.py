"""Migration 0005 on SQLite and PostgreSQL: the account table, and an access log that keeps
refusals concerning no case, with its rows and index through upgrade and downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine, inspect

from storage import accounts
from storage.access import record_refusal, refusals
from storage.audit import access_log, record_access
from storage.database import make_engine
from storage.migrate import alembic_config, current_revision

AT = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def at_0004(db_url: str) -> Iterator[Engine]:
    """A database at schema 0004 with one read of case 1 in the access log."""
    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0004")
    record_access(engine, AT, "alice", "cmeo", [1], "case show")
    yield engine
    engine.dispose()


def test_0005_adds_accounts_and_lets_a_refusal_concern_no_case(at_0004: Engine) -> None:
    assert not accounts.any_accounts(at_0004)  # before 0005: no table, so no accounts

    command.upgrade(alembic_config(at_0004), "0005")
    record_refusal(at_0004, AT, "mallory", "auditor", None, "audit.erase", "not permitted")
    ann = accounts.add_account(at_0004, "ann", "ann", ["admin", "cmeo"], AT, "$argon2id$x")

    assert current_revision(at_0004) == "0005"
    assert [r["action"] for r in access_log(at_0004, 1)] == ["case show"]
    assert [(r["case_id"], r["detail"]) for r in refusals(at_0004)] == [
        (None, "audit.erase: not permitted")
    ]
    assert "ix_access_log_case" in {i["name"] for i in inspect(at_0004).get_indexes("access_log")}
    assert (ann.roles, ann.disabled, ann.has_password, ann.created_at) == (
        ("admin", "cmeo"),
        False,
        True,
        AT,
    )
    with pytest.raises(accounts.AccountExists):
        accounts.add_account(at_0004, "ann2", "ann", ["cmeo"], AT)
    with at_0004.begin() as conn, pytest.raises(sa.exc.IntegrityError):  # the database too
        conn.execute(
            sa.insert(accounts.account_table).values(
                name="ann3", login="ann", roles=["cmeo"], disabled=False, created_at=AT
            )
        )


def test_0005_downgrades_keeping_every_access_row(at_0004: Engine) -> None:
    command.upgrade(alembic_config(at_0004), "0005")
    record_refusal(at_0004, AT, "mallory", "auditor", None, "db.restore", "not permitted")

    command.downgrade(alembic_config(at_0004), "0004")

    assert current_revision(at_0004) == "0004"
    assert not inspect(at_0004).has_table("account")
    assert [r["action"] for r in access_log(at_0004, 0)] == ["refused"]
    assert [r["action"] for r in access_log(at_0004, 1)] == ["case show"]
