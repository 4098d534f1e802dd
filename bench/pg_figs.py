"""Figures on PostgreSQL: latency with 100,000 open cases, the queue, and scaling with workers.

The benchmark creates its own scratch database next to BENCH_PG_URL's and drops it at the end.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import random
import statistics
import threading
import time
from typing import Any

from bench import seed
from bench.bare import BareWriter
from bench.common import PG_ADMIN_URL, START, Figure, log, settled
from bench.sqlite_figs import RISK_UPDATE, actor, compare, make_app

DURATION = float(os.environ.get("BENCH_PG_SECONDS", "4"))
"""Seconds each phase of the worker-scaling run lasts."""


class Scratch:
    """A scratch database on the PostgreSQL server of BENCH_PG_URL."""

    def __init__(self) -> None:
        import psycopg

        self.name = f"cme_bench_{os.getpid()}"
        base, _, _ = PG_ADMIN_URL.rpartition("/")
        self.url = f"{base}/{self.name}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            self.version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
            self.settings = {
                name: str(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
                for name in ("synchronous_commit", "fsync", "shared_buffers", "max_connections")
            }
            conn.execute(f"DROP DATABASE IF EXISTS {self.name}")
            conn.execute(f"CREATE DATABASE {self.name}")

    def drop(self) -> None:
        """Drop the scratch database."""
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (self.name,),
            )
            conn.execute(f"DROP DATABASE IF EXISTS {self.name}")


def seed_parallel(url: str, t: Any, n: int, profile: str) -> None:
    """Seed with two connections (the server does the work; two cores)."""
    errors: list[BaseException] = []

    def run(part: int) -> None:
        try:
            seed.seed_postgres(url, t, n, profile, part=part, parts=2)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    seed.finish_postgres(url)


def latency(
    app: Any, url: str, n_cases: int, ids: list[int], count: int, budget: float
) -> list[Figure]:
    """Figure 3 on PostgreSQL: update_risk through Engine.apply on distinct random cases,
    against bare psycopg (read, UPDATE case, INSERT chained event, commit each)."""
    import psycopg

    from engine.evidence import format_utc

    engine, who = app.engine, actor()
    conn = psycopg.connect(url)
    writer = BareWriter(conn.cursor(), "format", START, format_utc(START))

    def bare_one(case_id: int) -> None:
        writer.step(case_id, "update_risk", None, RISK_UPDATE)
        conn.commit()

    def engine_one(case_id: int) -> None:
        engine.apply(case_id, "update_risk", RISK_UPDATE, who)

    with settled(app):
        eng, base = compare(engine_one, bare_one, ids, count, budget)
    conn.close()
    n = len(eng.samples)
    note = f"{n} transitions each" + ("" if n >= count else f" (time budget hit; asked {count})")
    p99 = eng.pct(99) * 1000
    return [
        Figure(
            f"3. transition latency p50, {n_cases:,} open cases (PostgreSQL)",
            eng.pct(50) * 1000,
            "ms",
            base.pct(50) * 1000,
            "bare psycopg p50",
            "",
            None,
            note,
        ),
        Figure(
            f"3. transition latency p99, {n_cases:,} open cases (PostgreSQL)",
            p99,
            "ms",
            base.pct(99) * 1000,
            "bare psycopg p99",
            "p99 <= 20 ms",
            p99 <= 20,
            note + f"; engine {eng.rate():.0f}/s, bare {base.rate():.0f}/s",
        ),
    ]


PHASES = (1, 4, 1, 4, 1, 4)
"""How many of the worker processes run in each phase: one and four alternate, so that both
see the same load from anything else on the machine."""


def _worker(
    kind: str, url: str, ids: list[int], index: int, barrier: Any, duration: float, out: Any
) -> None:
    """One worker process: warm up, then in each phase it takes part in, apply transitions
    to its own cases for `duration` seconds."""
    try:
        if kind == "engine":
            app = make_app(url)
            engine, who = app.engine, actor()

            def one(case_id: int) -> None:
                engine.apply(case_id, "update_risk", RISK_UPDATE, who)

        else:
            import psycopg

            from engine.evidence import format_utc

            conn = psycopg.connect(url)
            writer = BareWriter(conn.cursor(), "format", START, format_utc(START))

            def one(case_id: int) -> None:
                writer.step(case_id, "update_risk", None, RISK_UPDATE)
                conn.commit()

        todo = itertools.cycle(ids)
        for _ in range(3):
            one(next(todo))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        with contextlib.suppress(Exception):
            barrier.abort()
        out.put((-1, index, 0, 1.0, repr(exc)))
        return
    for phase, taking_part in enumerate(PHASES):
        barrier.wait(timeout=300)
        if index < taking_part:
            t0 = time.perf_counter()
            n = 0
            while time.perf_counter() - t0 < duration:
                one(next(todo))
                n += 1
            out.put((phase, index, n, time.perf_counter() - t0, ""))
        barrier.wait(timeout=300)


def run_workers(kind: str, url: str, slices: list[list[int]]) -> tuple[list[float], list[float]]:
    """Transitions per second with 1 and with 4 processes, per round."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(slices))
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(kind, url, ids, k, barrier, DURATION, out))
        for k, ids in enumerate(slices)
    ]
    for p in procs:
        p.start()
    expected = sum(min(n, len(slices)) for n in PHASES)
    results = []
    for _ in range(expected):
        item = out.get(timeout=600)
        if item[4]:
            raise RuntimeError(f"{kind} worker failed: {item[4]}")
        results.append(item)
    for p in procs:
        p.join(timeout=30)
    by_phase: dict[int, float] = {}
    for phase, _, n, elapsed, _ in results:
        by_phase[phase] = by_phase.get(phase, 0.0) + n / elapsed
    one = [by_phase[p] for p, k in enumerate(PHASES) if k == 1]
    four = [by_phase[p] for p, k in enumerate(PHASES) if k == 4]
    return one, four


def scaling(url: str, first_id: int, last_id: int) -> list[Figure]:
    """Figure 8: transitions/s with 1 and 4 worker processes, each on its own cases, through
    Engine.apply; the same for bare psycopg, to show what the server and machine allow."""
    ids = list(range(first_id, last_id + 1))
    random.Random(8).shuffle(ids)
    size = len(ids) // 8
    parts = [ids[k * size : (k + 1) * size] for k in range(8)]
    rounds = PHASES.count(1)
    log(f"  PostgreSQL: engine, 1 and 4 workers alternately, {rounds} rounds of {DURATION:.0f} s")
    one, four = run_workers("engine", url, parts[:4])
    log("  PostgreSQL: bare psycopg, the same")
    bare_one, bare_four = run_workers("bare", url, parts[4:])
    cores = os.cpu_count()
    e1, e4 = statistics.median(one), statistics.median(four)
    b1, b4 = statistics.median(bare_one), statistics.median(bare_four)

    def rounds_text(values: list[float]) -> str:
        return ", ".join(f"{v:.0f}" for v in values)

    return [
        Figure(
            "8. transitions/s, 1 worker process (PostgreSQL)",
            e1,
            "/s",
            b1,
            "bare psycopg, 1 process",
            "",
            None,
            f"update_risk, each worker on its own cases; median of rounds {rounds_text(one)}",
        ),
        Figure(
            "8. transitions/s, 4 worker processes (PostgreSQL)",
            e4,
            "/s",
            e1,
            "the engine with 1 worker",
            "ratio >= 2.5",
            e4 / e1 >= 2.5 if e1 else False,
            f"rounds {rounds_text(four)}; {cores} cores shared by workers and server",
        ),
        Figure(
            "8. bare psycopg transitions/s, 4 processes (PostgreSQL)",
            b4,
            "/s",
            b1,
            "bare psycopg, 1 process",
            "",
            None,
            f"what server and machine allow (the ceiling of the line above); rounds "
            f"{rounds_text(bare_four)} vs {rounds_text(bare_one)}",
        ),
    ]
