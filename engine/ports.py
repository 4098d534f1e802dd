"""The ports: what the engine needs from the world, as Protocols and plain records.

`storage` implements `UnitOfWork`; `notifications` implements `Renderer` and `Sender`; the
calendar (`engine.calendar`) implements `WorkingCalendar`. No table class or library object ever
crosses into the engine: only the dataclasses below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import Any, Literal, Protocol, Self

GENESIS_HASH = "0" * 64
"""`prev_hash` of the first event of every case."""

Priority = Literal["high", "standard"]
TimerStatus = Literal["pending", "fired", "void", "cancelled"]
OutboxStatus = Literal["pending", "sending", "sent", "deferred", "failed"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something, and in which role (`system` for timers and automatic rules)."""

    name: str
    role: str

    @property
    def label(self) -> str:
        """`name (role)`, as the audit trail shows it."""
        return self.name if self.name.startswith("system:") else f"{self.name} ({self.role})"


SYSTEM_TIMER = Actor("system:timer", "system")
SYSTEM_RULE = Actor("system:rule", "system")


@dataclass(slots=True)
class CaseRecord:
    """A case as the engine sees it: current state plus the facts the rules read.

    `facts` holds the referral's non-identifying facts (school, dates, risk flags, referrer) and
    every fact a trigger records with `sets_facts`. The child's identity lives apart (child
    table) so that messages and logs can be built without it.
    """

    id: int
    workflow: str
    definition_hash: str
    state: str
    priority: Priority
    version: int
    facts: dict[str, Any]
    opened_at: datetime
    state_entered_at: datetime
    updated_at: datetime
    head_hash: str = GENESIS_HASH
    child_id: int | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    paused_since: datetime | None = None
    pause_reason: str | None = None

    @property
    def ref(self) -> str:
        """The case reference used in every message, subject and log line."""
        return case_ref(self.id)


def case_ref(case_id: int) -> str:
    """`CME-000042`: the reference that stands for a case everywhere a name must not."""
    return f"CME-{case_id:06d}"


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One link of a case's append-only, hash-chained history."""

    case_id: int
    seq: int
    trigger: str
    from_state: str
    to_state: str
    actor: str
    role: str
    at: datetime
    evidence: Mapping[str, Any]
    prev_hash: str
    hash: str
    body: str = ""
    """The canonical JSON text whose UTF-8 bytes the hash covers, after `prev_hash`
    (`engine.audit.seal`); "" when not stored (events written before schema 0004)."""


@dataclass(frozen=True, slots=True)
class TimerRecord:
    """A deadline a case is waiting on. `provenance` says how its due time was worked out."""

    case_id: int
    name: str
    scope: str
    due_at: datetime
    trigger: str | None
    notify: tuple[str, ...]
    provenance: Mapping[str, Any]
    created_at: datetime
    status: TimerStatus = "pending"
    id: int | None = None
    finished_at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A rendered notification waiting to be sent (written in the same commit as its event)."""

    case_id: int
    event_seq: int
    template: str
    recipient_role: str
    recipient: str
    subject: str
    body_text: str
    body_html: str
    created_at: datetime
    status: OutboxStatus = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    id: int | None = None
    sent_at: datetime | None = None

    @property
    def message_id(self) -> str:
        """A stable Message-ID so receiving systems can drop a duplicate delivery."""
        return f"<cme-outbox-{self.id}-case-{self.case_id}-{self.event_seq}@cme.invalid>"


class UnitOfWork(Protocol):
    """One database transaction. Leaving the `with` block without `commit()` rolls back."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make every change of this unit of work durable, at once."""
        ...

    def get_case(self, case_id: int) -> CaseRecord:
        """The case, or `CaseNotFound`."""
        ...

    def add_case(self, case: CaseRecord, child: Mapping[str, Any]) -> int:
        """Insert a case (its `id` is ignored) and its child; return the new case id."""
        ...

    def update_case(self, case: CaseRecord, expected_version: int) -> None:
        """Write the case if its stored version is still `expected_version`, else raise
        `ConcurrentUpdate` naming who changed it."""
        ...

    def append_event(self, event: EventRecord) -> None:
        """Append one event to the case's chain."""
        ...

    def events(self, case_id: int) -> list[EventRecord]:
        """The case's events in order."""
        ...

    def child(self, child_id: int) -> dict[str, Any]:
        """The child's identifying details (name, date of birth, UPN, address)."""
        ...

    def pending_timers(self, case_id: int) -> list[TimerRecord]:
        """The case's timers still waiting to fire."""
        ...

    def add_timers(self, timers: Sequence[TimerRecord]) -> None:
        """Schedule timers."""
        ...

    def fired_timer_names(self, case_id: int) -> list[str]:
        """Names of the case's timers that have fired."""
        ...

    def finish_timers(
        self, timer_ids: Sequence[int], status: TimerStatus, at: datetime, reason: str
    ) -> None:
        """Mark pending timers fired, void or cancelled."""
        ...

    def reschedule_timer(
        self, timer_id: int, due_at: datetime, provenance: Mapping[str, Any]
    ) -> None:
        """Move a pending timer's due time (pause, resume, calendar change)."""
        ...

    def pending_timers_after(self, after_id: int, limit: int) -> list[TimerRecord]:
        """Pending timers of every case with id > `after_id`, by id (for paging sweeps)."""
        ...

    def claim_due_timers(self, now: datetime, limit: int) -> list[TimerRecord]:
        """Claim pending timers due at or before `now`, oldest first, so no other worker
        takes them (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the single writer).
        Timers of a case whose clock is paused are not claimed."""
        ...

    def add_outbox(self, messages: Sequence[OutboxMessage]) -> None:
        """Queue rendered messages."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True, slots=True)
class DueDate:
    """A counted deadline day, and whether it rests on real term dates."""

    day: date
    provisional: bool = False
    reason: str = ""


class WorkingCalendar(Protocol):
    """Counts school days (term less closures and bank holidays) and working days."""

    @property
    def name(self) -> str:
        """The calendar's name (authority, or authority/school)."""
        ...

    @property
    def content_hash(self) -> str:
        """sha256 of the calendar's content, cited in each deadline's provenance."""
        ...

    def is_school_day(self, day: date) -> bool:
        """A weekday in term, not a closure (INSET) day, not a bank holiday."""
        ...

    def add_school_days(self, start: date, days: int) -> DueDate:
        """The `days`-th school day after `start` (never counting `start` itself)."""
        ...

    def add_working_days(self, start: date, days: int) -> DueDate:
        """The `days`-th weekday after `start` that is not a bank holiday."""
        ...

    def count_school_days(self, start: date, end: date) -> int:
        """School days in (`start`, `end`]: after `start`, up to and including `end`."""
        ...

    def uncovered_school_years(self, first: date, last: date) -> tuple[int, ...]:
        """The school years with no term dates loaded that some day of [first, last] falls in
        (a school-day count over them is provisional); empty when the range is covered."""
        ...


class CalendarProvider(Protocol):
    """Chooses the calendar a case's deadlines are counted on (per school, LA default)."""

    def for_case(self, case: CaseRecord) -> WorkingCalendar:
        """The calendar of the case's school, or the authority's."""
        ...


UNRENDERED = ""
"""The body of a message nobody could receive when it was queued: not rendered yet (a
rendered body is never empty)."""


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A notification rendered for one recipient.

    A role with no address configured still gets a message, with `recipient` "" and
    `undeliverable` saying why ("no address configured for role mash (set CME_MASH_EMAIL)"):
    the engine queues it as a `failed` outbox row and records the failure on the case, so a
    notification is never dropped silently. When no recipient of it has an address, its bodies
    are `UNRENDERED`: they are rendered when the row is given an address (`cme outbox retry`).
    """

    recipient_role: str
    recipient: str
    subject: str
    body_text: str
    body_html: str
    undeliverable: str = ""


class Renderer(Protocol):
    """Renders a named template for a case into messages, one per recipient."""

    def render(self, template: str, context: Mapping[str, Any]) -> list[RenderedMessage]:
        """Render `template` with `context`; one message per recipient role, those without an
        address marked `undeliverable`."""
        ...

    def has_template(self, template: str) -> bool:
        """Whether a template of that name exists."""
        ...

    def wants(self, template: str) -> bool:
        """Whether anyone could receive `template` here: when nobody could (no address is
        configured for any of its roles), the engine builds no message for it."""
        ...


@dataclass(frozen=True, slots=True)
class GuardContext:
    """What a guard may read: the case, the proposed evidence, the time, the calendar."""

    case: CaseRecord
    trigger: str
    evidence: Mapping[str, Any]
    now: datetime
    calendar: WorkingCalendar
    history: Callable[[], Sequence[EventRecord]]
    settings: Mapping[str, Any] = field(default_factory=dict)


Guard = Callable[[GuardContext], str | None]
"""A rule: returns the reason it blocks, in a caseworker's words, or None when it holds."""
