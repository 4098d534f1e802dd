"""Backups, restores and checks of the database: nothing lost, and proof of it.

SQLite copies use the online backup API (`sqlite3.Connection.backup`): a consistent snapshot
taken while other processes keep writing (WAL readers never block writers). PostgreSQL is
backed up with its own tools (`pg_dump`, `pg_restore`); `POSTGRES_BACKUP` says how.

After a restore, and on request, every case's hash chain is walked (`storage.audit.verify_chains`)
and the case rows are checked against their events (`consistency_problems`).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from engine.audit import ChainReport
from storage.files import PRIVATE_FILE, create_private, fsync_dir, private_dir
from storage.tables import case_table, event_table

POSTGRES_BACKUP = (
    'pg_dump --format=custom --no-owner --file FILE "$CME_DATABASE_URL"\n'
    'pg_restore --clean --if-exists --no-owner --dbname "$CME_DATABASE_URL" FILE\n'
    "then: cme db check --integrity"
)
"""How to back up and restore a PostgreSQL database (the URL without its password)."""

BACKUP_MODE = PRIVATE_FILE
"""A backup holds children's personal data: readable by its owner only."""


class BackupError(Exception):
    """A backup or restore that cannot be done; nothing was changed."""


def sqlite_path(engine: Engine) -> Path | None:
    """The SQLite file behind `engine` (None: not SQLite, or in memory)."""
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What a backup or restore copied."""

    source: str
    target: str
    pages: int
    cases: int
    events: int


def _counts(conn: sqlite3.Connection) -> tuple[int, int]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"case", "event"} <= tables:
        return 0, 0
    cases = conn.execute('SELECT count(*) FROM "case"').fetchone()[0]
    events = conn.execute("SELECT count(*) FROM event").fetchone()[0]
    return int(cases), int(events)


def _pages(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA page_count").fetchone()[0])


def _quick_check(conn: sqlite3.Connection, what: str) -> None:
    result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if result != ["ok"]:
        raise BackupError(f"{what} fails SQLite's integrity check: {'; '.join(result[:5])}")


def backup_sqlite(engine: Engine, destination: Path, overwrite: bool = False) -> CopyReport:
    """Copy the live database to `destination` (owner-only permissions), atomically.

    The copy is written next to `destination`, checked with `PRAGMA integrity_check`, then
    renamed into place: a crash leaves either the old file or the new one, never half a copy.
    """
    source = sqlite_path(engine)
    if source is None:
        raise BackupError("the online backup is for a SQLite file database")
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} exists: choose another name or pass --force")
    if destination.resolve() == source.resolve():
        raise BackupError("the backup file cannot be the database itself")
    private_dir(destination.parent)
    partial = destination.with_name(f".{destination.name}.{secrets.token_hex(6)}.partial")
    try:
        os.close(create_private(partial, BACKUP_MODE))  # never through a planted link
    except OSError as exc:
        raise BackupError(f"cannot create {partial}: {exc.strerror}") from None
    try:
        raw = engine.raw_connection()
        try:
            target = sqlite3.connect(partial)
            try:
                raw.driver_connection.backup(target)  # type: ignore[union-attr]
                _quick_check(target, "the backup")
                cases, events = _counts(target)
                pages = _pages(target)
            finally:
                target.close()
        finally:
            raw.close()
        _fsync(partial)
        if overwrite:
            os.replace(partial, destination)
        else:
            os.link(partial, destination)  # no clobbering, even of a file made meanwhile
            partial.unlink()
        fsync_dir(destination.parent)
    except FileExistsError:
        raise BackupError(f"{destination} exists: choose another name or pass --force") from None
    finally:
        partial.unlink(missing_ok=True)
    return CopyReport(str(source), str(destination), pages, cases, events)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_revision(path: Path) -> str | None:
    """The schema revision recorded in a backup file (None: no schema)."""
    conn = _open_readonly(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "alembic_version" not in tables:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
    finally:
        conn.close()


def _open_readonly(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc})") from None
    return conn


def target_counts(engine: Engine) -> tuple[int, int]:
    """(cases, events) in the database `engine` points at; (0, 0) when it has no schema."""
    names = set(inspect(engine).get_table_names())
    if not {"case", "event"} <= names:
        return 0, 0
    with engine.connect() as conn:
        cases = conn.execute(select(func.count()).select_from(case_table)).scalar_one()
        events = conn.execute(select(func.count()).select_from(event_table)).scalar_one()
    return int(cases), int(events)


def restore_sqlite(engine: Engine, backup: Path) -> CopyReport:
    """Replace the database's content with `backup`'s, page by page, in one step.

    The backup is checked first (it opens, passes `PRAGMA integrity_check`); the copy goes
    through the backup API into the live file, so processes that have it open see either the
    old content or the new, never a mixture. The caller decides whether data may be replaced.
    """
    target = sqlite_path(engine)
    if target is None:
        raise BackupError("restore is for a SQLite file database")
    if target.exists() and backup.resolve() == target.resolve():
        raise BackupError("the backup file is the database itself")
    source = _open_readonly(backup)
    try:
        _quick_check(source, str(backup))
        cases, events = _counts(source)
        engine.dispose()  # no pooled connection keeps a view of the old content
        raw = engine.raw_connection()
        try:
            source.backup(raw.driver_connection)  # type: ignore[arg-type]
            pages = _pages(source)
        finally:
            raw.close()
        engine.dispose()
    finally:
        source.close()
    return CopyReport(str(backup), str(target), pages, cases, events)


def integrity_problems(engine: Engine) -> list[str]:
    """SQLite: `PRAGMA integrity_check` and `foreign_key_check` ([] when both pass).

    PostgreSQL checks its own pages (data checksums, if the cluster has them): [] here, the
    caller says it does not apply and relies on `consistency_problems`.
    """
    if engine.dialect.name != "sqlite":
        return []
    with engine.connect() as conn:
        rows = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check")]
        problems = [] if rows == ["ok"] else rows
        problems += [
            f"foreign key: {r[0]} row {r[1]} refers to a missing {r[2]}"
            for r in conn.exec_driver_sql("PRAGMA foreign_key_check")
        ]
    return problems


def consistency_problems(engine: Engine, limit: int = 50) -> list[str]:
    """Cases whose row disagrees with their events: version != last seq, or head_hash !=
    the last event's hash (both databases; one SQL query each)."""
    last = (
        select(
            event_table.c.case_id,
            func.max(event_table.c.seq).label("last_seq"),
            func.count().label("n"),
        )
        .group_by(event_table.c.case_id)
        .subquery()
    )
    version_query = (
        select(case_table.c.id, case_table.c.version, last.c.last_seq, last.c.n)
        .select_from(case_table.outerjoin(last, last.c.case_id == case_table.c.id))
        .where(
            (func.coalesce(last.c.last_seq, 0) != case_table.c.version)
            | (func.coalesce(last.c.n, 0) != case_table.c.version)
        )
        .order_by(case_table.c.id)
        .limit(limit)
    )
    head_query = (
        select(case_table.c.id)
        .select_from(
            case_table.join(
                event_table,
                (event_table.c.case_id == case_table.c.id)
                & (event_table.c.seq == case_table.c.version),
            )
        )
        .where(event_table.c.hash != case_table.c.head_hash)
        .order_by(case_table.c.id)
        .limit(limit)
    )
    problems: list[str] = []
    with engine.connect() as conn:
        for case_id, version, last_seq, n in conn.execute(version_query):
            problems.append(
                f"case {case_id}: version {version} but {n or 0} events (last seq {last_seq or 0})"
            )
        for (case_id,) in conn.execute(head_query):
            problems.append(f"case {case_id}: head_hash is not its last event's hash")
        orphans = conn.execute(
            text(
                'SELECT count(*) FROM event e WHERE NOT EXISTS (SELECT 1 FROM "case" c '
                "WHERE c.id = e.case_id)"
            )
        ).scalar_one()
    if orphans:
        problems.append(f"{orphans} events belong to no case")
    return problems


def iter_broken(report: ChainReport) -> Iterator[dict[str, object]]:
    """The broken links as JSON-ready dicts."""
    for link in report.broken:
        yield {
            "case_id": link.case_id,
            "seq": link.seq,
            "problem": link.problem,
            "expected": link.expected,
            "stored": link.stored,
        }
