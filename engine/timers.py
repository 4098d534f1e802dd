"""Deadlines: which timers a state starts, when they fall due, and how that was worked out.

Every due time carries its provenance (rule, anchor date, count, calendar name and hash,
provisional or not) so a caseworker and an auditor can see why a deadline is the day it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from engine.clock import START_OF_DAY, WORKING_DAY_STARTS, due_moment, local_date
from engine.definition import TimerDef, Unit, WorkflowDefinition
from engine.ports import CaseRecord, DueDate, TimerRecord, WorkingCalendar
from engine.provenance import WORKFLOW_SCOPE, Provenance, Scope, counted_dict, state_scope


def anchor_of(timer: TimerDef, case: CaseRecord, entered_at: datetime) -> tuple[str, date] | None:
    """What a timer counts from and that day; None when the case lacks every dated fact it
    names (`from: [first_absence_date, leave_end_date]` takes the first the case holds)."""
    if timer.counted_from == "state_entered":
        return timer.counted_from, local_date(entered_at)
    if timer.counted_from == "case_opened":
        return timer.counted_from, local_date(case.opened_at)
    for fact in (timer.counted_from, *timer.counted_from_else):
        value = case.facts.get(fact)
        if value:
            return fact, date.fromisoformat(str(value))
    return None


def anchor_date(timer: TimerDef, case: CaseRecord, entered_at: datetime) -> date | None:
    """The day a timer counts from; None when the case lacks the dated fact it names."""
    found = anchor_of(timer, case, entered_at)
    return None if found is None else found[1]


def days_for(timer: TimerDef, case: CaseRecord, overrides: Mapping[str, int]) -> int:
    """The count that applies: settings override, else the priority-adjusted default."""
    if case.priority == "high" and timer.high_priority_after is not None:
        return overrides.get(f"{timer.name}.high_priority", timer.high_priority_after)
    return overrides.get(timer.name, timer.after)


def count_days(calendar: WorkingCalendar, unit: Unit, anchor: date, days: int) -> DueDate:
    """Add `days` of `unit` to `anchor`."""
    match unit:
        case Unit.SCHOOL_DAYS:
            return calendar.add_school_days(anchor, days)
        case Unit.WORKING_DAYS:
            return calendar.add_working_days(anchor, days)
        case Unit.CALENDAR_DAYS:
            return DueDate(anchor + timedelta(days=days))


def due_time(unit: Unit, working_day_starts: time = WORKING_DAY_STARTS) -> time:
    """The local time a deadline counted in `unit` falls due on its day: the start of the
    working day for working days, midnight for school and calendar days."""
    return working_day_starts if unit is Unit.WORKING_DAYS else START_OF_DAY


def due_at(provenance: Provenance, day: date) -> datetime:
    """The moment a deadline with this provenance falls due on `day` (its stored `due_time`,
    else midnight, as before due times were recorded)."""
    stored = provenance.due_time
    return due_moment(day, time.fromisoformat(stored) if stored else START_OF_DAY)


def project(
    timer: TimerDef,
    scope: str,
    case: CaseRecord,
    entered_at: datetime,
    calendar: WorkingCalendar,
    overrides: Mapping[str, int],
    now: datetime,
    shift_school_days: int = 0,
    working_day_starts: time = WORKING_DAY_STARTS,
) -> TimerRecord | None:
    """The pending timer a state entry starts, or None if its anchor fact is unknown."""
    found = anchor_of(timer, case, entered_at)
    if found is None:
        return None
    counted_from, anchor = found
    days = days_for(timer, case, overrides)
    due = count_days(calendar, timer.unit, anchor, days)
    at = due_time(timer.unit, working_day_starts)
    provenance = counted_dict(
        rule=timer.name,
        title=timer.title,
        after=days,
        unit=timer.unit.value,
        counted_from=counted_from,
        anchor=anchor.isoformat(),
        calendar=calendar.name,
        calendar_hash=calendar.content_hash,
        due_on=due.day.isoformat(),
        provisional=due.provisional,
        provisional_reason=due.reason,
        priority=case.priority,
        condition=timer.when,
        due_time=None if at == START_OF_DAY else _clock_text(at),  # local, on `due_on`
        pausable=timer.pausable,
    )
    return TimerRecord(
        case_id=case.id,
        name=timer.name,
        scope=scope,
        due_at=due_moment(due.day, at),
        trigger=timer.trigger,
        notify=timer.notify,
        provenance=provenance,
        created_at=now,
    )


@lru_cache(maxsize=64)
def _clock_text(at: time) -> str:
    """`HH:MM` of a local due time (kept per time: every working-day deadline has the same)."""
    return at.strftime("%H:%M")


def timers_entering(
    definition: WorkflowDefinition, from_state: str | None, to_state: str
) -> list[tuple[TimerDef, str]]:
    """Timers started by moving from `from_state` (None when opening) into `to_state`."""
    scope = state_scope(to_state)
    started = [(t, scope) for t in definition.timers_of(to_state)]
    for t in definition.timers:
        if to_state in t.while_in and (from_state is None or from_state not in t.while_in):
            started.append((t, WORKFLOW_SCOPE))
    return started


def is_cancelled_by(
    timer: TimerRecord, definition: WorkflowDefinition, from_state: str, to_state: str
) -> bool:
    """Whether moving `from_state` -> `to_state` cancels a pending timer."""
    scope = Scope.parse(timer.scope)
    if scope.state is not None:
        return scope.state == from_state  # leaving the state (a re-entry restarts it too)
    spec = next((t for t in definition.timers if t.name == timer.name), None)
    return spec is None or to_state not in spec.while_in
