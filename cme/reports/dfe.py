"""The DfE's termly CME return (LAW.md, "DfE guidance, September 2025, and the termly return"),
and the register of open cases.

The return counts **children**, not cases: a child with two cases (two episodes) counts once,
identified by UPN, else by forename, surname and date of birth together (case-folded), else
(no date of birth) by the child record alone. A child's sex, date of birth and first day
missing come from the child record and the referral of their lowest-numbered case open on the
census date. Rounding, when asked, is the DfE's for LA figures: to the nearest 10, halves up.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from cme.reports.figures import UNRECORDED, risk_of
from cme.reports.history import PAUSED, RESUMED, History, children, states_at, workers_at
from engine.clock import local_date, start_of_local_day
from engine.ports import case_ref
from workflows.dfe_return import UNKNOWN, Collection, previous_year

SEXES = ("female", "male", UNKNOWN)
YEAR_GROUPS = ("reception", *(f"year_{n}" for n in range(1, 12)), UNKNOWN)


def nc_year_group(born: date | None, academic_start: date) -> str:
    """The National Curriculum year group in the academic year starting `academic_start`:
    by age on 31 August before it (4: reception, 5: year 1, ... 15: year 11)."""
    if born is None:
        return UNKNOWN
    cutoff = academic_start - timedelta(days=1)
    age = cutoff.year - born.year - ((cutoff.month, cutoff.day) < (born.month, born.day))
    if age == 4:
        return "reception"
    if 5 <= age <= 15:
        return f"year_{age - 4}"
    return UNKNOWN


def rounded(n: int) -> int:
    """To the nearest 10, halves up (the DfE's rounding of LA figures, LAW.md)."""
    return (n + 5) // 10 * 10


def _born(details: dict[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(details.get("date_of_birth")))
    except ValueError:
        return None


def _identity(child_id: int | None, upn: str | None, details: dict[str, Any]) -> str:
    if upn:
        return "upn:" + upn.strip().upper()
    born = details.get("date_of_birth")
    names = [str(details.get(k) or "").strip().casefold() for k in ("forename", "surname")]
    if born and all(names):
        return f"name:{names[0]}|{names[1]}|{born}"
    return f"child:{child_id}"


def _children_of(history: History, db: Any, case_ids: list[int]) -> dict[str, int]:
    """identity -> the lowest-numbered of `case_ids` for that child."""
    wanted = [history.openings[c].child_id for c in case_ids]
    found = children(db, [c for c in wanted if c is not None])
    first: dict[str, int] = {}
    for cid in sorted(case_ids):
        child = history.openings[cid].child_id
        upn, details = found.get(child, (None, {})) if child is not None else (None, {})
        first.setdefault(_identity(child, upn, details), cid)
    return first


def dfe_return(
    history: History,
    db: Any,
    collection: Collection,
    term: str,
    census: date,
    round_figures: bool,
) -> dict[str, Any]:
    """The return's figures on `census` (as at the end of that day)."""
    at = start_of_local_day(census + timedelta(days=1))
    open_ids = history.open_at(at)
    per_child = _children_of(history, db, open_ids)
    cases = sorted(per_child.values())
    info = children(db, [c for i in cases if (c := history.openings[i].child_id) is not None])
    reasons = history.reason_at(at)
    sex, year_group, band, reason = Counter[str](), Counter[str](), Counter[str](), Counter[str]()
    for cid in cases:
        opening = history.openings[cid]
        _, details = info.get(opening.child_id or -1, (None, {}))
        gender = details.get("gender")
        sex[gender if gender in ("female", "male") else UNKNOWN] += 1
        year_group[nc_year_group(_born(details), collection.start)] += 1
        since = opening.missing_since
        days = (census - date.fromisoformat(since)).days if since else None
        band[collection.band_for(days)] += 1
        reason[reasons.get(cid, UNRECORDED)] += 1
    prior = previous_year(collection.year)
    first = date(int(prior[:4]), 9, 1)
    p_start, p_end = start_of_local_day(first), start_of_local_day(date(first.year + 1, 9, 1))
    spans = history.open_intervals()
    in_prior = [
        cid
        for cid, runs in spans.items()
        if any(a < p_end and (b is None or b > p_start) for a, b in runs)
    ]
    fig = rounded if round_figures else (lambda n: n)
    bands = [b.code for b in collection.bands] + [UNKNOWN]
    reason_codes = [*collection.reasons, UNRECORDED]
    return {
        "collection_year": collection.year,
        "term": term,
        "census_date": census.isoformat(),
        "deadline": collection.deadlines[term].isoformat(),
        "rounded": "nearest 10, halves up (DfE, LA figures)" if round_figures else "unrounded",
        "missing_on_census_date": fig(len(cases)),
        "by_sex": {k: fig(sex.get(k, 0)) for k in SEXES},
        "by_year_group": {k: fig(year_group.get(k, 0)) for k in YEAR_GROUPS},
        "by_length_missing": {k: fig(band.get(k, 0)) for k in bands},
        "by_primary_reason": {k: fig(reason.get(k, 0)) for k in reason_codes},
        "missing_in_previous_academic_year": {
            "academic_year": prior,
            "children": fig(len(_children_of(history, db, in_prior))),
        },
        "cases_without_primary_reason": [case_ref(c) for c in open_ids if c not in reasons],
        "reason_titles": dict(collection.reasons),
        "band_titles": {b.code: b.title for b in collection.bands},
        "unknown_reason_codes": sorted(set(reason) - set(reason_codes)),
    }


def register(history: History, db: Any, at: datetime) -> dict[str, Any]:
    """Every case open at `at`, with the child's details: personal data (access-logged)."""
    ids = history.open_at(at)
    states = states_at(db, ids, at)
    workers = workers_at(db, ids, at)
    flags = history.flags_at(at)
    reasons = history.reason_at(at)
    pauses = history.last_of([PAUSED, RESUMED], at)
    info = children(db, [c for i in ids if (c := history.openings[i].child_id) is not None])
    rows = []
    for cid in ids:
        opening = history.openings[cid]
        upn, details = info.get(opening.child_id or -1, (None, {}))
        paused = pauses.get(cid)
        is_paused = paused is not None and paused.trigger == PAUSED
        rows.append(
            {
                "case": case_ref(cid),
                "case_id": cid,
                "route": opening.workflow,
                "state": states.get(cid, "unknown"),
                "risk": risk_of(flags.get(cid, [])),
                "opened_on": local_date(opening.at).isoformat(),
                "forename": details.get("forename"),
                "surname": details.get("surname"),
                "date_of_birth": details.get("date_of_birth"),
                "upn": upn,
                "missing_since": opening.missing_since,
                "primary_reason": reasons.get(cid, UNRECORDED),
                "paused_since": local_date(paused.at).isoformat()
                if is_paused and paused
                else None,
                "pause_reason": paused.detail if is_paused and paused else None,
                "last_worked_by": workers.get(cid, "unassigned"),
            }
        )
    return {
        "open_cases": len(rows),
        "by_state": dict(sorted(Counter(r["state"] for r in rows).items())),
        "cases": rows,
    }
