"""Worker processes for the reliability tests, run as `python -m tests.reliability.worker`.

    crash URL TARGET           open cases and toggle their risk flags, TARGET transitions in
                               all; after each commit print "case_id version" and flush (the
                               parent SIGKILLs this process at a random moment)
    zygote URL TARGET          build the app once; for each "go" line on stdin fork a child
                               that prints "started PID" and runs `crash`, wait for it, print
                               "exit PID STATUS" (restarts in milliseconds, not seconds)
    seed URL N                 open N cases (no notifications rendered), print the first id
    load URL FIRST N OPS SEED  OPS applies to random cases among FIRST..FIRST+N-1, each with
                               the version read just before; print one JSON report

Every transition goes through the real `Engine` on the real database (tests.support.make_app,
its fake clock fixed on Mon 3 Nov 2025, inside Luton's autumn term).
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from typing import Any

from engine import Actor
from engine.errors import ConcurrentUpdate, TransitionRefused
from tests.support import make_app, school_referral

CASEWORKER = Actor("load.tester", "caseworker")
FLAGS = ("runaway", "ehc_plan")


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def crash(url: str, target: int, application: Any = None) -> None:
    """Apply `target` transitions, reporting each commit; a new case every 50."""
    application = application or make_app(url)
    engine = application.engine
    case_id, done = 0, 0
    while done < target:
        if done % 50 == 0:
            applied = engine.open_case("school-referral", school_referral(), CASEWORKER)
            case_id = applied.case.id
        else:
            flag = FLAGS[done % 2]
            applied = engine.apply(case_id, "update_risk", {"risk_flags": flag}, CASEWORKER)
        _out(f"{case_id} {applied.case.version}")
        done += 1


def zygote(url: str, target: int) -> None:
    """Fork a fresh crash worker per "go" line; report how each one ended."""
    import os

    application = make_app(url)
    application.engine  # noqa: B018 - build the engine, its registry and calendars once
    application.db.dispose()
    for command in sys.stdin:
        if command.strip() != "go":
            break
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the child: no connection of the parent's is reused
            application.db.dispose(close=False)
            _out(f"started {os.getpid()}")
            finished = False
            try:
                crash(url, target, application)
                finished = True
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(0 if finished else 3)
        _, status = os.waitpid(pid, 0)
        _out(f"exit {pid} {os.waitstatus_to_exitcode(status)}")


def _quiet_engine(url: str) -> Any:
    """The app's engine without a renderer: opening renders no notification (faster seeding)."""
    from engine import Engine

    application = make_app(url)
    real = application.engine
    return application, Engine(
        real.uow, real.clock, real.registry, real.rules, real.calendars, settings=real.settings
    )


def seed(url: str, n: int) -> None:
    """Open `n` cases: the first through the real engine, the rest as exact copies of it.

    Each copy gets its own ids and its own freshly sealed opening event (the hash covers the
    case id), so every chain verifies as if `open_case` had written it; only the opening
    notification and timers are left out, which the load test does not touch. Opening 2,000
    cases one by one would take the test's whole time budget.
    """
    from sqlalchemy import insert, select, text

    from engine.audit import seal
    from storage.tables import case_table, child_table, event_table
    from storage.unit_of_work import event_params

    application, engine = _quiet_engine(url)
    first = engine.open_case("school-referral", school_referral(), CASEWORKER).case.id
    db = application.db
    with db.begin() as conn:
        written = [c for c in case_table.columns if c.computed is None]  # not school_id
        case = dict(conn.execute(select(*written).where(case_table.c.id == first)).one()._mapping)
        child = dict(
            conn.execute(select(child_table).where(child_table.c.id == case["child_id"]))
            .one()
            ._mapping
        )
        opening = conn.execute(select(event_table).where(event_table.c.case_id == first)).one()
        children, cases, events = [], [], []
        for case_id in range(first + 1, first + n):
            child_id = child["id"] + case_id - first
            event = seal(
                case_id=case_id,
                seq=1,
                trigger=opening.trigger,
                from_state=opening.from_state,
                to_state=opening.to_state,
                actor=opening.actor,
                role=opening.role,
                at=opening.at,
                evidence=opening.evidence,
                prev_hash=opening.prev_hash,
            )
            children.append({**child, "id": child_id})
            cases.append({**case, "id": case_id, "child_id": child_id, "head_hash": event.hash})
            events.append(event_params(event))  # as the unit of work writes it, body included
        if cases:
            conn.execute(insert(child_table), children)
            conn.execute(insert(case_table), cases)
            conn.execute(insert(event_table), events)
        if db.dialect.name == "postgresql":
            for table in ("child", "case", "event"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608 - fixed names
                        f'(SELECT max(id) FROM "{table}"))'
                    )
                )
    db.dispose()
    _out(str(first))


def load(url: str, first: int, n: int, ops: int, seed_value: int) -> None:
    """`ops` applies on random cases (a fifth of them on ten hot cases, to provoke conflicts)."""
    rng = random.Random(seed_value)
    application, engine = _quiet_engine(url)
    applied: Counter[int] = Counter()
    outcomes: Counter[str] = Counter()
    errors: list[str] = []
    conflict_messages: list[str] = []
    for _ in range(ops):
        if rng.random() < 0.2:
            case_id = first + rng.randrange(min(10, n))
        else:
            case_id = first + rng.randrange(n)
        try:
            case = engine.get(case_id)
            if case.state == "received" and rng.random() < 0.5:
                trigger, evidence = "begin_enquiries", {}
            else:
                flags = case.facts.get("risk_flags") or []
                flag = FLAGS[0] if FLAGS[0] not in flags else FLAGS[1]
                trigger, evidence = "update_risk", {"risk_flags": flag}
            engine.apply(case_id, trigger, evidence, CASEWORKER, expected_version=case.version)
        except ConcurrentUpdate as exc:
            outcomes["conflict"] += 1
            if len(conflict_messages) < 1000:
                conflict_messages.append(str(exc))
        except TransitionRefused as exc:
            outcomes["refused"] += 1
            errors.append(f"refused: {exc}")
        except Exception as exc:  # noqa: BLE001 - every other failure is reported to the test
            kind = "locked" if "database is locked" in str(exc) else "error"
            outcomes[kind] += 1
            if len(errors) < 20:
                errors.append(f"{type(exc).__name__}: {str(exc)[:300]}")
        else:
            applied[case_id] += 1
            outcomes["applied"] += 1
    application.db.dispose()
    _out(
        json.dumps(
            {
                "applied": {str(k): v for k, v in applied.items()},
                "outcomes": dict(outcomes),
                "errors": errors,
                "conflict_messages": conflict_messages,
            }
        )
    )


def main(argv: list[str]) -> None:
    """Dispatch on the first argument."""
    mode, url, *rest = argv
    if mode == "crash":
        crash(url, int(rest[0]))
    elif mode == "zygote":
        zygote(url, int(rest[0]))
    elif mode == "seed":
        seed(url, int(rest[0]))
    elif mode == "load":
        load(url, int(rest[0]), int(rest[1]), int(rest[2]), int(rest[3]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
