"""`SqlUnitOfWork`: the engine's UnitOfWork on one SQLAlchemy connection and transaction.

Statements are SQLAlchemy Core, built and compiled once; the hot ones run on the driver's
cursor (`run_query`, `run_many`) with the column types' own converters. Rows are mapped to the
engine's records and back here, so no table class reaches the engine.

The lean write path (issue 7). A unit of work keeps what it read (cases, their pending timers,
children) and buffers what it writes (events, case updates, finished and new timers, outbox
rows); the buffers are flushed with one executemany per table at `commit()`, or earlier when a
read needs them in the database. A transition therefore costs a read and its writes at commit,
and a batch of 1,000 fired timers a few statements in all, not a dozen each.

Writers never deadlock and never lose an update. SQLite begins every writing transaction
IMMEDIATE (one writer at a time). On PostgreSQL every writer takes a case's row lock with its
UPDATE before it appends the case's event (the flush writes case updates first), and
`claim_due_timers` locks the claimed timers and their cases `SKIP LOCKED`, so a batch of timers
owns its cases from the claim to the commit. Each UPDATE carries the optimistic version check:
a writer that read a case another then changed gets `ConcurrentUpdate`, naming who.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from datetime import datetime
from operator import itemgetter
from types import TracebackType
from typing import Any, Self

import orjson
from sqlalchemy import JSON, Connection, Engine, Row, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.errors import CaseNotFound, ConcurrentUpdate
from engine.ports import (
    CaseRecord,
    EventRecord,
    OutboxMessage,
    TimerRecord,
    TimerStatus,
    case_ref,
)
from storage.database import WRITE
from storage.tables import (
    UTCDateTime,
    case_table,
    child_table,
    event_table,
    outbox_table,
    timer_table,
)

CASE_COLUMNS = (
    "workflow",
    "definition_hash",
    "state",
    "priority",
    "version",
    "facts",
    "child_id",
    "opened_at",
    "state_entered_at",
    "updated_at",
    "closed_at",
    "outcome",
    "head_hash",
    "paused_since",
    "pause_reason",
)


# The hot path's statements, built once: constructing a statement per call cost more than
# SQLite's own work (bench/, issue 7). Values travel as bind parameters.
_CASE_BY_ID = select(case_table).where(case_table.c.id == bindparam("case_id"))
_UPDATE_CASE = (
    update(case_table)
    .where(case_table.c.id == bindparam("_id"), case_table.c.version == bindparam("_expected"))
    .values({c: bindparam(c) for c in CASE_COLUMNS})
)
_UPDATE_CASE_COLUMNS: dict[tuple[str, ...], Any] = {}


def _update_case(columns: tuple[str, ...]) -> Any:
    """UPDATE of only `columns` under the version check (built once per column set)."""
    statement = _UPDATE_CASE_COLUMNS.get(columns)
    if statement is None:
        statement = _UPDATE_CASE_COLUMNS[columns] = (
            update(case_table)
            .where(
                case_table.c.id == bindparam("_id"),
                case_table.c.version == bindparam("_expected"),
            )
            .values({c: bindparam(c) for c in columns})
        )
    return statement


_INSERT_EVENT = insert(event_table)
_EVENTS_OF = (
    select(event_table)
    .where(event_table.c.case_id == bindparam("case_id"))
    .order_by(event_table.c.seq)
)
_CHILD = select(child_table.c.details).where(child_table.c.id == bindparam("child_id"))
_PENDING_OF = (
    select(timer_table)
    .where(timer_table.c.case_id == bindparam("case_id"), timer_table.c.status == "pending")
    .order_by(timer_table.c.due_at)
)
_FIRED_NAMES = select(timer_table.c.name).where(
    timer_table.c.case_id == bindparam("case_id"), timer_table.c.status == "fired"
)
_INSERT_TIMER = insert(timer_table)
_FINISH_TIMER = (
    update(timer_table)
    .where(timer_table.c.id == bindparam("_id"))
    .values(status=bindparam("status"), finished_at=bindparam("at"), reason=bindparam("reason"))
)
_INSERT_OUTBOX = insert(outbox_table)
_CASES_IN = select(case_table).where(case_table.c.id.in_(bindparam("ids", expanding=True)))
_PENDING_IN = select(timer_table).where(
    timer_table.c.case_id.in_(bindparam("ids", expanding=True)),
    timer_table.c.status == "pending",
)
_CHILDREN_IN = select(child_table.c.id, child_table.c.details).where(
    child_table.c.id.in_(bindparam("ids", expanding=True))
)
_HEADS_IN = select(case_table.c.id, case_table.c.head_hash).where(
    case_table.c.id.in_(bindparam("ids", expanding=True))
)
# due timers, oldest first, of cases whose clock runs; joined on the case's primary key, one
# lookup per due timer, never a scan of every case (bench figure 4 with 1,000,000 cases)
_CLAIM = (
    select(timer_table.c.id, timer_table.c.case_id)
    .join(case_table, case_table.c.id == timer_table.c.case_id)
    .where(
        timer_table.c.status == "pending",
        timer_table.c.due_at <= bindparam("now"),
        case_table.c.paused_since.is_(None),
    )
    .order_by(timer_table.c.due_at, timer_table.c.id)
    .limit(bindparam("limit"))
)
_CLAIM_LOCKED = _CLAIM.with_for_update(skip_locked=True, of=[timer_table, case_table])


class _Compiled:
    """A statement compiled once for a dialect and a set of parameter names, with each
    parameter's bind processor (the column type's own conversion, e.g. aware UTC times and
    JSON), executed as driver SQL: SQLAlchemy's per-row work in `execute` cost more than
    SQLite's own on the hot path (bench/, issue 7)."""

    def __init__(self, statement: Any, keys: tuple[str, ...], dialect: Any) -> None:
        self.statement = statement  # held, so its id() keys this cache entry safely
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        self.sql: str = compiled.string
        self.positional = compiled.positiontup is not None
        self.names = list(compiled.positiontup) if self.positional else list(compiled.binds)
        self.values = itemgetter(*self.names)
        self.processors = [
            (i, p)
            for i, name in enumerate(self.names)
            if (p := _processor(compiled.binds[name].type, dialect)) is not None
        ]

    def params(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """The rows as the driver takes them (tuples for `?`, dicts for `%(name)s`)."""
        values, processors = self.values, self.processors
        converted = []
        for row in rows:
            taken = values(row)
            out = list(taken) if len(self.names) > 1 else [taken]
            for i, process in processors:
                out[i] = process(out[i])
            converted.append(out)
        if self.positional:
            return [tuple(out) for out in converted]
        return [dict(zip(self.names, out, strict=True)) for out in converted]


def _processor(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The type's bind processor; for times, remembered per value (a batch writes the same
    `now` and the same due times many times over)."""
    process: Callable[[Any], Any] | None = type_.dialect_impl(dialect).bind_processor(dialect)
    if process is None or not isinstance(type_, UTCDateTime):
        return process
    seen: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        if value not in seen:
            if len(seen) > 10_000:
                seen.clear()
            seen[value] = process(value)
        return seen[value]

    return remembered


_COMPILED: dict[tuple[int, str, tuple[str, ...]], _Compiled] = {}


def _result_processor(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The type's result processor; JSON text on SQLite straight to the engine's decoder
    (SQLAlchemy's goes through two more calls per value)."""
    if dialect.name == "sqlite" and isinstance(type_, JSON):
        return _json_value
    process: Callable[[Any], Any] | None = type_.dialect_impl(dialect).result_processor(
        dialect, None
    )
    return process


def _json_value(value: str | bytes | None) -> Any:
    return None if value is None else orjson.loads(value)


class _Query:
    """A SELECT compiled once for a dialect, run on the driver's cursor, each column
    converted by its type's own result processor (as SQLAlchemy would, without its per-call
    machinery: a third of reading one case, half of reading a batch ahead).

    Its parameters are converted by their types' bind processors (a time to SQLite's text);
    an expanding one (IN) must need none (ids): checked when it is compiled.
    """

    def __init__(self, statement: Any, dialect: Any) -> None:
        self.statement = statement  # held, so its id() keys this cache entry safely
        self.compiled = compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.positional = compiled.positiontup is not None
        self.expanding = any(b.expanding for b in compiled.binds.values())
        self.names = list(compiled.positiontup) if self.positional else list(compiled.binds)
        self.binds: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None and bind.expanding:
                raise TypeError(f"_Query: IN parameter {name!r} needs converting; use execute")
            if process is not None:
                self.binds[name] = process
        self.fixed = {  # values written into the statement, converted once
            n: self.binds[n](b.value) if n in self.binds else b.value
            for n, b in compiled.binds.items()
            if b.value is not None
        }
        self.keys = tuple(c.key for c in statement.selected_columns)
        self.processors = [
            (i, p)
            for i, column in enumerate(statement.selected_columns)
            if (p := _result_processor(column.type, dialect)) is not None
        ]

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows, as dicts by column key."""
        keys = self.keys
        return [dict(zip(keys, row, strict=True)) for row in self.lists(conn, params)]

    def records(
        self,
        conn: Connection,
        params: Mapping[str, Any],
        make: Callable[..., Any],
        fields: Sequence[str],
        as_tuple: Sequence[str] = (),
    ) -> list[Any]:
        """The rows, each passed to `make` as its columns named by `fields`, in that order
        (a record built straight from the row, no dict between: a batch reads thousands)."""
        take = itemgetter(*(self.keys.index(f) for f in fields))
        tuples = [self.keys.index(f) for f in as_tuple]
        found = []
        for row in self.lists(conn, params):
            for i in tuples:
                row[i] = tuple(row[i])
            found.append(make(*take(row)))
        return found

    def lists(self, conn: Connection, params: Mapping[str, Any]) -> list[list[Any]]:
        """The rows, each a list of its converted columns in `keys` order."""
        sql, args = self._arguments(params)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, args)
            found = cursor.fetchall()
        finally:
            cursor.close()
        processors = self.processors
        result = []
        for raw in found:
            row = list(raw)
            for i, process in processors:
                row[i] = process(row[i])
            result.append(row)
        return result

    def _arguments(self, params: Mapping[str, Any]) -> tuple[str, Any]:
        if self.binds:
            params = {n: self.binds[n](v) if n in self.binds else v for n, v in params.items()}
        if self.expanding:  # IN (...): one placeholder per value, rendered per call
            state = self.compiled.construct_expanded_state({**self.fixed, **params})
            if self.positional:
                return state.statement, state.positional_parameters
            return state.statement, state.parameters
        values = {**self.fixed, **params}
        if self.positional:
            return self.sql, tuple(values[n] for n in self.names)
        return self.sql, {n: values[n] for n in self.names}


_QUERIES: dict[tuple[int, str], _Query] = {}


def driver_query(conn: Connection, statement: Any) -> _Query:
    """`statement` compiled for the connection's dialect, once (see `_Query`)."""
    key = (id(statement), conn.dialect.name)
    query = _QUERIES.get(key)
    if query is None or query.statement is not statement:
        query = _QUERIES[key] = _Query(statement, conn.dialect)
    return query


def run_query(conn: Connection, statement: Any, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Run a SELECT on the driver (see `_Query`); rows as dicts by column key."""
    return driver_query(conn, statement).rows(conn, params)


def run_many(conn: Connection, statement: Any, rows: Sequence[Mapping[str, Any]]) -> Any:
    """Execute `statement` once per row (executemany); every row has the same keys."""
    keys = tuple(rows[0])
    key = (id(statement), conn.dialect.name, keys)
    compiled = _COMPILED.get(key)
    if compiled is None or compiled.statement is not statement:
        compiled = _COMPILED[key] = _Compiled(statement, keys, conn.dialect)
    params = compiled.params(rows)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if len(params) == 1:
            cursor.execute(compiled.sql, params[0])
        else:
            cursor.executemany(compiled.sql, params)
        return cursor.rowcount
    finally:
        cursor.close()


def event_params(event: EventRecord) -> dict[str, Any]:
    """The event table's columns for one event."""
    return {
        "case_id": event.case_id,
        "seq": event.seq,
        "trigger": event.trigger,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor": event.actor,
        "role": event.role,
        "at": event.at,
        "evidence": dict(event.evidence),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "body": event.body or None,
    }


def timer_params(timer: TimerRecord) -> dict[str, Any]:
    """The timer table's columns for a new timer."""
    return {
        "case_id": timer.case_id,
        "name": timer.name,
        "scope": timer.scope,
        "trigger": timer.trigger,
        "notify": list(timer.notify),
        "due_at": timer.due_at,
        "status": timer.status,
        "created_at": timer.created_at,
        "provenance": dict(timer.provenance),
        "finished_at": timer.finished_at,
        "reason": timer.reason,
    }


def outbox_params(m: OutboxMessage) -> dict[str, Any]:
    """The outbox table's columns for a rendered message."""
    return {
        "case_id": m.case_id,
        "event_seq": m.event_seq,
        "template": m.template,
        "recipient_role": m.recipient_role,
        "recipient": m.recipient,
        "subject": m.subject,
        "body_text": m.body_text,
        "body_html": m.body_html,
        "status": m.status,
        "attempts": m.attempts,
        "next_attempt_at": m.next_attempt_at,
        "last_error": m.last_error,
        "created_at": m.created_at,
    }


_CASE_FIELDS = tuple(f.name for f in fields(CaseRecord))
_TIMER_FIELDS = tuple(f.name for f in fields(TimerRecord))
"""The records' fields in the order their constructors take them."""


def _copy(case: CaseRecord) -> CaseRecord:
    """A shallow copy (`dataclasses.replace` cost several times more on the hot path)."""
    return CaseRecord(
        id=case.id,
        workflow=case.workflow,
        definition_hash=case.definition_hash,
        state=case.state,
        priority=case.priority,
        version=case.version,
        facts=case.facts,
        opened_at=case.opened_at,
        state_entered_at=case.state_entered_at,
        updated_at=case.updated_at,
        head_hash=case.head_hash,
        child_id=case.child_id,
        closed_at=case.closed_at,
        outcome=case.outcome,
        paused_since=case.paused_since,
        pause_reason=case.pause_reason,
    )


def case_from_row(row: Row[Any] | Mapping[str, Any]) -> CaseRecord:
    """Map a case row (or a mapping of its columns) to the engine's record."""
    if type(row) is dict and len(row) == len(CASE_COLUMNS) + 1:
        return CaseRecord(**row)  # the case table's columns are the record's fields
    m = row if isinstance(row, Mapping) else row._mapping  # (a Row's attributes cost more)
    return CaseRecord(id=m["id"], **{c: m[c] for c in CASE_COLUMNS})


def event_from_row(row: Row[Any]) -> EventRecord:
    """Map an event row to the engine's record."""
    m = row._mapping
    return EventRecord(
        case_id=m["case_id"],
        seq=m["seq"],
        trigger=m["trigger"],
        from_state=m["from_state"],
        to_state=m["to_state"],
        actor=m["actor"],
        role=m["role"],
        at=m["at"],
        evidence=m["evidence"],
        prev_hash=m["prev_hash"],
        hash=m["hash"],
        body=m["body"] or "",
    )


def timer_from_row(row: Row[Any] | Mapping[str, Any]) -> TimerRecord:
    """Map a timer row (or a mapping of its columns) to the engine's record."""
    m = row if isinstance(row, Mapping) else row._mapping
    return TimerRecord(
        case_id=m["case_id"],
        name=m["name"],
        scope=m["scope"],
        due_at=m["due_at"],
        trigger=m["trigger"],
        notify=tuple(m["notify"]),
        provenance=m["provenance"],
        created_at=m["created_at"],
        status=m["status"],
        id=m["id"],
        finished_at=m["finished_at"],
        reason=m["reason"],
    )


class SqlUnitOfWork:
    """One transaction. Leaving the block without `commit()` rolls everything back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None
        self._postgres = engine.dialect.name == "postgresql"
        self._forget()

    def _forget(self) -> None:
        """Drop what this unit of work read and what it has not yet written."""
        self._cases: dict[int, CaseRecord] = {}
        """Cases as read, or as last written, in this transaction."""
        self._stored: dict[int, CaseRecord] = {}
        """Case id -> the case as the database holds it (as read, or as flushed)."""
        self._pending: dict[int, list[TimerRecord]] = {}
        """Case id -> its pending timers that have an id (read, less those finished since)."""
        self._children: dict[int, dict[str, Any]] = {}
        self._events: list[EventRecord] = []
        self._updates: dict[int, CaseRecord] = {}
        self._finished: list[dict[str, Any]] = []
        self._new_timers: list[TimerRecord] = []
        self._new_for: set[int] = set()
        """Cases with new timers not yet written (so without ids)."""
        self._timer_case: dict[int, int] = {}
        """Timer id -> case id, for the timers in `_pending`."""
        self._outbox: list[OutboxMessage] = []

    def __enter__(self) -> Self:
        self.conn = self.engine.connect()
        self.conn.info[WRITE] = True
        self.conn.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.conn is not None  # noqa: S101 - entered above
        self._forget()
        if exc is not None and self._lost_connection(exc):
            # the statement went to the driver directly, so SQLAlchemy did not see it fail:
            # drop this connection and start the pool afresh (a server restart closed them all)
            self.conn.invalidate()
            self.engine.dispose()
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
        finally:
            self.conn.info.pop(WRITE, None)
            self.conn.close()
            self.conn = None

    def _lost_connection(self, exc: BaseException) -> bool:
        """Whether `exc` is the driver saying the connection to the server is gone."""
        dialect = self.engine.dialect
        if not isinstance(exc, dialect.loaded_dbapi.Error) or self.conn is None:
            return False
        if self.conn.invalidated:
            return False
        driver = self.conn.connection.dbapi_connection
        return bool(dialect.is_disconnect(exc, driver, None))

    @property
    def c(self) -> Connection:
        """The open connection."""
        if self.conn is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self.conn

    def commit(self) -> None:
        """Write what is buffered and commit the transaction."""
        self.flush()
        self.c.commit()
        self._forget()

    # -- cases -----------------------------------------------------------------------------
    def get_case(self, case_id: int) -> CaseRecord:
        """The case (a copy: the caller may change it), or CaseNotFound. Read once per unit
        of work; later reads see what this unit of work wrote."""
        cached = self._cases.get(case_id)
        if cached is not None:
            return _copy(cached)
        rows = run_query(self.c, _CASE_BY_ID, {"case_id": case_id})
        if not rows:
            raise CaseNotFound(case_id)
        return _copy(self._remember(case_from_row(rows[0])))

    def _remember(self, case: CaseRecord) -> CaseRecord:
        self._cases[case.id] = self._stored[case.id] = case
        return case

    def add_case(self, case: CaseRecord, child: Mapping[str, Any]) -> int:
        """Insert the child and the case; return the case id."""
        child_id = self.c.execute(
            insert(child_table)
            .values(upn=child.get("upn"), details=dict(child))
            .returning(child_table.c.id)
        ).scalar_one()
        case.child_id = child_id
        self._children[child_id] = dict(child)
        values = {c: getattr(case, c) for c in CASE_COLUMNS}
        case_id = int(
            self.c.execute(
                insert(case_table).values(**values).returning(case_table.c.id)
            ).scalar_one()
        )
        self._remember(replace(case, id=case_id))
        self._pending[case_id] = []
        return case_id

    def update_case(self, case: CaseRecord, expected_version: int) -> None:
        """Write the case only if nobody changed it since `expected_version` was read.

        Buffered until the flush when this transaction read the case (it holds it); a case
        it never read is written at once.
        """
        known = self._cases.get(case.id)
        if known is None:
            self.flush()
            values = {c: getattr(case, c) for c in CASE_COLUMNS}
            result = self.c.execute(
                _UPDATE_CASE, {**values, "_id": case.id, "_expected": expected_version}
            )
            if result.rowcount != 1:
                raise self._conflict(case.id, expected_version)
            return
        if known.version != expected_version:
            raise self._conflict(case.id, expected_version)
        self._cases[case.id] = self._updates[case.id] = _copy(case)

    def _conflict(self, case_id: int, expected_version: int) -> ConcurrentUpdate:
        """The conflict, naming who changed the case last and what they did."""
        found = self.c.execute(
            select(case_table.c.version).where(case_table.c.id == case_id)
        ).scalar_one_or_none()
        if found is None:
            raise CaseNotFound(case_id)
        last = self.c.execute(
            select(event_table.c.seq, event_table.c.actor, event_table.c.trigger)
            .where(event_table.c.case_id == case_id)
            .order_by(event_table.c.seq.desc())
            .limit(1)
        ).first()
        return ConcurrentUpdate(
            case_ref(case_id),
            expected_version,
            max(found, last.seq if last else 0),
            last.actor if last else "",
            last.trigger if last else "",
        )

    # -- events ----------------------------------------------------------------------------
    def append_event(self, event: EventRecord) -> None:
        """Append one event to the case's chain (written at the flush)."""
        self._events.append(event)

    def events(self, case_id: int) -> list[EventRecord]:
        """The case's events in order, those not yet flushed included."""
        rows = self.c.execute(_EVENTS_OF, {"case_id": case_id})
        stored = [event_from_row(r) for r in rows]
        return stored + [e for e in self._events if e.case_id == case_id]

    def child(self, child_id: int) -> dict[str, Any]:
        """The child's details."""
        if child_id not in self._children:
            self._children[child_id] = dict(
                self.c.execute(_CHILD, {"child_id": child_id}).scalar_one()
            )
        return dict(self._children[child_id])

    # -- timers ----------------------------------------------------------------------------
    def pending_timers(self, case_id: int) -> list[TimerRecord]:
        """The case's pending timers."""
        if case_id in self._new_for:
            self.flush()  # a new timer needs its id before anyone can finish it
            self._pending.pop(case_id, None)
        if case_id not in self._pending:
            rows = self.c.execute(_PENDING_OF, {"case_id": case_id})
            self._keep_pending(case_id, [timer_from_row(r) for r in rows])
        return list(self._pending[case_id])

    def _keep_pending(self, case_id: int, timers: list[TimerRecord]) -> None:
        self._pending[case_id] = timers
        for timer in timers:
            if timer.id is not None:
                self._timer_case[timer.id] = case_id

    def fired_timer_names(self, case_id: int) -> list[str]:
        """Names of the case's fired timers."""
        self.flush()
        return list(self.c.execute(_FIRED_NAMES, {"case_id": case_id}).scalars())

    def add_timers(self, timers: Sequence[TimerRecord]) -> None:
        """Schedule timers (written at the flush)."""
        self._new_timers.extend(timers)
        self._new_for.update(t.case_id for t in timers)

    def finish_timers(
        self, timer_ids: Sequence[int], status: TimerStatus, at: datetime, reason: str
    ) -> None:
        """Mark timers fired, void or cancelled (written at the flush)."""
        if not timer_ids:
            return
        done = set(timer_ids)
        self._finished.extend(
            {"_id": i, "status": status, "at": at, "reason": reason} for i in timer_ids
        )
        for case_id in {self._timer_case.pop(i) for i in done if i in self._timer_case}:
            pending = self._pending.get(case_id)
            if pending is not None:
                self._pending[case_id] = [t for t in pending if t.id not in done]

    def reschedule_timer(
        self, timer_id: int, due_at: datetime, provenance: Mapping[str, Any]
    ) -> None:
        """Move a pending timer."""
        self.flush()
        self._pending.clear()
        self.c.execute(
            update(timer_table)
            .where(timer_table.c.id == timer_id)
            .values(due_at=due_at, provenance=dict(provenance))
        )

    def pending_timers_after(self, after_id: int, limit: int) -> list[TimerRecord]:
        """Pending timers with id > after_id, by id (a page of a sweep)."""
        self.flush()
        rows = self.c.execute(
            select(timer_table)
            .where(timer_table.c.status == "pending", timer_table.c.id > after_id)
            .order_by(timer_table.c.id)
            .limit(limit)
        )
        return [timer_from_row(r) for r in rows]

    def claim_due_timers(self, now: datetime, limit: int) -> list[TimerRecord]:
        """Claim due pending timers, oldest first, and read their cases for the batch.

        PostgreSQL: `FOR UPDATE SKIP LOCKED` on the timers and their cases, so several
        workers split the work, never fire one timer twice, and never both hold one case.
        SQLite: the transaction began IMMEDIATE, so this process is the only writer until it
        commits.
        """
        self.flush()
        claim = driver_query(self.c, _CLAIM_LOCKED if self._postgres else _CLAIM)
        due = claim.lists(self.c, {"now": now, "limit": limit})  # [timer id, case id]
        cases = sorted({case_id for _, case_id in due})
        self._read_ahead(cases)
        # the claimed timers are among the pending ones just read ahead: no second record
        pending = {t.id: t for case_id in cases for t in self.pending_timers(case_id)}
        return [pending[timer_id] for timer_id, _ in due]

    def _read_ahead(self, case_ids: list[int]) -> None:
        """Read the cases, their pending timers and children in three statements."""
        ids = [i for i in case_ids if i not in self._cases]
        if not ids:
            return
        cases = driver_query(self.c, _CASES_IN)
        for case in cases.records(self.c, {"ids": ids}, CaseRecord, _CASE_FIELDS):
            self._remember(case)
        pending: dict[int, list[TimerRecord]] = {i: [] for i in ids}
        query = driver_query(self.c, _PENDING_IN)
        for timer in query.records(
            self.c, {"ids": ids}, TimerRecord, _TIMER_FIELDS, as_tuple=("notify",)
        ):
            pending[timer.case_id].append(timer)
        for case_id, timers in pending.items():
            self._keep_pending(case_id, sorted(timers, key=lambda t: t.due_at))
        child_ids = [
            c.child_id
            for i in ids
            if (c := self._cases.get(i)) is not None
            and c.child_id is not None
            and c.child_id not in self._children
        ]
        if child_ids:
            for row in run_query(self.c, _CHILDREN_IN, {"ids": child_ids}):
                self._children[row["id"]] = dict(row["details"])

    def add_outbox(self, messages: Sequence[OutboxMessage]) -> None:
        """Queue rendered messages (written at the flush)."""
        self._outbox.extend(messages)

    # -- the flush -------------------------------------------------------------------------
    def flush(self) -> None:
        """Write everything buffered: one executemany per table."""
        if self._updates:  # first: an UPDATE takes the case's row lock (module docstring)
            self._flush_updates()
        if self._events:
            self._flush_events()
        if self._finished:
            rows, self._finished = self._finished, []
            run_many(self.c, _FINISH_TIMER, rows)
        if self._new_timers:
            timers, self._new_timers = self._new_timers, []
            self._new_for.clear()
            run_many(self.c, _INSERT_TIMER, [timer_params(t) for t in timers])
        if self._outbox:
            messages, self._outbox = self._outbox, []
            run_many(self.c, _INSERT_OUTBOX, [outbox_params(m) for m in messages])

    def _flush_events(self) -> None:
        events, self._events = self._events, []
        try:
            # no savepoint: this transaction holds the cases' row locks (module docstring), so
            # a duplicate (case, seq) means a writer that did not take them; it undoes all
            run_many(self.c, _INSERT_EVENT, [event_params(e) for e in events])
        except (IntegrityError, self.engine.dialect.loaded_dbapi.IntegrityError) as exc:
            if self._postgres:
                self.c.rollback()  # PostgreSQL refuses every statement after a failed one
            # a duplicate (case, seq): another writer appended to one of these chains first
            stored = {
                (r.case_id, r.seq): r.hash
                for r in self.c.execute(
                    select(event_table.c.case_id, event_table.c.seq, event_table.c.hash).where(
                        event_table.c.case_id.in_({e.case_id for e in events})
                    )
                )
            }
            clash = next(
                (e for e in events if stored.get((e.case_id, e.seq), e.hash) != e.hash),
                events[0],
            )
            raise self._conflict(clash.case_id, clash.seq - 1) from exc

    def _flush_updates(self) -> None:
        """One UPDATE per case, of the columns that changed, grouped into executemany."""
        updates, self._updates = self._updates, {}
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for case in updates.values():
            stored = self._stored[case.id]
            columns = tuple(c for c in CASE_COLUMNS if getattr(case, c) != getattr(stored, c))
            row = {c: getattr(case, c) for c in columns}
            row["_id"], row["_expected"] = case.id, stored.version
            groups.setdefault(columns, []).append(row)
        for columns, rows in groups.items():
            if not columns:
                continue
            changed = run_many(self.c, _update_case(columns), rows)
            if changed != len(rows):
                # a row written by us carries our event's hash as its head; another's does not
                ids = [row["_id"] for row in rows]
                heads: dict[int, str] = dict(self.c.execute(_HEADS_IN, {"ids": ids}).all())
                for row in rows:
                    if heads.get(row["_id"]) != updates[row["_id"]].head_hash:
                        raise self._conflict(row["_id"], row["_expected"])
        self._stored.update(updates)
