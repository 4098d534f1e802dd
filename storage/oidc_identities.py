"""Bindings of accounts to their identity at the council's OpenID Connect provider (schema
0012): one (issuer, subject) pair per account and issuer. The web's OIDC sign-in
(`cme.services.oidc_signin`) finds the account a signed-in person is from this table only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, and_, delete, insert, select
from sqlalchemy.exc import IntegrityError

from storage.tables import oidc_identity_table as table


class BindingExists(Exception):
    """The subject is bound to another account, or the account to another subject."""


def account_for(engine: Engine, issuer: str, subject: str) -> str | None:
    """The name of the account bound to `subject` at `issuer`."""
    c = table.c
    with engine.connect() as conn:
        found = conn.execute(
            select(c.account).where(and_(c.issuer == issuer, c.subject == subject))
        ).scalar_one_or_none()
    return found if isinstance(found, str) else None


def subject_of(engine: Engine, issuer: str, account: str) -> str | None:
    """The subject `account` is bound to at `issuer`."""
    c = table.c
    with engine.connect() as conn:
        found = conn.execute(
            select(c.subject).where(and_(c.issuer == issuer, c.account == account))
        ).scalar_one_or_none()
    return found if isinstance(found, str) else None


def bind(engine: Engine, issuer: str, subject: str, account: str, now: datetime, by: str) -> None:
    """Bind `account` to `subject` at `issuer`; `BindingExists` if either is bound already."""
    c = table.c
    try:
        with engine.begin() as conn:
            taken = conn.execute(
                select(c.subject, c.account).where(
                    and_(c.issuer == issuer, (c.subject == subject) | (c.account == account))
                )
            ).first()
            if taken is not None:
                m = taken._mapping
                if m["account"] == account:
                    raise BindingExists(
                        f"account '{account}' is bound to subject '{m['subject']}' already "
                        "(remove that binding first)"
                    )
                raise BindingExists(
                    f"subject '{subject}' is bound to account '{m['account']}' already"
                )
            conn.execute(
                insert(table).values(
                    issuer=issuer, subject=subject, account=account, bound_at=now, bound_by=by
                )
            )
    except IntegrityError as exc:  # a concurrent binding of the same subject or account
        raise BindingExists(
            f"subject '{subject}' or account '{account}' is bound already"
        ) from exc


def unbind(engine: Engine, issuer: str, account: str) -> bool:
    """Remove `account`'s binding at `issuer`; False if it had none."""
    c = table.c
    with engine.begin() as conn:
        done = conn.execute(delete(table).where(and_(c.issuer == issuer, c.account == account)))
        return bool(done.rowcount)
