"""`SqlUnitOfWork`: the engine's UnitOfWork on one SQLAlchemy connection and transaction.

Statements are SQLAlchemy Core, built once (`storage.statements`) and compiled once; the hot
ones run on the driver's cursor (`storage.driver`: `run_query`, `run_many`) with the column
types' own converters. Rows are mapped to the engine's records and back by `storage.rows`, so
no table class reaches the engine. (The names callers and tests imported from here before
those modules were split off are still exported here.)

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

This module stays a little over 400 lines: it is one class, whose buffers, read-ahead and
flush share one transaction's state; split, each part would reach into the others'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from operator import attrgetter
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.errors import CaseNotFound, ConcurrentUpdate
from engine.ports import CaseRecord, EventRecord, OutboxMessage, TimerRecord, TimerStatus, case_ref
from storage.database import WRITE
from storage.driver import _Query, driver_query, run_many, run_query
from storage.rows import (
    CASE_COLUMNS,
    CASE_FIELDS,
    TIMER_FIELDS,
    case_from_row,
    event_from_row,
    event_params,
    outbox_params,
    timer_from_row,
    timer_params,
)
from storage.rows import copy_case as _copy
from storage.statements import (
    CASE_BY_ID,
    CASES_IN,
    CHILD,
    CHILDREN_IN,
    CLAIM,
    CLAIM_LOCKED,
    EVENTS_OF,
    FINISH_TIMER,
    FIRED_NAMES,
    HEADS_IN,
    INSERT_EVENT,
    INSERT_OUTBOX,
    INSERT_TIMER,
    PENDING_IN,
    PENDING_OF,
    UPDATE_CASE,
    update_case_columns,
)
from storage.tables import case_table, child_table, event_table, timer_table

__all__ = [  # what callers and tests import from here (the mappers and driver moved)
    "CASE_COLUMNS",
    "SqlUnitOfWork",
    "_Query",
    "_copy",
    "case_from_row",
    "driver_query",
    "event_from_row",
    "event_params",
    "outbox_params",
    "run_many",
    "run_query",
    "timer_from_row",
    "timer_params",
]
INSERT_CHILD = insert(child_table).returning(child_table.c.id)
_column_values = attrgetter(*CASE_COLUMNS)
"""A case's column values in `CASE_COLUMNS` order, read at C speed (the flush compares every
column of every case a batch wrote with what it read)."""
INSERT_CASE = insert(case_table).returning(case_table.c.id)
"""Built once, values bound per call: `insert().values(...)` per case rebuilt and re-keyed the
statement each time, most of the cost of a register import (issue 17)."""


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
        rows = run_query(self.c, CASE_BY_ID, {"case_id": case_id})
        if not rows:
            raise CaseNotFound(case_id)
        return _copy(self._remember(case_from_row(rows[0])))

    def _remember(self, case: CaseRecord) -> CaseRecord:
        self._cases[case.id] = self._stored[case.id] = case
        return case

    def add_case(self, case: CaseRecord, child: Mapping[str, Any]) -> int:
        """Insert the child and the case; return the case id."""
        child_id = self.c.execute(
            INSERT_CHILD, {"upn": child.get("upn"), "details": dict(child)}
        ).scalar_one()
        case.child_id = child_id
        self._children[child_id] = dict(child)
        values = {c: getattr(case, c) for c in CASE_COLUMNS}
        case_id = int(self.c.execute(INSERT_CASE, values).scalar_one())
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
                UPDATE_CASE, {**values, "_id": case.id, "_expected": expected_version}
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
        rows = self.c.execute(EVENTS_OF, {"case_id": case_id})
        stored = [event_from_row(r) for r in rows]
        return stored + [e for e in self._events if e.case_id == case_id]

    def child(self, child_id: int) -> dict[str, Any]:
        """The child's details."""
        if child_id not in self._children:
            self._children[child_id] = dict(
                self.c.execute(CHILD, {"child_id": child_id}).scalar_one()
            )
        return dict(self._children[child_id])

    # -- timers ----------------------------------------------------------------------------
    def pending_timers(self, case_id: int) -> list[TimerRecord]:
        """The case's pending timers."""
        if case_id in self._new_for:
            self.flush()  # a new timer needs its id before anyone can finish it
            self._pending.pop(case_id, None)
        if case_id not in self._pending:
            rows = self.c.execute(PENDING_OF, {"case_id": case_id})
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
        return list(self.c.execute(FIRED_NAMES, {"case_id": case_id}).scalars())

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
        claim = driver_query(self.c, CLAIM_LOCKED if self._postgres else CLAIM)
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
        cases = driver_query(self.c, CASES_IN)
        for case in cases.records(self.c, {"ids": ids}, CaseRecord, CASE_FIELDS):
            self._remember(case)
        pending: dict[int, list[TimerRecord]] = {i: [] for i in ids}
        query = driver_query(self.c, PENDING_IN)
        for timer in query.records(
            self.c, {"ids": ids}, TimerRecord, TIMER_FIELDS, as_tuple=("notify",)
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
            for row in run_query(self.c, CHILDREN_IN, {"ids": child_ids}):
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
            run_many(self.c, FINISH_TIMER, rows)
        if self._new_timers:
            timers, self._new_timers = self._new_timers, []
            self._new_for.clear()
            run_many(self.c, INSERT_TIMER, [timer_params(t) for t in timers])
        if self._outbox:
            messages, self._outbox = self._outbox, []
            run_many(self.c, INSERT_OUTBOX, [outbox_params(m) for m in messages])

    def _flush_events(self) -> None:
        events, self._events = self._events, []
        try:
            # no savepoint: this transaction holds the cases' row locks (module docstring), so
            # a duplicate (case, seq) means a writer that did not take them; it undoes all
            run_many(self.c, INSERT_EVENT, [event_params(e) for e in events])
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
            now, before = _column_values(case), _column_values(stored)
            columns = tuple(c for c, a, b in zip(CASE_COLUMNS, now, before, strict=True) if a != b)
            row = {c: getattr(case, c) for c in columns}
            row["_id"], row["_expected"] = case.id, stored.version
            groups.setdefault(columns, []).append(row)
        for columns, rows in groups.items():
            if not columns:
                continue
            changed = run_many(self.c, update_case_columns(columns), rows)
            if changed != len(rows):
                # a row written by us carries our event's hash as its head; another's does not
                ids = [row["_id"] for row in rows]
                heads: dict[int, str] = dict(self.c.execute(HEADS_IN, {"ids": ids}).all())
                for row in rows:
                    if heads.get(row["_id"]) != updates[row["_id"]].head_hash:
                        raise self._conflict(row["_id"], row["_expected"])
        self._stored.update(updates)
