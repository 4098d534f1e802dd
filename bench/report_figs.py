"""Figure 11 (issue 16): the monthly report and the DfE return over 100,000 cases and
2,000,000 events on SQLite, each within 5 s, beside one bare SQL aggregate pass over the same
tables.

The rows are written in bulk (`executemany`, one transaction) after the application created the
schema: 100,000 cases opened over the twelve months before the clock, 20 events each (opening,
enquiries, visits; every 5th case escalated to MASH and acknowledged, every 7th paused, every
case closed but every 20th: an authority holds about 250 open cases beside 1,000 a year, LAW.md),
one four-week notice timer per case. Chains are not sealed: the reports read
the log, they do not verify it (figure 9 measures verifying).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import START, Figure, log, scaled

CASES = scaled(100_000, 1_000)
EVENTS_PER_CASE = 20
GOAL = 5.0
REASONS = ("application_awaiting_outcome", "moved_abroad_believed", "other", None)
STATES = ("enquiries", "home_visit_1", "home_visit_2", "home_visit_3", "housing_check")


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _case_events(cid: int, opened: datetime, rng: random.Random) -> list[tuple[Any, ...]]:
    """(case_id, seq, trigger, from, to, actor, role, at, evidence) for one case."""
    rows: list[tuple[Any, ...]] = []
    reason = REASONS[cid % len(REASONS)]
    facts: dict[str, Any] = {"risk_flags": ["runaway"] if cid % 10 == 0 else []}
    facts["first_absence_date"] = (opened - timedelta(days=14)).date().isoformat()
    if reason:
        facts["primary_reason"] = reason
    at, seq = opened, 1
    rows.append((cid, 1, "open_case", "", "received", "Ann", "cmeo", at, {"facts": facts}))
    plan: list[tuple[str, str, str, dict[str, Any]]] = [
        ("begin_enquiries", "received", "enquiries", {})
    ]
    if cid % 5 == 0:
        plan += [
            ("raise_concern", "enquiries", "escalated_to_mash", {"concern": "x"}),
            ("mash_acknowledged", "escalated_to_mash", "with_mash", {"acknowledged_by": "M"}),
            ("return_from_mash", "with_mash", "enquiries", {}),
        ]
    if cid % 7 == 0:
        plan += [("clock_paused", "enquiries", "enquiries", {"reason": "awaiting police"})]
    fillers = EVENTS_PER_CASE - 1 - len(plan) - (0 if cid % 20 == 0 else 1)
    plan += [("record_enquiry", "enquiries", "enquiries", {"summary": "no answer"})] * fillers
    if cid % 20:
        plan += [("close_case", "enquiries", "closed", {"case_outcome": "not_cme"})]
    for trigger, source, target, evidence in plan:
        seq += 1
        at += timedelta(hours=rng.randint(2, 40))
        rows.append((cid, seq, trigger, source, target, "Cal", "caseworker", at, evidence))
    return rows


def seed(path: Path, cases: int = CASES) -> int:
    """Write `cases` cases and their events and timers; return the number of events."""
    rng = random.Random(16)
    first = START - timedelta(days=365)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    events = 0
    with conn:
        conn.executemany(
            "INSERT INTO child (id, upn, details) VALUES (?, ?, ?)",
            (
                (
                    i,
                    f"A821{i:09d}" if i % 2 else None,
                    json.dumps(
                        {
                            "forename": f"F{i}",
                            "surname": f"S{i}",
                            "date_of_birth": f"{2010 + i % 8}-0{1 + i % 9}-15",
                            "gender": ("female", "male", "not_known")[i % 3],
                        }
                    ),
                )
                for i in range(1, cases + 1)
            ),
        )
        batch: list[tuple[Any, ...]] = []
        case_rows, timer_rows = [], []
        for cid in range(1, cases + 1):
            opened = first + timedelta(seconds=cid * (330 * 86400) // cases)
            rows = _case_events(cid, opened, rng)
            last = rows[-1]
            closed = last[4] == "closed"
            case_rows.append(
                (
                    cid,
                    "school-referral",
                    "bench",
                    last[4],
                    "standard",
                    len(rows),
                    "{}",
                    cid,
                    _text(opened),
                    _text(last[7]),
                    _text(last[7]),
                    _text(last[7]) if closed else None,
                    "not_cme" if closed else None,
                    "0" * 64,
                )
            )
            due = opened + timedelta(days=14)
            timer_rows.append(
                (
                    cid,
                    "missing_four_weeks",
                    "case",
                    "[]",
                    _text(due),
                    "fired",
                    _text(opened),
                    _text(due + timedelta(hours=cid % 30)),
                    "{}",
                )
            )
            batch += [(*r[:7], _text(r[7]), json.dumps(r[8]), "0" * 64, "0" * 64) for r in rows]
            if len(batch) > 200_000:
                _events(conn, batch)
                events += len(batch)
                batch = []
        _events(conn, batch)
        events += len(batch)
        conn.executemany(
            'INSERT INTO "case" (id, workflow, definition_hash, state, priority, version, facts,'
            " child_id, opened_at, state_entered_at, updated_at, closed_at, outcome, head_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            case_rows,
        )
        conn.executemany(
            "INSERT INTO timer (case_id, name, scope, notify, due_at, status, created_at,"
            " finished_at, provenance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            timer_rows,
        )
    conn.close()
    return events


def _events(conn: sqlite3.Connection, batch: list[tuple[Any, ...]]) -> None:
    conn.executemany(
        "INSERT INTO event (case_id, seq, trigger, from_state, to_state, actor, role, at,"
        " evidence, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        batch,
    )


def bare(path: Path) -> float:
    """One aggregate pass over the same tables, in SQL alone (the baseline)."""
    conn = sqlite3.connect(path)
    t = time.perf_counter()
    conn.execute(
        "SELECT trigger, to_state, count(*), min(at), max(at) FROM event GROUP BY 1, 2"
    ).fetchall()
    conn.execute('SELECT state, count(*) FROM "case" GROUP BY state').fetchall()
    conn.execute("SELECT name, status, count(*) FROM timer GROUP BY 1, 2").fetchall()
    elapsed = time.perf_counter() - t
    conn.close()
    return elapsed


def reports(workdir: Path) -> list[Figure]:
    """Figure 11: seed, then time the monthly report (built and rendered as HTML with its
    charts) and the DfE return (built and rendered as JSON)."""
    from bench.sqlite_figs import make_app
    from cme.reports.render import render
    from cme.services import reports as service
    from cme.services.principal import Principal

    path = workdir / "reports.db"
    app = make_app(f"sqlite:///{path}")
    app.db.dispose()
    t = time.perf_counter()
    events = seed(path)
    log(f"  seeded {CASES:,} cases, {events:,} events in {time.perf_counter() - t:.0f} s")
    baseline = min(bare(path) for _ in range(2))
    who = Principal("bench", "cmeo", "cli")
    t = time.perf_counter()
    monthly = render(service.monthly(app, who, "2025-10"), "html")
    monthly_s = time.perf_counter() - t
    t = time.perf_counter()
    dfe = render(service.dfe_return(app, who, "2025/26", "autumn"), "json")
    dfe_s = time.perf_counter() - t
    log(f"  monthly {len(monthly):,} bytes, DfE return {len(dfe):,} bytes")
    app.db.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    desc = f"one bare SQL aggregate pass over event, case and timer ({events:,} events)"
    size = f"{CASES:,} cases, {events:,} events"
    return [
        Figure(
            "11a. monthly report (SQLite)",
            monthly_s,
            "s",
            baseline,
            desc,
            f"<= {GOAL:g} s",
            monthly_s <= GOAL,
            f"{size}; built and rendered as HTML with four charts",
        ),
        Figure(
            "11b. DfE termly return (SQLite)",
            dfe_s,
            "s",
            baseline,
            desc,
            f"<= {GOAL:g} s",
            dfe_s <= GOAL,
            f"{size}; built and rendered as JSON",
        ),
    ]
