"""Database set-up: SQLite (WAL, synchronous=FULL, immediate transactions) or PostgreSQL.

The URL decides. SQLite is the embedded default; every SQLite transaction begins IMMEDIATE so a
read-then-write unit of work never fails half way with "database is locked" (it waits on the
busy timeout instead).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from storage.files import ensure_private_file, private_dir

WRITE = "cme_write"
"""Connection info flag: this transaction will write (SQLite: BEGIN IMMEDIATE)."""
SQLITE_PRAGMAS = ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000")
_JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def json_text(value: Any) -> str:
    """A JSON column's text: sorted keys, no spaces, UTF-8 (what `json.dumps(sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)` gives), with orjson: the stdlib encoder and
    decoder were a tenth of a fired timer's cost (bench/, issue 7)."""
    return orjson.dumps(value, option=_JSON_OPTIONS).decode("utf-8")


JSON_ARGS: dict[str, Any] = {"json_serializer": json_text, "json_deserializer": orjson.loads}


def make_engine(
    url: str, synchronous: str = "FULL", echo: bool = False, pooled: bool = True
) -> Engine:
    """Create the SQLAlchemy engine for `url` (creating the SQLite file and its folder,
    owner-only).

    `pooled=False` opens a connection per use and closes it after: right for a short CLI
    command, which would otherwise leave pooled connections open until the process ends.
    """
    parsed = make_url(url)
    pool: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_sqlite_file(Path(parsed.database))
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30}, **JSON_ARGS, **pool)
        _sqlite_setup(engine, synchronous)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        url = str(parsed.set(drivername="postgresql+psycopg"))
    # No ping before each use: it cost three of a transition's eight round trips. A
    # connection the server dropped (a restart) fails its statement once; SQLAlchemy, or for
    # statements sent to the driver the unit of work (`SqlUnitOfWork.__exit__`), then
    # discards every pooled connection, and the scheduler's next tick works on fresh ones.
    return create_engine(url, echo=echo, **JSON_ARGS, **pool)


def private_sqlite_file(path: Path) -> None:
    """Create the database's folder (0700) and file (0600) if missing, whatever the umask:
    SQLite gives its -wal and -shm files the database file's mode, so all three hold the
    children's data owner-only. An existing file keeps the mode its operator gave it."""
    if path.name.startswith("file:"):
        return  # a URI filename: SQLite parses it, there is no plain path to create
    private_dir(path.parent)
    ensure_private_file(path)


class _SQLiteWithHints(SQLiteCompiler):
    """SQLite's compiler, rendering table hints: `select(...).with_hint(table, "INDEXED BY
    ix", "sqlite")` gives `FROM table INDEXED BY ix`. (SQLAlchemy leaves table hints to each
    dialect, and SQLite's drops them.) Without statistics SQLite's planner can prefer an index
    that reads every open case's row to one that answers from the index alone: the work list
    names its index (`storage.worklist`)."""

    def get_from_hint_text(self, table: Any, text: str | None) -> str | None:
        return text


def _sqlite_setup(engine: Engine, synchronous: str) -> None:
    if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ValueError("CME_SQLITE_SYNCHRONOUS must be FULL, EXTRA or NORMAL")
    engine.dialect.statement_compiler = _SQLiteWithHints

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in (*SQLITE_PRAGMAS, f"synchronous={synchronous.upper()}"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # A unit of work that will write takes the write lock at BEGIN, so it never fails half
        # way upgrading a read lock; a plain read begins DEFERRED and never blocks the writer.
        # (On the driver's connection directly: through SQLAlchemy's execution machinery this
        # cost a tenth of a whole one-step transition.)
        driver = connection.connection.driver_connection
        driver.execute("BEGIN IMMEDIATE" if connection.info.get(WRITE) else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: BEGIN IMMEDIATE on SQLite; commit on success."""
    with engine.connect() as conn:
        conn.info[WRITE] = True
        try:
            with conn.begin():
                yield conn
        finally:
            conn.info.pop(WRITE, None)


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"
