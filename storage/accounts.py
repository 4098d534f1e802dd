"""Accounts: the people who may use cme, shared by the CLI (bound to an operating-system login)
and, later, the web application's sign-in (a password hash, argon2, made by the caller).

The table is declared with the others in `storage/tables.py` (one `MetaData`, as migrations
see it); this module stays light, since every command reads it to establish who acts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Engine,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from storage.tables import account_table as account_table  # declared with the others


@dataclass(frozen=True, slots=True)
class Account:
    """One account: its name (the actor on every event), roles, login and state."""

    name: str
    login: str
    roles: tuple[str, ...]
    disabled: bool
    created_at: datetime
    has_password: bool


class AccountExists(Exception):
    """An account of that name, or bound to that login, exists already."""


def _account(row: object) -> Account:
    m = row._mapping  # type: ignore[attr-defined]
    return Account(
        m["name"],
        m["login"],
        tuple(m["roles"]),
        bool(m["disabled"]),
        m["created_at"],
        m["password_hash"] is not None,
    )


def has_table(engine: Engine) -> bool:
    """Whether the schema has the account table (revision 0005 or later)."""
    with engine.connect() as conn:
        return inspect(conn).has_table("account")


def any_accounts(engine: Engine) -> bool:
    """Whether any account exists, disabled or not (before schema 0005: none can)."""
    if not has_table(engine):
        return False
    with engine.connect() as conn:
        return conn.execute(select(account_table.c.id).limit(1)).first() is not None


def by_login(engine: Engine, login: str) -> Account | None:
    """The account bound to an operating-system login."""
    with engine.connect() as conn:
        row = conn.execute(select(account_table).where(account_table.c.login == login)).first()
    return None if row is None else _account(row)


def by_name(engine: Engine, name: str) -> Account | None:
    """The account of that name."""
    with engine.connect() as conn:
        row = conn.execute(select(account_table).where(account_table.c.name == name)).first()
    return None if row is None else _account(row)


def all_accounts(engine: Engine) -> list[Account]:
    """Every account, by name."""
    with engine.connect() as conn:
        rows = conn.execute(select(account_table).order_by(account_table.c.name))
        return [_account(r) for r in rows]


def add_account(
    engine: Engine,
    name: str,
    login: str,
    roles: Sequence[str],
    now: datetime,
    password_hash: str | None = None,
) -> Account:
    """Add an account; `AccountExists` if the name or the login is taken."""
    a = account_table.c
    try:
        with engine.begin() as conn:
            taken = conn.execute(
                select(a.name, a.login).where((a.name == name) | (a.login == login))
            ).first()
            if taken is not None:
                raise AccountExists(_taken(taken, name))
            conn.execute(
                insert(account_table).values(
                    name=name,
                    login=login,
                    roles=list(roles),
                    disabled=False,
                    created_at=now,
                    password_hash=password_hash,
                )
            )
    except IntegrityError as exc:  # a concurrent add of the same name or login
        raise AccountExists(f"account '{name}' or login '{login}' exists already") from exc
    found = by_name(engine, name)
    assert found is not None  # noqa: S101 - just written
    return found


def _taken(row: object, name: str) -> str:
    m = row._mapping  # type: ignore[attr-defined]
    if m["name"] == name:
        return f"an account named '{name}' exists already"
    return f"login '{m['login']}' is bound to account '{m['name']}' already"


def disable_account(engine: Engine, name: str) -> bool:
    """Disable an account; False if there is no account of that name."""
    with engine.begin() as conn:
        done = conn.execute(
            update(account_table).where(account_table.c.name == name).values(disabled=True)
        )
        return bool(done.rowcount)
