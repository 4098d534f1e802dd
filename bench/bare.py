"""The baselines: the same writes with nothing between the program and the database.

One bare transition reads the case's version and head hash, writes the event hash-chained the
same way (sha256 of the evidence's canonical JSON inside the body, sha256 of prev_hash || the
body's canonical JSON), then `UPDATE case` + `INSERT event`: plain `sqlite3` / `psycopg`, no
ORM, no rules, no timers, no templates.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

from bench.common import ACTOR_NAME, ACTOR_ROLE

SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    "foreign_keys=ON",
    "busy_timeout=30000",
    "synchronous=FULL",
)
"""The same as storage.database (WAL, synchronous=FULL); transactions BEGIN IMMEDIATE."""


def sqlite_connect(path: str) -> sqlite3.Connection:
    """A bare connection with the application's PRAGMAs, autocommit (we issue BEGIN)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    for pragma in SQLITE_PRAGMAS:
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chained(
    case_id: int,
    seq: int,
    trigger: str,
    source: str,
    target: str,
    at_iso: str,
    evidence: dict[str, Any],
    prev: str,
) -> str:
    """The event hash, computed directly."""
    body = {
        "case_id": case_id,
        "seq": seq,
        "trigger": trigger,
        "from": source,
        "to": target,
        "actor": ACTOR_NAME,
        "role": ACTOR_ROLE,
        "at": at_iso,
        "evidence_sha256": hashlib.sha256(_canonical(evidence)).hexdigest(),
    }
    return hashlib.sha256(prev.encode("ascii") + _canonical(body)).hexdigest()


SQL_READ = 'SELECT version, head_hash, state, facts FROM "case" WHERE id = {p}'
SQL_UPDATE = (
    'UPDATE "case" SET state = {p}, version = {p}, head_hash = {p}, updated_at = {p}, '
    "facts = {p} WHERE id = {p} AND version = {p}"
)
SQL_EVENT = (
    'INSERT INTO event (case_id, seq, "trigger", from_state, to_state, actor, role, at, '
    "evidence, prev_hash, hash) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)


class BareWriter:
    """One bare transition at a time on a DB-API cursor (`?` for sqlite3, `%s` for psycopg)."""

    def __init__(self, cursor: Any, paramstyle: str, at_sql: Any, at_iso: str) -> None:
        p = "?" if paramstyle == "qmark" else "%s"
        self.cur, self.at_sql, self.at_iso = cursor, at_sql, at_iso
        self.read = SQL_READ.format(p=p)
        self.update = SQL_UPDATE.format(p=p)
        self.insert = SQL_EVENT.format(p=p)

    def step(
        self, case_id: int, trigger: str, target: str | None, evidence: dict[str, Any]
    ) -> None:
        """Read the case, chain an event onto it, write both (target None: stay)."""
        self.cur.execute(self.read, (case_id,))
        version, head, state, facts = self.cur.fetchone()
        facts = json.loads(facts) if isinstance(facts, str) else dict(facts)
        facts.update({k: v for k, v in evidence.items() if k == "risk_flags"})
        to = target or state
        seq = version + 1
        digest = chained(case_id, seq, trigger, state, to, self.at_iso, evidence, head)
        self.cur.execute(
            self.update, (to, seq, digest, self.at_sql, json.dumps(facts), case_id, version)
        )
        self.cur.execute(
            self.insert,
            (
                case_id,
                seq,
                trigger,
                state,
                to,
                ACTOR_NAME,
                ACTOR_ROLE,
                self.at_sql,
                json.dumps(evidence),
                head,
                digest,
            ),
        )
