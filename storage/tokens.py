"""The HTTP API's bearer tokens and the first responses to its idempotency keys (schema 0009).

Tokens are stored as the SHA-256 of the token (a high-entropy random string, so a plain hash
is enough: nothing to guess from it); the token itself is shown once, by `cme token create`.
An idempotency row is written *before* the request is answered (status NULL), so that two
copies of one request racing through two processes meet on its unique key and only one acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.tables import api_token_table, idempotency_table


@dataclass(frozen=True, slots=True)
class TokenRow:
    """One calling system's token, as stored (never the token itself)."""

    name: str
    role: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


class TokenExists(Exception):
    """A token of that name exists already (revoked tokens keep their name)."""


def _row(row: object) -> TokenRow:
    m = row._mapping  # type: ignore[attr-defined]
    return TokenRow(
        m["name"],
        m["role"],
        m["created_at"],
        m["created_by"],
        m["expires_at"],
        m["revoked_at"],
        m["revoked_by"],
    )


def add_token(
    engine: Engine,
    name: str,
    role: str,
    digest: str,
    now: datetime,
    by: str,
    expires_at: datetime | None,
) -> TokenRow:
    """Store a new token's hash; `TokenExists` if the name is taken."""
    t = api_token_table.c
    try:
        with engine.begin() as conn:
            if conn.execute(select(t.id).where(t.name == name)).first() is not None:
                raise TokenExists(name)
            conn.execute(
                insert(api_token_table).values(
                    name=name,
                    role=role,
                    token_sha256=digest,
                    created_at=now,
                    created_by=by,
                    expires_at=expires_at,
                )
            )
    except IntegrityError as exc:  # a concurrent create of the same name
        raise TokenExists(name) from exc
    found = by_name(engine, name)
    assert found is not None  # noqa: S101 - just written
    return found


def by_name(engine: Engine, name: str) -> TokenRow | None:
    """The token of that name."""
    with engine.connect() as conn:
        row = conn.execute(select(api_token_table).where(api_token_table.c.name == name)).first()
    return None if row is None else _row(row)


def by_digest(engine: Engine, digest: str) -> TokenRow | None:
    """The token whose SHA-256 is `digest`."""
    t = api_token_table.c
    with engine.connect() as conn:
        row = conn.execute(select(api_token_table).where(t.token_sha256 == digest)).first()
    return None if row is None else _row(row)


def all_tokens(engine: Engine) -> list[TokenRow]:
    """Every token, by name."""
    with engine.connect() as conn:
        rows = conn.execute(select(api_token_table).order_by(api_token_table.c.name))
        return [_row(r) for r in rows]


def revoke_token(engine: Engine, name: str, now: datetime, by: str) -> None:
    """Mark a token revoked (once: a second revoke keeps the first time and name)."""
    t = api_token_table.c
    with engine.begin() as conn:
        conn.execute(
            update(api_token_table)
            .where(t.name == name, t.revoked_at.is_(None))
            .values(revoked_at=now, revoked_by=by)
        )


# --- idempotency keys -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Remembered:
    """What an idempotency key holds: the request it was first sent with (its hash) and the
    response (None while the first request is still being answered)."""

    request_sha256: str
    status: int | None
    body: str | None
    expires_at: datetime


def claim_key(
    engine: Engine, token: str, key: str, request: str, now: datetime, expires_at: datetime
) -> Remembered | None:
    """Claim `key` for `token`'s request (None: claimed now, answer it and `remember` the
    response), or what the key already holds. Expired keys are forgotten first."""
    i = idempotency_table.c
    with engine.begin() as conn:
        conn.execute(delete(idempotency_table).where(i.expires_at <= now))
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(idempotency_table).values(
                    token_name=token,
                    key=key,
                    request_sha256=request,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return None
    except IntegrityError:
        pass
    with engine.connect() as conn:
        row = conn.execute(
            select(i.request_sha256, i.status, i.body, i.expires_at).where(
                i.token_name == token, i.key == key
            )
        ).first()
    if row is None:  # expired and deleted between the two statements: claim it again
        return claim_key(engine, token, key, request, now, expires_at)
    return Remembered(row.request_sha256, row.status, row.body, row.expires_at)


def remember(engine: Engine, token: str, key: str, status: int, body: str) -> None:
    """Keep the response to a claimed key."""
    i = idempotency_table.c
    with engine.begin() as conn:
        conn.execute(
            update(idempotency_table)
            .where(i.token_name == token, i.key == key)
            .values(status=status, body=body)
        )


def release(engine: Engine, token: str, key: str) -> None:
    """Forget a claimed key whose request failed without an answer (a server error), so that
    a retry is answered afresh."""
    i = idempotency_table.c
    with engine.begin() as conn:
        conn.execute(delete(idempotency_table).where(i.token_name == token, i.key == key))
