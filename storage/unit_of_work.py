"""`SqlUnitOfWork`: the engine's UnitOfWork on one SQLAlchemy connection and transaction.

Core statements on the hot path (one audited transition is a handful of statements); rows are
mapped to the engine's records and back here, so no table class reaches the engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, Row, bindparam, exists, insert, select, update
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
_FINISH_TIMERS = (
    update(timer_table)
    .where(timer_table.c.id.in_(bindparam("ids", expanding=True)))
    .values(status=bindparam("status"), finished_at=bindparam("at"), reason=bindparam("reason"))
)


def case_from_row(row: Row[Any]) -> CaseRecord:
    """Map a case row to the engine's record."""
    m = row._mapping
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
    )


def timer_from_row(row: Row[Any]) -> TimerRecord:
    """Map a timer row to the engine's record."""
    m = row._mapping
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
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
        finally:
            self.conn.info.pop(WRITE, None)
            self.conn.close()
            self.conn = None

    @property
    def c(self) -> Connection:
        """The open connection."""
        if self.conn is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self.conn

    def commit(self) -> None:
        """Commit the transaction."""
        self.c.commit()

    def get_case(self, case_id: int) -> CaseRecord:
        """The case, or CaseNotFound."""
        row = self.c.execute(_CASE_BY_ID, {"case_id": case_id}).first()
        if row is None:
            raise CaseNotFound(case_id)
        return case_from_row(row)

    def add_case(self, case: CaseRecord, child: Mapping[str, Any]) -> int:
        """Insert the child and the case; return the case id."""
        child_id = self.c.execute(
            insert(child_table)
            .values(upn=child.get("upn"), details=dict(child))
            .returning(child_table.c.id)
        ).scalar_one()
        case.child_id = child_id
        values = {c: getattr(case, c) for c in CASE_COLUMNS}
        return int(
            self.c.execute(
                insert(case_table).values(**values).returning(case_table.c.id)
            ).scalar_one()
        )

    def update_case(self, case: CaseRecord, expected_version: int) -> None:
        """Write the case only if nobody changed it since `expected_version` was read."""
        values = {c: getattr(case, c) for c in CASE_COLUMNS}
        result = self.c.execute(
            _UPDATE_CASE, {**values, "_id": case.id, "_expected": expected_version}
        )
        if result.rowcount == 1:
            return
        raise self._conflict(case.id, expected_version)

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

    def append_event(self, event: EventRecord) -> None:
        """Append one event; a duplicate sequence number means another writer got there first."""
        try:
            if self.engine.dialect.name == "postgresql":
                # PostgreSQL aborts the whole transaction on a failed INSERT; SQLite undoes
                # only the statement, so it needs no savepoint
                with self.c.begin_nested():
                    self._insert_event(event)
            else:
                self._insert_event(event)
        except IntegrityError as exc:
            raise self._conflict(event.case_id, event.seq - 1) from exc

    def _insert_event(self, event: EventRecord) -> None:
        self.c.execute(
            _INSERT_EVENT,
            {
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
            },
        )

    def events(self, case_id: int) -> list[EventRecord]:
        """The case's events in order."""
        rows = self.c.execute(_EVENTS_OF, {"case_id": case_id})
        return [event_from_row(r) for r in rows]

    def child(self, child_id: int) -> dict[str, Any]:
        """The child's details."""
        row = self.c.execute(_CHILD, {"child_id": child_id}).scalar_one()
        return dict(row)

    def pending_timers(self, case_id: int) -> list[TimerRecord]:
        """The case's pending timers."""
        rows = self.c.execute(_PENDING_OF, {"case_id": case_id})
        return [timer_from_row(r) for r in rows]

    def fired_timer_names(self, case_id: int) -> list[str]:
        """Names of the case's fired timers."""
        return list(self.c.execute(_FIRED_NAMES, {"case_id": case_id}).scalars())

    def add_timers(self, timers: Sequence[TimerRecord]) -> None:
        """Schedule timers."""
        self.c.execute(
            _INSERT_TIMER,
            [
                {
                    "case_id": t.case_id,
                    "name": t.name,
                    "scope": t.scope,
                    "trigger": t.trigger,
                    "notify": list(t.notify),
                    "due_at": t.due_at,
                    "status": t.status,
                    "created_at": t.created_at,
                    "provenance": dict(t.provenance),
                }
                for t in timers
            ],
        )

    def finish_timers(
        self, timer_ids: Sequence[int], status: TimerStatus, at: datetime, reason: str
    ) -> None:
        """Mark timers fired, void or cancelled."""
        if timer_ids:
            self.c.execute(
                _FINISH_TIMERS,
                {"ids": list(timer_ids), "status": status, "at": at, "reason": reason},
            )

    def reschedule_timer(
        self, timer_id: int, due_at: datetime, provenance: Mapping[str, Any]
    ) -> None:
        """Move a pending timer."""
        self.c.execute(
            update(timer_table)
            .where(timer_table.c.id == timer_id)
            .values(due_at=due_at, provenance=dict(provenance))
        )

    def pending_timers_after(self, after_id: int, limit: int) -> list[TimerRecord]:
        """Pending timers with id > after_id, by id (a page of a sweep)."""
        rows = self.c.execute(
            select(timer_table)
            .where(timer_table.c.status == "pending", timer_table.c.id > after_id)
            .order_by(timer_table.c.id)
            .limit(limit)
        )
        return [timer_from_row(r) for r in rows]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """SAVEPOINT ... RELEASE, or ROLLBACK TO it if the block raises."""
        with self.c.begin_nested():
            yield

    def claim_due_timers(self, now: datetime, limit: int) -> list[TimerRecord]:
        """Claim due pending timers, oldest first.

        PostgreSQL: `FOR UPDATE SKIP LOCKED`, so several workers split the batch and never
        fire one timer twice. SQLite: the transaction began IMMEDIATE, so this process is
        the only writer until it commits.
        """
        # correlated on the case's primary key: one lookup per due timer, never a scan of
        # every case (bench figure 4 with 1,000,000 cases)
        paused = exists().where(
            case_table.c.id == timer_table.c.case_id, case_table.c.paused_since.is_not(None)
        )
        query = (
            select(timer_table)
            .where(timer_table.c.status == "pending", timer_table.c.due_at <= now, ~paused)
            .order_by(timer_table.c.due_at, timer_table.c.id)
            .limit(limit)
        )
        if self.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=timer_table)
        return [timer_from_row(r) for r in self.c.execute(query)]

    def add_outbox(self, messages: Sequence[OutboxMessage]) -> None:
        """Queue rendered messages."""
        self.c.execute(
            insert(outbox_table),
            [
                {
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
                    "created_at": m.created_at,
                }
                for m in messages
            ],
        )
