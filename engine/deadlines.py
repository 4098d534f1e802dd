"""Moving deadlines: pausing and resuming a case's clock, and re-projecting deadlines when a
calendar changes. Every move is recorded on the case, with the old and new due day and why.

A deadline is always recomputed from its provenance (anchor, count, unit, and every pause it
sat through) on the calendar as it is now, so a pause followed by a calendar change gives the
same day as the other order would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from engine.audit import append_system_event
from engine.clock import local_date
from engine.definition import Unit
from engine.errors import ActorNotPermitted, ContractBroken
from engine.errors import ClockRefused as ClockRefused  # its home before the error tree
from engine.ports import Actor, CaseRecord, DueDate, TimerRecord, UnitOfWork, WorkingCalendar
from engine.provenance import Pause, Provenance
from engine.text import TextRefused, clean
from engine.timers import count_days, due_at

if TYPE_CHECKING:
    from engine.apply import Engine

PAGE = 500


def paused_days(calendar: WorkingCalendar, unit: Unit, start: date, end: date) -> int:
    """How many days of `unit` passed while paused from `start` up to (not including) `end`."""
    if end <= start:
        return 0
    match unit:
        case Unit.CALENDAR_DAYS:
            return (end - start).days
        case Unit.SCHOOL_DAYS:
            return calendar.count_school_days(start - timedelta(days=1), end - timedelta(days=1))
        case Unit.WORKING_DAYS:
            return sum(
                1
                for n in range((end - start).days)
                if calendar.add_working_days(start + timedelta(days=n - 1), 1).day
                == start + timedelta(days=n)
            )


RECOMPUTED = ("due_on", "provisional", "provisional_reason", "calendar", "calendar_hash")
"""The provenance keys a recomputation writes (added at the end when a stored one lacks them)."""


def recompute(timer: TimerRecord, calendar: WorkingCalendar) -> tuple[DueDate, Provenance]:
    """A pending timer's due day from its provenance, on `calendar` as it is now."""
    p = Provenance.from_dict(timer.provenance)
    if p.unit is None or p.anchor is None or p.after is None:
        raise ContractBroken(f"deadline {timer.name}: its provenance lacks unit, anchor or after")
    unit = Unit(p.unit)
    due = count_days(calendar, unit, date.fromisoformat(p.anchor), int(p.after))
    provisional, reason = due.provisional, due.reason
    pauses: list[Pause] = []
    for pause in p.pauses:
        n = paused_days(
            calendar, unit, date.fromisoformat(pause.start), date.fromisoformat(pause.end)
        )
        pauses.append(replace(pause, days=n))
        due = count_days(calendar, unit, due.day, n)
        provisional, reason = provisional or due.provisional, reason or due.reason
    moved = replace(
        p,
        present=(*p.present, *(k for k in RECOMPUTED if k not in p.present)),
        pauses=tuple(pauses),
        due_on=due.day.isoformat(),
        provisional=provisional,
        provisional_reason=reason if provisional else "",
        calendar=calendar.name,
        calendar_hash=calendar.content_hash,
    )
    return DueDate(due.day, provisional, reason), moved


@dataclass
class Moves:
    """What a pause, resume or re-projection moved."""

    cases: int = 0
    moved: list[dict[str, Any]] = field(default_factory=list)


def _check_role(engine: Engine, case: CaseRecord, actor: Actor, what: str) -> None:
    definition = engine.registry.compiled(case.definition_hash).definition
    if actor.role not in definition.pause_roles:
        raise ActorNotPermitted(case.ref, what, actor.role, definition.pause_roles)


def _checked(text: str, what: str, max_length: int, multiline: bool = False) -> str:
    """A reason or note recorded on the case: bounded, no control or invisible characters."""
    try:
        return clean(text, max_length, multiline=multiline)
    except TextRefused as exc:
        raise ClockRefused(f"{what}: {exc}") from None


def pause_clock(engine: Engine, case_id: int, reason: str, actor: Actor) -> CaseRecord:
    """Stop a case's deadlines from running, with a recorded reason."""
    now = engine.clock.now()
    reason = _checked(reason, "--reason", 500)
    with engine.uow() as uow:
        case = uow.get_case(case_id)
        version = case.version
        _check_role(engine, case, actor, "pause_clock")
        if case.closed_at is not None:
            raise ClockRefused(f"Case {case.ref} is closed: there is no clock to pause.")
        if case.paused_since is not None:
            raise ClockRefused(
                f"Case {case.ref}: the clock is already paused since "
                f"{local_date(case.paused_since).isoformat()} because {case.pause_reason}."
            )
        if not reason:
            raise ClockRefused(f"Case {case.ref}: a pause needs a reason (--reason).")
        case.paused_since, case.pause_reason = now, reason
        append_system_event(
            uow, case, "clock_paused", {"reason": reason}, actor.name, actor.role, now
        )
        uow.update_case(case, expected_version=version)
        uow.commit()
    return case


def resume_clock(engine: Engine, case_id: int, actor: Actor, note: str = "") -> Moves:
    """Restart a paused case's deadlines, each shifted by the days it was paused."""
    now = engine.clock.now()
    note = _checked(note, "--note", 2000, multiline=True)
    moves = Moves(cases=1)
    with engine.uow() as uow:
        case = uow.get_case(case_id)
        version = case.version
        _check_role(engine, case, actor, "resume_clock")
        if case.paused_since is None:
            raise ClockRefused(f"Case {case.ref}: the clock is not paused.")
        start, end = local_date(case.paused_since), local_date(now)
        calendar = engine.calendars.for_case(case)
        for timer in uow.pending_timers(case.id):
            if not Provenance.from_dict(timer.provenance).pausable:
                continue  # a date fixed by law: overdue now if it passed while paused
            pauses = [
                *timer.provenance.get("pauses", []),
                {"from": start.isoformat(), "to": end.isoformat()},
            ]
            due, provenance = recompute(_with(timer, pauses=pauses), calendar)
            _move(uow, timer, due, provenance, moves, "clock resumed")
        evidence = {
            "paused_since": start.isoformat(),
            "reason": case.pause_reason or "",
            "note": note,
            "moved": [{k: m[k] for k in ("deadline", "from", "to")} for m in moves.moved],
        }
        case.paused_since, case.pause_reason = None, None
        append_system_event(uow, case, "clock_resumed", evidence, actor.name, actor.role, now)
        uow.update_case(case, expected_version=version)
        uow.commit()
    return moves


def _with(timer: TimerRecord, **changes: Any) -> TimerRecord:
    return TimerRecord(
        **{
            **{f: getattr(timer, f) for f in TimerRecord.__dataclass_fields__},
            "provenance": {**timer.provenance, **changes},
        }
    )


def _move(
    uow: UnitOfWork,
    timer: TimerRecord,
    due: DueDate,
    provenance: Provenance,
    moves: Moves,
    why: str,
) -> None:
    if timer.id is None:
        raise ContractBroken("a stored timer always has an id")
    old = timer.provenance.get("due_on")
    uow.reschedule_timer(timer.id, due_at(provenance, due.day), provenance.as_dict())
    if old != due.day.isoformat():
        moves.moved.append(
            {
                "case_id": timer.case_id,
                "deadline": timer.name,
                "from": old,
                "to": due.day.isoformat(),
                "why": why,
            }
        )


def reproject(engine: Engine, why: str, actor: Actor) -> Moves:
    """Recompute every pending deadline counted on a calendar that has changed since.

    Each case whose deadlines move gets one `deadline_moved` event per moved deadline (old and
    new due day, why, and the calendar hashes); deadlines that keep their day only have their
    provenance refreshed. Streams pending timers in pages: memory does not grow with cases.
    """
    moves = Moves()
    after = 0
    while True:
        with engine.uow() as uow:
            page = uow.pending_timers_after(after, PAGE)
        if not page:
            return moves
        after = page[-1].id or after
        by_case: dict[int, list[TimerRecord]] = defaultdict(list)
        for timer in page:
            by_case[timer.case_id].append(timer)
        for case_id, timers in by_case.items():
            if _reproject_case(engine, case_id, timers, why, actor, moves):
                moves.cases += 1


def _reproject_case(
    engine: Engine,
    case_id: int,
    timers: Sequence[TimerRecord],
    why: str,
    actor: Actor,
    moves: Moves,
) -> bool:
    now = engine.clock.now()
    with engine.uow() as uow:
        case = uow.get_case(case_id)
        version = case.version
        calendar = engine.calendars.for_case(case)
        stale = [
            t
            for t in timers
            if Provenance.from_dict(t.provenance).calendar_hash != calendar.content_hash
        ]
        if not stale:
            return False
        before = len(moves.moved)
        for timer in stale:
            due, provenance = recompute(timer, calendar)
            _move(uow, timer, due, provenance, moves, why)
        for move in moves.moved[before:]:
            old_hash = next(
                t.provenance.get("calendar_hash") for t in stale if t.name == move["deadline"]
            )
            append_system_event(
                uow,
                case,
                "deadline_moved",
                {
                    "deadline": move["deadline"],
                    "from": move["from"],
                    "to": move["to"],
                    "why": why,
                    "calendar": calendar.name,
                    "old_calendar_hash": old_hash,
                    "new_calendar_hash": calendar.content_hash,
                },
                actor.name,
                actor.role,
                now,
            )
        if len(moves.moved) > before:
            uow.update_case(case, expected_version=version)
        uow.commit()
        return len(moves.moved) > before
