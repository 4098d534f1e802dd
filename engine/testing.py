"""Hand-written fakes for tests, shipped with the engine (as structlog ships its own).

`FakeClock` is moved by hand; `InMemoryStore` + `InMemoryUnitOfWork` keep cases, events,
timers and outbox rows in dicts with the same all-or-nothing commit as the real database.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from engine.clock import utc
from engine.errors import CaseNotFound, ConcurrentUpdate, ContractBroken
from engine.ports import (
    CaseRecord,
    DueDate,
    EventRecord,
    OutboxMessage,
    RenderedMessage,
    TimerRecord,
    TimerStatus,
    case_ref,
)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime) -> None:
        self._now = utc(now)

    def now(self) -> datetime:
        """The current fake time."""
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (aware)."""
        self._now = utc(moment)

    def advance(self, delta: timedelta) -> None:
        """Move forward by `delta`."""
        self._now += delta


@dataclass
class InMemoryStore:
    """The committed state the in-memory units of work share."""

    cases: dict[int, CaseRecord] = field(default_factory=dict)
    children: dict[int, dict[str, Any]] = field(default_factory=dict)
    events: dict[int, list[EventRecord]] = field(default_factory=dict)
    timers: dict[int, TimerRecord] = field(default_factory=dict)
    outbox: list[OutboxMessage] = field(default_factory=list)
    next_ids: dict[str, int] = field(default_factory=dict)
    """Table -> the next id it hands out: one sequence per table, as the database keeps (so
    the second case is CME-000002 whatever the first wrote), never reused after a rollback."""

    def unit_of_work(self) -> InMemoryUnitOfWork:
        """A new unit of work on this store (use as the engine's factory)."""
        return InMemoryUnitOfWork(self)

    def new_id(self, table: str) -> int:
        """The next id of `table`."""
        self.next_ids[table] = self.next_ids.get(table, 0) + 1
        return self.next_ids[table]


class InMemoryUnitOfWork:
    """Works on a private copy of the store taken when the `with` block is entered.

    It behaves as `storage.unit_of_work.SqlUnitOfWork` does (tests/contract holds both to one
    suite): leaving the block without `commit()` writes nothing; `commit()` writes what this
    unit of work changed, and only if no case it updates was committed by another unit of work
    since it was read (else `ConcurrentUpdate` naming who, and nothing is written), so two
    interleaved units of work never lose each other's writes.
    """

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self._work: InMemoryStore | None = None
        self._begin()

    def _begin(self) -> None:
        self._work = None
        self._read: dict[int, int] = {}
        """Case id -> the version committed when this unit of work read it."""
        self._updated: set[int] = set()
        self._new_cases: set[int] = set()
        self._appended: list[EventRecord] = []
        self._timers: set[int] = set()
        """Ids of the timers this unit of work added or changed."""
        self._outbox: list[OutboxMessage] = []

    @property
    def work(self) -> InMemoryStore:
        """This unit of work's copy of the store."""
        if self._work is None:
            raise ContractBroken("the unit of work is used outside its `with` block")
        return self._work

    def __enter__(self) -> Self:
        self._begin()
        self._work = copy.deepcopy(self.store)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._begin()

    def commit(self) -> None:
        """Check every case this unit of work updates is still at the version it read, then
        write its changes into the store, all or nothing."""
        store, work = self.store, self.work
        for case_id in sorted(self._updated - self._new_cases):
            if store.cases[case_id].version != self._read[case_id]:
                raise self._conflict(case_id, self._read[case_id])
        for event in self._appended:
            chain = store.events.get(event.case_id, [])
            if event.case_id not in self._new_cases and chain and chain[-1].seq >= event.seq:
                raise self._conflict(event.case_id, event.seq - 1)
        for case_id in self._updated | self._new_cases:
            store.cases[case_id] = copy.deepcopy(work.cases[case_id])
        for case_id in self._new_cases:
            child_id = work.cases[case_id].child_id
            if child_id is not None:
                store.children[child_id] = copy.deepcopy(work.children[child_id])
        for event in self._appended:
            store.events.setdefault(event.case_id, []).append(copy.deepcopy(event))
        for timer_id in sorted(self._timers):
            store.timers[timer_id] = copy.deepcopy(work.timers[timer_id])
        store.outbox.extend(copy.deepcopy(self._outbox))
        self.__enter__()

    def _conflict(self, case_id: int, expected_version: int) -> ConcurrentUpdate:
        """The conflict, naming who committed the case last and what they did."""
        committed = self.store.cases.get(case_id) or self.work.cases[case_id]
        chain = self.store.events.get(case_id) or []
        last = chain[-1] if chain else None
        return ConcurrentUpdate(
            case_ref(case_id),
            expected_version,
            max(committed.version, last.seq if last else 0),
            last.actor if last else "",
            last.trigger if last else "",
        )

    def get_case(self, case_id: int) -> CaseRecord:
        """A copy of the case."""
        if case_id not in self.work.cases:
            raise CaseNotFound(case_id)
        case = self.work.cases[case_id]
        self._read.setdefault(case_id, case.version)
        return copy.deepcopy(case)

    def add_case(self, case: CaseRecord, child: Mapping[str, Any]) -> int:
        """Insert the case and its child."""
        case_id, child_id = self.store.new_id("case"), self.store.new_id("child")
        self.work.children[child_id] = dict(child)
        case.child_id = child_id
        self.work.cases[case_id] = replace(copy.deepcopy(case), id=case_id)
        self.work.events[case_id] = []
        self._new_cases.add(case_id)
        return case_id

    def update_case(self, case: CaseRecord, expected_version: int) -> None:
        """Optimistic write."""
        stored = self.work.cases.get(case.id)
        if stored is None:
            raise CaseNotFound(case.id)
        self._read.setdefault(case.id, stored.version)
        if stored.version != expected_version:
            raise self._conflict(case.id, expected_version)
        self.work.cases[case.id] = copy.deepcopy(case)
        self._updated.add(case.id)

    def append_event(self, event: EventRecord) -> None:
        """Append, refusing a duplicate sequence number as a real unique index would."""
        chain = self.work.events.setdefault(event.case_id, [])
        if chain and chain[-1].seq >= event.seq:
            raise self._conflict(event.case_id, event.seq - 1)
        chain.append(event)
        self._appended.append(event)

    def events(self, case_id: int) -> list[EventRecord]:
        """The case's events in order."""
        return list(self.work.events.get(case_id, []))

    def child(self, child_id: int) -> dict[str, Any]:
        """The child's details."""
        return dict(self.work.children[child_id])

    def pending_timers(self, case_id: int) -> list[TimerRecord]:
        """Pending timers of one case."""
        return sorted(
            (
                t
                for t in self.work.timers.values()
                if t.case_id == case_id and t.status == "pending"
            ),
            key=lambda t: (t.due_at, t.id or 0),
        )

    def fired_timer_names(self, case_id: int) -> list[str]:
        """Names of fired timers of one case."""
        return [
            t.name
            for t in self.work.timers.values()
            if t.case_id == case_id and t.status == "fired"
        ]

    def add_timers(self, timers: Sequence[TimerRecord]) -> None:
        """Schedule timers."""
        for timer in timers:
            timer_id = self.store.new_id("timer")
            self.work.timers[timer_id] = replace(timer, id=timer_id)
            self._timers.add(timer_id)

    def finish_timers(
        self, timer_ids: Sequence[int], status: TimerStatus, at: datetime, reason: str
    ) -> None:
        """Mark timers finished."""
        for timer_id in timer_ids:
            self._timers.add(timer_id)
            self.work.timers[timer_id] = replace(
                self.work.timers[timer_id], status=status, finished_at=at, reason=reason
            )

    def reschedule_timer(
        self, timer_id: int, due_at: datetime, provenance: Mapping[str, Any]
    ) -> None:
        """Move a pending timer."""
        self._timers.add(timer_id)
        self.work.timers[timer_id] = replace(
            self.work.timers[timer_id], due_at=due_at, provenance=dict(provenance)
        )

    def pending_timers_after(self, after_id: int, limit: int) -> list[TimerRecord]:
        """Pending timers with id > after_id, by id."""
        found = sorted(
            (
                t
                for t in self.work.timers.values()
                if t.status == "pending" and (t.id or 0) > after_id
            ),
            key=lambda t: t.id or 0,
        )
        return found[:limit]

    def claim_due_timers(self, now: datetime, limit: int) -> list[TimerRecord]:
        """Pending timers due by `now`, oldest first (one writer: nobody else claims)."""
        return sorted(
            (
                t
                for t in self.work.timers.values()
                if t.status == "pending"
                and t.due_at <= now
                and self.work.cases[t.case_id].paused_since is None
            ),
            key=lambda t: (t.due_at, t.id or 0),
        )[:limit]

    def add_outbox(self, messages: Sequence[OutboxMessage]) -> None:
        """Queue messages."""
        for message in messages:
            queued = replace(message, id=self.store.new_id("outbox"))
            self.work.outbox.append(queued)
            self._outbox.append(queued)


class RecordingRenderer:
    """Renders every template to one message for the role `recipient`, recording the context."""

    def __init__(self, templates: Sequence[str] | None = None) -> None:
        self.templates = set(templates) if templates is not None else None
        self.contexts: list[tuple[str, Mapping[str, Any]]] = []

    def has_template(self, template: str) -> bool:
        """Any name, unless a list was given."""
        return self.templates is None or template in self.templates

    def wants(self, template: str) -> bool:
        """Always: the test reads what was rendered."""
        return True

    def render(self, template: str, context: Mapping[str, Any]) -> list[RenderedMessage]:
        """One plain message."""
        self.contexts.append((template, context))
        ref = context.get("case", {}).get("ref", "?")
        return [
            RenderedMessage(
                "recipient",
                "recipient@example.gov.uk",
                f"{ref}: {template}",
                template,
                f"<p>{template}</p>",
            )
        ]


class WeekdayCalendar:
    """A calendar where every weekday is a school day: for tests that are not about terms."""

    name = "weekdays"
    content_hash = "0" * 64

    def is_school_day(self, day: date) -> bool:
        """Monday to Friday."""
        return day.weekday() < 5

    def add_school_days(self, start: date, days: int) -> DueDate:
        """Count weekdays."""
        day = start
        for _ in range(days):
            day += timedelta(days=1)
            while day.weekday() >= 5:
                day += timedelta(days=1)
        return DueDate(day)

    def add_working_days(self, start: date, days: int) -> DueDate:
        """Same as school days here."""
        return self.add_school_days(start, days)

    def count_school_days(self, start: date, end: date) -> int:
        """Weekdays in (start, end]."""
        return sum(
            1
            for n in range(1, (end - start).days + 1)
            if (start + timedelta(days=n)).weekday() < 5
        )

    def uncovered_school_years(self, first: date, last: date) -> tuple[int, ...]:
        """None: every weekday is a known school day here."""
        return ()


class SingleCalendar:
    """A calendar provider that gives every case the same calendar."""

    def __init__(self, calendar: Any) -> None:
        self.calendar = calendar

    def for_case(self, case: CaseRecord) -> Any:
        """The one calendar."""
        return self.calendar
