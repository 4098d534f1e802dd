"""The auditors' storage: verifying every chain from the database, and the other reads that
walk every case in keyset pages (the cases due for erasure, the cases a migration moves).

Nothing here loads all events of all cases at once: chains are walked from one keyset-paged
stream of events merged with a paged stream of cases.

Verifying reads events with the driver's own cursor, not as rows mapped to records: plain
values (the stored body, the evidence as the bytes of its stored JSON text, the columns the
body must match), in keyset pages handed on in small chunks, so `engine.audit.verify_stored`
builds no record and dumps no JSON per event (bench figure 9).

The rest of the audit storage has its own modules, whose names are exported here too (callers
import them from here): signed checkpoints (`storage.checkpoints`), legal holds and erasure
(`storage.retention`), the access log and as-of reads (`storage.history`); the auditors'
tables are in `storage.tables`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from datetime import datetime
from functools import partial
from itertools import chain
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Connection, Engine, and_, or_, select, tuple_

from engine.audit import CaseHead, ChainReport, StoredEvent, StoredRow, verify_stored
from engine.ports import CaseRecord, EventRecord
from storage.checkpoints import check_checkpoint, latest_checkpoint, record_checkpoint
from storage.history import (
    access_log,
    definition_versions,
    outbox_as_of,
    record_access,
    timers_as_of,
)
from storage.retention import (
    ERASED_TEXT,
    active_hold,
    erase_case,
    erased,
    place_hold,
    release_hold,
)
from storage.rows import case_from_row, event_from_row
from storage.tables import (
    access_log_table,
    case_table,
    checkpoint_head_table,
    checkpoint_table,
    erasure_table,
    event_table,
    legal_hold_table,
)

__all__ = [
    "CASE_PAGE",
    "CHUNK",
    "ERASED_TEXT",
    "EVENT_PAGE",
    "HEAD_PAGE",
    "access_log",
    "access_log_table",
    "active_hold",
    "check_checkpoint",
    "checkpoint_head_table",
    "checkpoint_table",
    "definition_versions",
    "due_for_erasure",
    "erase_case",
    "erased",
    "erasure_table",
    "latest_checkpoint",
    "legal_hold_table",
    "outbox_as_of",
    "place_hold",
    "record_access",
    "record_checkpoint",
    "release_hold",
    "running_cases",
    "stream_cases",
    "stream_events",
    "stream_stored_events",
    "timers_as_of",
    "verify_chains",
]

EVENT_PAGE = 5000
CASE_PAGE = 1000
HEAD_PAGE = 5000
CHUNK = 256
"""Events handed from the driver's cursor to the checks at a time (`stream_stored_events`)."""
_BODY = itemgetter(StoredEvent._fields.index("body"))
"""A stored row's body (`engine.audit.StoredRow`: the driver's row, a plain tuple)."""


# --- streams ---------------------------------------------------------------------------------
def stream_events(engine: Engine, case_id: int | None = None) -> Iterator[EventRecord]:
    """Every event (of one case, or of all), by case then seq, in keyset pages."""
    e = event_table.c
    last_case, last_seq = (case_id if case_id is not None else -1), 0
    while True:
        query = select(event_table)
        if case_id is not None:
            query = query.where(e.case_id == case_id, e.seq > last_seq)
        else:
            query = query.where(
                or_(e.case_id > last_case, and_(e.case_id == last_case, e.seq > last_seq))
            )
        query = query.order_by(e.case_id, e.seq).limit(EVENT_PAGE)
        with engine.connect() as conn:
            page = [event_from_row(r) for r in conn.execute(query)]
        yield from page
        if len(page) < EVENT_PAGE:
            return
        last_case, last_seq = page[-1].case_id, page[-1].seq


def stream_cases(engine: Engine, case_id: int | None = None) -> Iterator[CaseHead]:
    """(id, version, head_hash) of every case (or one), by id, in keyset pages read by the
    driver."""
    one = case_id is not None
    where = "id = ?" if one else "id > ?"
    sql = _placeholders(
        engine,
        f'SELECT id, version, head_hash FROM "case" WHERE {where} ORDER BY id LIMIT ?',  # noqa: S608 - fixed text
    )

    def pages() -> Iterator[list[CaseHead]]:
        last = case_id if one else 0
        while True:
            with engine.connect() as conn:
                end = yield from _in_chunks(conn, sql, (last, HEAD_PAGE), HEAD_PAGE)
            if end is None or one:
                return
            last = end[0]

    return chain.from_iterable(pages())


_HEADER = 'json_array(actor, from_state, role, to_state, "trigger")'
_SQLITE_COLUMNS = (
    "case_id, seq, prev_hash, hash, body, CAST(evidence AS BLOB), {header}, "
    "replace(at, ' ', 'T'), NULL"
)
_STORED_COLUMNS = {
    "sqlite": _SQLITE_COLUMNS.format(header=_HEADER),
    "postgresql": (
        "case_id, seq, prev_hash, hash, body, convert_to(evidence::text, 'UTF8'), "
        'json_build_array(actor, from_state, role, to_state, "trigger")::text, '
        "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), NULL"
    ),
}
"""What `engine.audit.verify_stored` checks of an event, as the driver reads it: the evidence
as the UTF-8 bytes of its stored JSON text (hashed as they are), the header columns as one JSON
array (one text for the five: SQLite's json_array is cheaper than five columns), the time as
UTC text, `YYYY-MM-DDTHH:MM:SS.ffffff` (SQLite's stored form with the T the body has)."""
_SAFE_COLUMNS = {
    "sqlite": _SQLITE_COLUMNS.format(
        header="CASE WHEN typeof(actor) = 'text' AND typeof(from_state) = 'text' "
        "AND typeof(role) = 'text' AND typeof(to_state) = 'text' "
        f"AND typeof(\"trigger\") = 'text' THEN {_HEADER} END"
    ),
}
"""Read again this way after the fast read failed: SQLite's json_array refuses a BLOB, which a
column can hold only if someone wrote one past the triggers. Such a header reads as NULL, and
verify names the event's columns as changed."""


def stream_stored_events(engine: Engine, case_id: int | None = None) -> Iterator[StoredRow]:
    """Every event (of one case, or of all) as `verify_stored` checks it, by case then seq,
    in keyset pages read by the driver, each row as the driver gives it (`StoredRow`: the
    fields of `StoredEvent`, in a plain tuple). Events stored without a body (before migration
    0004) come with their whole record."""
    dialect = engine.dialect.name
    if dialect not in _STORED_COLUMNS:
        return _with_record(stream_events(engine, case_id))
    where = "case_id = ? AND seq > ?" if case_id is not None else "(case_id, seq) > (?, ?)"

    def sql(columns: str) -> str:
        return _placeholders(
            engine,
            f"SELECT {columns} FROM event WHERE {where} "  # noqa: S608 - fixed text
            "ORDER BY case_id, seq LIMIT ?",
        )

    safe = _SAFE_COLUMNS.get(dialect)
    start = (case_id if case_id is not None else -1), 0
    reads = _StoredReads(engine, sql(_STORED_COLUMNS[dialect]), safe and sql(safe), start)
    return chain.from_iterable(reads.pages())


class _StoredReads:
    """`stream_stored_events`' keyset pages: each read by the driver's cursor from just after
    the last event handed on, with the `safe` SQL from where the `fast` one failed."""

    def __init__(self, engine: Engine, fast: str, safe: str | None, after: tuple[int, int]):
        self.engine, self.sql, self.safe, self.after = engine, fast, safe, after

    def pages(self) -> Iterator[list[StoredRow]]:
        error = self.engine.dialect.loaded_dbapi.Error
        while True:
            with self.engine.connect() as conn:
                try:
                    read = yield from self._page(conn)
                except error:
                    if self.safe is None or self.sql == self.safe:
                        raise
                    self.sql = self.safe  # from the last event handed on
                    continue
            if read < EVENT_PAGE:
                return

    def _page(self, conn: Connection) -> Generator[list[StoredRow], None, int]:
        amend = partial(_with_records, conn, self.after)
        read = 0
        for chunk in _in_chunks(conn, self.sql, (*self.after, EVENT_PAGE), EVENT_PAGE, amend):
            read += len(chunk)
            yield chunk
            last = StoredEvent._make(chunk[-1])
            self.after = last.case_id, last.seq
        return read


def _in_chunks(
    conn: Connection,
    sql: str,
    params: tuple[Any, ...],
    page: int,
    amend: Callable[[list[Any], Any], list[Any]] | None = None,
) -> Generator[list[Any], None, Any]:
    """The rows of one keyset page (at most `page`), handed on in small chunks as the driver's
    cursor reads them: a whole page of texts would fall out of the CPU's caches before it is
    used. `amend(chunk, last row before it or None)` may replace a chunk's rows.

    Returns:
        The page's last row, or None when the page was the last.
    """
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        read, last = 0, None
        while rows := cursor.fetchmany(CHUNK):
            chunk = cast("list[Any]", rows)  # the drivers' fetchmany gives a list
            if amend is not None:
                chunk = amend(chunk, last)
            read += len(chunk)
            last = chunk[-1]
            yield chunk
    finally:
        cursor.close()
    return last if read == page else None


def _with_records(
    conn: Connection, page_after: tuple[int, int], chunk: list[StoredRow], before: Any
) -> list[StoredRow]:
    """The chunk with each event stored without a body given its whole record, read in one
    query over the chunk's range (`before`: the row read before the chunk; None: the chunk
    starts the page, after `page_after`)."""
    if None not in map(_BODY, chunk):
        return chunk
    rows = [StoredEvent._make(row) for row in chunk]
    e = event_table.c
    key = tuple_(e.case_id, e.seq)
    if before is None:
        after = page_after
    else:
        prior = StoredEvent._make(before)
        after = prior.case_id, prior.seq
    last = rows[-1]
    records = {
        (r.case_id, r.seq): event_from_row(r)
        for r in conn.execute(
            select(event_table).where(
                e.body.is_(None), key > tuple_(*after), key <= tuple_(last.case_id, last.seq)
            )
        )
    }
    return [
        row if row.body is not None else row._replace(record=records[(row.case_id, row.seq)])
        for row in rows
    ]


def _with_record(events: Iterator[EventRecord]) -> Iterator[StoredRow]:
    """Records as stored events checked the slow way (a database with no fast read here)."""
    for e in events:
        yield StoredEvent(e.case_id, e.seq, e.prev_hash, e.hash, None, b"", None, "", e)


def _placeholders(engine: Engine, sql: str) -> str:
    """`?` placeholders in the driver's own style (psycopg: `%s`)."""
    return sql if engine.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def verify_chains(engine: Engine, case_id: int | None = None) -> ChainReport:
    """Walk every chain (or one), naming the first broken link of each case.

    Besides each link, the end of the chain must be where the case row says it is (its
    version and head hash): a deleted tail the case row does not know of is caught here.
    """
    return verify_stored(stream_cases(engine, case_id), stream_stored_events(engine, case_id))


# --- cases in pages ----------------------------------------------------------------------------
def due_for_erasure(engine: Engine, closed_before: datetime) -> Iterator[CaseRecord]:
    """Closed cases closed before `closed_before`, not erased, not on hold, by id, in pages."""
    c, h = case_table.c, legal_hold_table.c
    held = select(h.case_id).where(h.released_at.is_(None))
    done = select(erasure_table.c.case_id)
    return _cases_where(
        engine,
        c.closed_at.is_not(None),
        c.closed_at < closed_before,
        c.id.not_in(held),
        c.id.not_in(done),
    )


def _cases_where(engine: Engine, *conditions: Any) -> Iterator[CaseRecord]:
    """The cases meeting `conditions`, by id, in keyset pages of `CASE_PAGE`."""
    c = case_table.c
    last = 0
    while True:
        query = select(case_table).where(c.id > last, *conditions).order_by(c.id)
        with engine.connect() as conn:
            page = [case_from_row(r) for r in conn.execute(query.limit(CASE_PAGE))]
        yield from page
        if len(page) < CASE_PAGE:
            return
        last = page[-1].id


def running_cases(engine: Engine, workflow: str, not_on: str) -> Iterator[CaseRecord]:
    """Open cases of a workflow pinned to any version but `not_on`, by id, in pages."""
    c = case_table.c
    return _cases_where(
        engine, c.workflow == workflow, c.definition_hash != not_on, c.closed_at.is_(None)
    )
