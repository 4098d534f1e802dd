"""What every report reads: the event log and the timers as they stood at a moment.

Nothing here reads a case's current row but what never changes after opening (its route, its
child): state, risk, closure, escalation, pause and primary reason all come from events whose
time is before `until`, and deadlines from timers as they stood then (a timer finished after
`until` counts as pending). So a report of a past period is the same, byte for byte, after
later steps, corrections and chart migrations.

Two scans of `event` (the openings, and the few kinds of step reports count), then indexed
look-ups of the cases still open: no component holds every event in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, not_, or_, select

from storage.tables import case_table, child_table, event_table, timer_table

ESCALATED = "escalated_to_mash"
WITH_MASH = "with_mash"
OTHER_LA = "other_la_tracking"
PAUSED, RESUMED, REASON_SET, OPENED = (
    "clock_paused",
    "clock_resumed",
    "primary_reason_set",
    "open_case",
)
RISK_TRIGGERS = ("update_risk",)
_SYSTEM = frozenset({PAUSED, RESUMED, REASON_SET})
CASEWORK_ROLES = ("caseworker", "cmeo", "ehe_officer")
CHUNK = 500
"""Case ids per `IN (...)` look-up (under every driver's bound-parameter limit)."""


@dataclass(slots=True)
class Step:
    """One event a report counts (not every event of a case)."""

    case_id: int
    seq: int
    at: datetime
    trigger: str
    from_state: str
    to_state: str
    role: str
    detail: Any = None
    """Per kind: the outcome (closing), the risk flags (risk), the reason (pause, reason)."""


@dataclass(slots=True)
class Opening:
    """A case's opening: its route, child and what the referral said."""

    case_id: int
    at: datetime
    workflow: str
    child_id: int | None
    reason: str | None
    flags: list[str]
    missing_since: str | None
    """The first day of absence or the end of leave (ISO date), if the referral gave one."""


@dataclass(slots=True)
class Timer:
    """A deadline as it stood at `until`: its status then (`pending` if it finished later)."""

    case_id: int
    name: str
    due_at: datetime
    status: str
    finished_at: datetime | None
    reason: str | None


@dataclass(slots=True)
class History:
    """The event log up to `until` (exclusive), as reports read it."""

    until: datetime
    finals: frozenset[str]
    openings: dict[int, Opening] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    _spans: dict[int, list[tuple[datetime, datetime | None]]] | None = None
    _open: dict[datetime, list[int]] = field(default_factory=dict)

    def open_intervals(self) -> dict[int, list[tuple[datetime, datetime | None]]]:
        """case -> the spans it was open (a case closed then returned to work has two);
        worked out once (the history does not change once read)."""
        if self._spans is None:
            self._spans = self._intervals()
        return self._spans

    def _intervals(self) -> dict[int, list[tuple[datetime, datetime | None]]]:
        spans: dict[int, list[tuple[datetime, datetime | None]]] = {
            cid: [(o.at, None)] for cid, o in self.openings.items()
        }
        for s in self.steps:
            if s.case_id not in spans:
                continue
            runs = spans[s.case_id]
            closing = s.to_state in self.finals and s.from_state not in self.finals
            reopening = s.from_state in self.finals and s.to_state not in self.finals
            if closing and runs[-1][1] is None:
                runs[-1] = (runs[-1][0], s.at)
            elif reopening and runs[-1][1] is not None:
                runs.append((s.at, None))
        return spans

    def open_at(self, moment: datetime) -> list[int]:
        """Cases open at `moment` (opened by then, not closed by then), in id order."""
        if moment in self._open:
            return list(self._open[moment])
        self._open[moment] = sorted(
            cid
            for cid, runs in self.open_intervals().items()
            if any(a <= moment and (b is None or b > moment) for a, b in runs)
        )
        return list(self._open[moment])

    def open_counts(self, moments: Sequence[datetime]) -> list[int]:
        """How many cases were open at each of `moments` (ascending), in one sweep."""
        changes = sorted(
            (moment, delta)
            for runs in self.open_intervals().values()
            for a, b in runs
            for moment, delta in ((a, 1), *(((b, -1),) if b is not None else ()))
        )
        counts, open_now, i = [], 0, 0
        for moment in moments:
            while i < len(changes) and changes[i][0] <= moment:
                open_now += changes[i][1]
                i += 1
            counts.append(open_now)
        return counts

    def last_of(self, kinds: Iterable[str], moment: datetime) -> dict[int, Step]:
        """case -> its latest step of `kinds` before `moment`."""
        wanted = set(kinds)
        found: dict[int, Step] = {}
        for s in self.steps:
            if s.trigger in wanted and s.at < moment:
                found[s.case_id] = s  # steps are in (case, seq) order
        return found

    def reason_at(self, moment: datetime) -> dict[int, str]:
        """case -> its primary reason for CME at `moment` (intake, then later settings)."""
        reasons = {cid: o.reason for cid, o in self.openings.items() if o.reason}
        for cid, s in self.last_of([REASON_SET], moment).items():
            reasons[cid] = str(s.detail)
        return reasons

    def flags_at(self, moment: datetime) -> dict[int, list[str]]:
        """case -> its risk flags at `moment`."""
        flags = {cid: list(o.flags) for cid, o in self.openings.items()}
        for cid, s in self.last_of(RISK_TRIGGERS, moment).items():
            flags[cid] = list(s.detail or [])
        return flags


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def read_history(
    db: Engine, until: datetime, finals: Iterable[str], triggers: Iterable[str]
) -> History:
    """The openings and the steps of `triggers` (those a report counts: `counted_triggers`)
    before `until`, read through the (trigger, at) index."""
    finals, triggers = frozenset(finals), frozenset(triggers)
    e, c = event_table.c, case_table.c
    history = History(until, finals)
    opened = (
        select(
            e.case_id,
            e.at,
            c.workflow,
            c.child_id,
            e.evidence[("facts", "primary_reason")].as_string(),
            e.evidence[("facts", "risk_flags")],
            e.evidence[("facts", "first_absence_date")].as_string(),
            e.evidence[("facts", "leave_end_date")].as_string(),
        )
        .join(case_table, c.id == e.case_id)
        .where(e.trigger == OPENED, e.at < until)
        .order_by(e.case_id)
    )
    counted = (
        select(
            e.case_id,
            e.seq,
            e.at,
            e.trigger,
            e.from_state,
            e.to_state,
            e.role,
            e.evidence["case_outcome"].as_string(),
            e.evidence["risk_flags"],
            e.evidence["reason"].as_string(),
        )
        .where(e.trigger.in_(sorted(triggers | {PAUSED, RESUMED, REASON_SET})), e.at < until)
        .order_by(e.case_id, e.seq)
    )
    with db.connect() as conn:
        for cid, at, workflow, child, reason, flags, fad, led in conn.execute(opened):
            history.openings[cid] = Opening(
                cid,
                at,
                workflow,
                child,
                _text(reason),
                [f for f in flags or [] if isinstance(f, str)],
                _text(led) or _text(fad),
            )
        for row in conn.execute(counted):
            cid, seq, at, trigger, source, target, role, outcome, flags, reason = row
            detail: Any = None
            within = source == target and target != ESCALATED
            if within and trigger not in _SYSTEM and trigger not in RISK_TRIGGERS:
                continue  # a step within a state the reports do not count
            if trigger in RISK_TRIGGERS:
                detail = [f for f in flags or [] if isinstance(f, str)]
            elif trigger in (PAUSED, REASON_SET):
                detail = reason
            elif target in finals:
                detail = _text(outcome) or trigger
            history.steps.append(Step(cid, seq, at, trigger, source, target, role, detail))
    return history


def states_at(db: Engine, case_ids: Sequence[int], until: datetime) -> dict[int, str]:
    """case -> its state just before `until` (its latest event's destination then): the case
    row's state when the case has not changed since, else read from its events."""
    e, c = event_table.c, case_table.c
    found: dict[int, str] = {}
    moved: list[int] = []
    with db.connect() as conn:
        for part in _chunks(case_ids):
            rows = conn.execute(select(c.id, c.state, c.updated_at).where(c.id.in_(part)))
            for cid, state, updated in rows:
                if updated < until:
                    found[cid] = state
                else:
                    moved.append(cid)
        for part in _chunks(moved):
            last = (
                select(e.case_id, func.max(e.seq).label("seq"))
                .where(e.case_id.in_(part), e.at < until)
                .group_by(e.case_id)
                .subquery()
            )
            query = select(e.case_id, e.to_state).join(
                last, and_(e.case_id == last.c.case_id, e.seq == last.c.seq)
            )
            found.update({row[0]: row[1] for row in conn.execute(query)})
    return found


def workers_at(db: Engine, case_ids: Sequence[int], until: datetime) -> dict[int, str]:
    """case -> who last worked on it before `until` (a caseworker, CMEO or EHE officer)."""
    e = event_table.c
    found: dict[int, str] = {}
    with db.connect() as conn:
        for part in _chunks(case_ids):
            last = (
                select(e.case_id, func.max(e.seq).label("seq"))
                .where(e.case_id.in_(part), e.at < until, e.role.in_(CASEWORK_ROLES))
                .group_by(e.case_id)
                .subquery()
            )
            query = select(e.case_id, e.actor).join(
                last, and_(e.case_id == last.c.case_id, e.seq == last.c.seq)
            )
            found.update({row[0]: row[1] for row in conn.execute(query)})
    return found


def children(db: Engine, child_ids: Sequence[int]) -> dict[int, tuple[str | None, dict[str, Any]]]:
    """child id -> (UPN, details)."""
    ch = child_table.c
    found: dict[int, tuple[str | None, dict[str, Any]]] = {}
    with db.connect() as conn:
        for part in _chunks(sorted(set(child_ids))):
            query = select(ch.id, ch.upn, ch.details).where(ch.id.in_(part))
            found.update({cid: (upn, details or {}) for cid, upn, details in conn.execute(query)})
    return found


def timers_between(
    db: Engine, names: Sequence[str], start: datetime, until: datetime
) -> list[Timer]:
    """Deadlines of `names` created before `until` that were due, or finished, from `start`
    on; each with its status as it stood at `until`."""
    t = timer_table.c
    query = (
        select(t.case_id, t.name, t.due_at, t.status, t.finished_at, t.reason)
        .where(
            t.name.in_(names),
            t.created_at < until,
            or_(t.due_at >= start, t.finished_at.is_(None), t.finished_at >= start),
            not_(t.status == "void"),
        )
        .order_by(t.case_id, t.id)
    )
    found = []
    with db.connect() as conn:
        for cid, name, due, status, finished, reason in conn.execute(query):
            if finished is not None and finished >= until:
                status, finished, reason = "pending", None, None
            found.append(Timer(cid, name, due, status, finished, reason))
    return found
