"""The service performance figures (the monthly and the annual report), from `History`.

Every figure is a count of cases or of steps, or a median / 90th percentile of whole days or
minutes; the result is plain JSON-ready data whose keys and lists are in a stable order (sorted
by name, or the order named here), so the same history gives the same bytes.

Percentiles: the median is the middle value (the mean of the two middle values when their
number is even); the 90th percentile is the nearest-rank value (the smallest value with at
least 90% of the values at or below it). No personal data: routes, states, reasons, outcomes,
deadlines and the names of staff only.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from cme.reports.history import (
    ESCALATED,
    OTHER_LA,
    PAUSED,
    RESUMED,
    WITH_MASH,
    History,
    states_at,
    timers_between,
    workers_at,
)
from cme.reports.periods import Period
from engine.clock import local_date
from engine.ports import WorkingCalendar
from workflows import triage

UNRECORDED = "unrecorded"
DEADLINES: dict[str, tuple[str, str]] = {
    "missing_four_weeks": ("Four-week notices to the CMEO", "notice"),
    "ctf_upload_due": ("CTF uploads within 15 school days", "deadline"),
    "mash_acknowledgement": ("MASH acknowledgements within a working day", "deadline"),
    "la_confirmation": ("Other-LA confirmations within 20 school days", "deadline"),
}
"""Timer name -> (title, kind). A notice is met when it was sent on its due day (its timer
fired that day) and missed when sent later or never (the case moved on first); a deadline is
met when the step it waits for was taken before it fell due (its timer cancelled in time) and
missed when it fell due first."""
MIGRATED = "migrated to version"


def median(values: Iterable[int]) -> float | int | None:
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    value = (ordered[mid - 1] + ordered[mid]) / 2
    return int(value) if value == int(value) else value


def p90(values: Iterable[int]) -> int | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(0.9 * len(ordered))) - 1]


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def risk_of(flags: list[str]) -> str:
    try:
        return triage.priority(flags)
    except ValueError:
        return "unknown"


def referrals(history: History, period: Period) -> dict[str, Any]:
    """Cases opened in the period, by route and by primary reason (as recorded by its end)."""
    opened = [o for o in history.openings.values() if period.start <= o.at < period.end]
    reasons = history.reason_at(period.end)
    return {
        "total": len(opened),
        "by_route": _counts(o.workflow for o in opened),
        "by_reason": _counts(reasons.get(o.case_id, UNRECORDED) for o in opened),
    }


def open_at_end(history: History, db: Any, period: Period) -> dict[str, Any]:
    """Cases open at the period's end, by state and by risk then."""
    ids = history.open_at(period.end)
    states = states_at(db, ids, period.end)
    flags = history.flags_at(period.end)
    return {
        "total": len(ids),
        "by_state": _counts(states.get(i, "unknown") for i in ids),
        "by_risk": _counts(risk_of(flags.get(i, [])) for i in ids),
    }


def closures(history: History, period: Period, calendar: WorkingCalendar) -> dict[str, Any]:
    """Cases closed in the period: by outcome, and days from opening (or return to work)
    to closure, in calendar and school days."""
    closed = [
        s
        for s in history.steps
        if period.start <= s.at < period.end
        and s.to_state in history.finals
        and s.from_state not in history.finals
    ]
    spans = history.open_intervals()
    calendar_days, school_days = [], []
    for s in closed:
        began = max((a for a, b in spans.get(s.case_id, []) if a <= s.at), default=None)
        if began is None:
            continue
        first, last = local_date(began), local_date(s.at)
        calendar_days.append((last - first).days)
        school_days.append(calendar.count_school_days(first, last))
    return {
        "total": len(closed),
        "by_outcome": _counts(str(s.detail) for s in closed),
        "resolution": {
            "cases": len(calendar_days),
            "calendar_days": {"median": median(calendar_days), "p90": p90(calendar_days)},
            "school_days": {"median": median(school_days), "p90": p90(school_days)},
        },
        "days_to_resolution": sorted(calendar_days),
    }


def deadlines(db: Any, period: Period) -> list[dict[str, Any]]:
    """Each deadline kind: met, missed (in the period) and overdue still open at its end."""
    rows = []
    timers = timers_between(db, list(DEADLINES), period.start, period.end)
    for name, (title, kind) in DEADLINES.items():
        met = missed = overdue = 0
        for t in timers:
            if t.name != name:
                continue
            if t.status == "pending":
                overdue += t.due_at < period.end
                continue
            if t.finished_at is None or not period.start <= t.finished_at < period.end:
                continue
            if t.status == "cancelled" and (t.reason or "").startswith(MIGRATED):
                continue  # the new chart version's timer carries the deadline on
            if kind == "notice":
                if t.status != "fired" and t.finished_at <= t.due_at:
                    continue  # the case moved on before the notice was due: none needed
                on_time = t.status == "fired" and local_date(t.finished_at) <= local_date(t.due_at)
                met += on_time
                missed += not on_time
            elif t.status == "fired" or t.finished_at > t.due_at:
                missed += 1
            else:
                met += 1
        rows.append(
            {
                "deadline": name,
                "title": title,
                "met": met,
                "missed": missed,
                "overdue_open": overdue,
            }
        )
    return rows


def mash(history: History, period: Period) -> dict[str, Any]:
    """Escalations to MASH in the period (by what raised them) and how long MASH took to
    acknowledge (minutes from the escalation to the acknowledgement, those acknowledged in
    the period)."""
    raised = [
        s
        for s in history.steps
        if s.to_state == ESCALATED
        and s.from_state != ESCALATED
        and period.start <= s.at < period.end
    ]
    waits, since = [], {}
    for s in history.steps:
        if s.to_state == ESCALATED and s.from_state != ESCALATED:
            since[s.case_id] = s.at
        elif s.from_state == ESCALATED and s.to_state == WITH_MASH:
            began = since.pop(s.case_id, None)
            if began is not None and period.start <= s.at < period.end:
                waits.append(int((s.at - began).total_seconds() // 60))
    awaiting = sum(1 for at in since.values() if at < period.end)
    return {
        "escalations": len(raised),
        "by_trigger": _counts(s.trigger for s in raised),
        "acknowledged": len(waits),
        "acknowledgement_minutes": {"median": median(waits), "p90": p90(waits)},
        "awaiting_acknowledgement_at_end": awaiting,
    }


def pauses(history: History, period: Period) -> dict[str, Any]:
    """Pauses started and ended in the period, and cases paused at its end. Why each case is
    paused (free text, which may name people) is in the register, not here."""
    started = [
        s for s in history.steps if s.trigger == PAUSED and period.start <= s.at < period.end
    ]
    resumed = [
        s for s in history.steps if s.trigger == RESUMED and period.start <= s.at < period.end
    ]
    last = history.last_of([PAUSED, RESUMED], period.end)
    open_now = set(history.open_at(period.end))
    return {
        "started": len(started),
        "resumed": len(resumed),
        "paused_at_end": sum(1 for c, s in last.items() if s.trigger == PAUSED and c in open_now),
    }


def other_la(states: Mapping[int, str]) -> dict[str, Any]:
    """Children moved to another authority whose education there is not yet confirmed."""
    return {"unconfirmed_at_end": sum(1 for s in states.values() if s == OTHER_LA)}


def caseload(db: Any, ids: list[int], until: datetime) -> dict[str, int]:
    """Open cases per member of staff who last worked on them ("unassigned": nobody yet)."""
    workers = workers_at(db, ids, until)
    return _counts(workers.get(i, "unassigned") for i in ids)


def series(history: History, months: list[Period]) -> dict[str, Any]:
    """Per month: cases open at its end, referrals by route."""
    routes = sorted({o.workflow for o in history.openings.values()})
    starts = [m.start for m in months]
    opened: Counter[tuple[str, str]] = Counter()
    for o in history.openings.values():
        i = bisect_right(starts, o.at) - 1
        if i >= 0 and o.at < months[i].end:
            opened[(months[i].label, o.workflow)] += 1
    counts = history.open_counts([m.end - timedelta(microseconds=1) for m in months])
    rows = [
        {
            "month": m.label,
            "open_at_end": n,
            "referrals": {r: opened.get((m.label, r), 0) for r in routes},
        }
        for m, n in zip(months, counts, strict=True)
    ]
    return {"routes": routes, "months": rows}


def performance(
    history: History, db: Any, period: Period, calendar: WorkingCalendar, months: list[Period]
) -> dict[str, Any]:
    """Every section of the monthly (and annual) report."""
    ids = history.open_at(period.end)
    states = states_at(db, ids, period.end)
    return {
        "referrals": referrals(history, period),
        "open_at_end": open_at_end(history, db, period),
        "closures": closures(history, period, calendar),
        "deadlines": deadlines(db, period),
        "mash": mash(history, period),
        "pauses": pauses(history, period),
        "other_la": other_la(states),
        "caseload": caseload(db, ids, period.end),
        "series": series(history, months),
    }
