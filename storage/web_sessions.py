"""Web sign-in records and server-side browser sessions (schema 0008).

`sign_in` keeps every attempt and its outcome; `web_session` the signed-in sessions by the
SHA-256 of their cookie (the cookie's value is never stored). The rules (lock-out, idle timeout,
roles) are the application layer's (`cme.services.signin`); this module only reads and writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from storage.tables import sign_in_table, web_session_table

SIGNED_IN = "signed_in"
FAILED = "failed"
LOCKED = "locked"
SIGNED_OUT = "signed_out"
EXPIRED = "expired"
OUTCOMES = (SIGNED_IN, FAILED, LOCKED, SIGNED_OUT, EXPIRED)


@dataclass(frozen=True, slots=True)
class WebSession:
    """One browser session: whose, in which role (None: not chosen yet), and its times."""

    id: int
    account: str
    role: str | None
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None


def record_attempt(
    engine: Engine, at: datetime, username: str, account: str | None, outcome: str, door: str
) -> None:
    """Append one sign-in record (its own transaction)."""
    with engine.begin() as conn:
        conn.execute(
            insert(sign_in_table).values(
                at=at, username=username[:200], account=account, outcome=outcome, door=door
            )
        )


def failures_since(engine: Engine, username: str, since: datetime) -> tuple[int, datetime | None]:
    """Failed attempts for `username` after `since` and after its last success: how many, and
    when the latest was."""
    s = sign_in_table.c
    with engine.connect() as conn:
        last_ok = conn.execute(
            select(func.max(s.at)).where(s.username == username, s.outcome == SIGNED_IN)
        ).scalar_one_or_none()
        start = max(since, last_ok) if last_ok is not None else since
        count, latest = conn.execute(
            select(func.count(), func.max(s.at)).where(
                s.username == username, s.outcome == FAILED, s.at > start
            )
        ).one()
    return int(count), latest


def attempts(engine: Engine, limit: int = 1000) -> list[dict[str, Any]]:
    """Sign-in records, newest first."""
    s = sign_in_table.c
    with engine.connect() as conn:
        rows = conn.execute(select(sign_in_table).order_by(s.at.desc(), s.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]


def start_session(
    engine: Engine, token_hash: str, account: str, role: str | None, at: datetime
) -> None:
    """Keep a new session."""
    with engine.begin() as conn:
        conn.execute(
            insert(web_session_table).values(
                token_hash=token_hash, account=account, role=role, created_at=at, last_seen_at=at
            )
        )


def session_by_hash(engine: Engine, token_hash: str) -> WebSession | None:
    """The session whose cookie hashes to `token_hash`, ended or not."""
    w = web_session_table.c
    with engine.connect() as conn:
        row = conn.execute(select(web_session_table).where(w.token_hash == token_hash)).first()
    if row is None:
        return None
    m = row._mapping
    return WebSession(
        m["id"], m["account"], m["role"], m["created_at"], m["last_seen_at"], m["ended_at"]
    )


def touch(engine: Engine, session_id: int, at: datetime) -> None:
    """The session was used at `at`."""
    with engine.begin() as conn:
        conn.execute(
            update(web_session_table)
            .where(web_session_table.c.id == session_id)
            .values(last_seen_at=at)
        )


def choose_role(engine: Engine, session_id: int, role: str) -> None:
    """The role the session acts in from now on."""
    with engine.begin() as conn:
        conn.execute(
            update(web_session_table).where(web_session_table.c.id == session_id).values(role=role)
        )


def end_session(engine: Engine, session_id: int, at: datetime, because: str) -> None:
    """End a session (sign-out, idle timeout, account disabled); an ended one stays ended."""
    w = web_session_table.c
    with engine.begin() as conn:
        conn.execute(
            update(web_session_table)
            .where(w.id == session_id, w.ended_at.is_(None))
            .values(ended_at=at, ended_because=because[:32])
        )
