"""`python -m bench` (`make bench`): every figure of issues 3, 5 and 7 beside its baseline.

Prints one table and writes bench/results.json. Sizes follow BENCH_SCALE (default 1.0: the
issues' sizes). Scratch files go to a temporary folder (BENCH_DIR to choose where), removed at
the end; PostgreSQL figures use a scratch database next to BENCH_PG_URL's, dropped at the end.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import seed
from bench.common import ROOT, SCALE, START, Figure, log, machine, scaled

RESULTS = Path(__file__).parent / "results.json"
PARTS = os.environ.get("BENCH_PARTS", "")
"""Comma-separated parts to run (open, catchup, interop, big, reports, postgres, web); empty:
all. With only some, results.json is not rewritten."""

SIZES = {
    "open_cases": scaled(100_000),  # figures 1, 3, 5, 7 (and PostgreSQL 3, 5, 8)
    "transitions": scaled(1_000, 100),  # figure 1/3 per side
    "catchup": scaled(10_000, 1_000),  # figure 2 (issue 3: 10,000 due timers)
    "big": scaled(1_000_000, 10_000),  # figures 4, 6, 9: cases = timers = events
    "memory_due": scaled(2_000, 200),  # figure 6: timers fired by the scheduler process
    "replay_events": 200,
    "register_rows": scaled(10_000, 1_000),  # figure 10 (issue 17)
}
BUDGET = 45.0
"""Seconds at most for each one-by-one comparison (figure 1/3)."""
CATCHUP_BUDGET = 60.0
"""Seconds at most spent firing (figure 2), checked between passes of 1000."""
VERIFY_BUDGET = 60.0
"""Seconds at most for walking chains (figure 9): the rate is what is reported."""


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of a file."""
    return f"sqlite:///{path}"


class Run:
    """Collects figures; a failing part records its error and the run goes on."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.errors: list[str] = []

    def part(self, title: str, fn: Callable[[], list[Figure]]) -> None:
        """Run one part of the benchmark."""
        log(title)
        t = time.perf_counter()
        try:
            self.figures.extend(fn())
        except Exception as exc:  # noqa: BLE001 - one broken figure must not hide the others
            traceback.print_exc()
            self.errors.append(f"{title}: {exc!r}")
            self.figures.append(Figure(title, None, "", None, "", "", False, f"failed: {exc!r}"))
        log(f"  {time.perf_counter() - t:.1f} s")


def fresh_db(workdir: Path, name: str) -> Path:
    """A new SQLite file path."""
    path = workdir / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def seeded_sqlite(
    workdir: Path, name: str, n: int, profile: str, high_every: int, **recipients: str
) -> Any:
    """An app on a new SQLite file holding n seeded cases (`recipients`: addresses)."""
    from bench.sqlite_figs import make_app

    path = fresh_db(workdir, name)
    app = make_app(sqlite_url(path), **recipients)
    templates = seed.build_templates(app, high_every=high_every)
    app.db.dispose()  # the seeder wants the file to itself
    t = time.perf_counter()
    timers = seed.seed_sqlite(str(path), templates, n, profile)
    size = path.stat().st_size / 2**20
    log(
        f"  seeded {n:,} cases, {timers:,} timers in {time.perf_counter() - t:.0f} s "
        f"({size:.0f} MiB)"
    )
    return app, path


def drop_db(app: Any, path: Path) -> None:
    """Close and delete a SQLite file."""
    app.db.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def part_open_cases(run: Run, workdir: Path) -> None:
    """Figures 5, 7, 1 and 3 on SQLite with 100,000 open cases."""
    from bench import cli_figs, sqlite_figs

    n = SIZES["open_cases"]
    app, path = seeded_sqlite(workdir, "open", n, "open", 10)
    run.part("5. queue (SQLite)", lambda: sqlite_figs.queue(app, str(path), n))
    run.part("7. CLI wall time", lambda: cli_figs.cli(str(path), n // 2, workdir))
    run.part(
        "1 + 3. one transition per transaction (SQLite)",
        lambda: sqlite_figs.transitions_one_by_one(
            app, str(path), n, SIZES["transitions"], BUDGET
        ),
    )
    drop_db(app, path)


def part_web(run: Run, workdir: Path) -> None:
    """Figures 12 and 13 (issue 15): the work list and case pages over HTTP, 100,000 open
    cases on SQLite."""
    from bench import web_figs

    n = SIZES["open_cases"]
    app, path = seeded_sqlite(workdir, "web", n, "open", 10)
    run.part(
        "12 + 13. web pages over HTTP (SQLite)", lambda: web_figs.pages(app, str(path), n, workdir)
    )
    drop_db(app, path)


def part_catch_up(run: Run, workdir: Path) -> None:
    """Figure 2 (and the 200-event replay, on the same file), then 2b on a file of its own."""
    from bench import sqlite_figs

    n = SIZES["catchup"]
    app, path = seeded_sqlite(workdir, "catchup", n, "catchup", 1)
    run.part(
        "2. timer catch-up (SQLite)",
        lambda: sqlite_figs.catch_up(app, str(path), n, CATCHUP_BUDGET),
    )
    run.part(
        "9. replay",
        lambda: sqlite_figs.replay_case(app, str(path), SIZES["replay_events"]),
    )
    drop_db(app, path)
    app, path = seeded_sqlite(
        workdir, "catchup-addressed", n, "catchup", 1, **sqlite_figs.RECIPIENTS
    )
    run.part(
        "2b. timer catch-up, recipients configured (SQLite)",
        lambda: sqlite_figs.catch_up(app, str(path), n, CATCHUP_BUDGET, configured=True),
    )
    drop_db(app, path)


def part_big(run: Run, workdir: Path) -> None:
    """Figures 4, 9 (verify) and 6 on 1,000,000 cases, timers and events."""
    from bench import sqlite_figs

    n = SIZES["big"]
    app, path = seeded_sqlite(workdir, "big", n, "poll", 10)
    run.part("4. due-timer poll (SQLite)", lambda: sqlite_figs.poll(app, str(path), n))
    run.part(
        "9. audit verify (SQLite)",
        lambda: sqlite_figs.verify(app, str(path), n, VERIFY_BUDGET),
    )
    app.db.dispose()
    run.part("6. scheduler memory", lambda: memory(path, n))
    drop_db(app, path)


def part_interop(run: Run, workdir: Path) -> None:
    """Figure 10: a register CSV imported (issue 17)."""
    from bench import interop_figs

    run.part(
        "10. register import (SQLite)",
        lambda: interop_figs.register_import(workdir, SIZES["register_rows"]),
    )


def part_reports(run: Run, workdir: Path) -> None:
    """Figure 11: the monthly report and the DfE return over 100,000 cases, 2,000,000 events."""
    from bench import report_figs

    run.part("11. reports (SQLite)", lambda: report_figs.reports(workdir))


def memory(path: Path, n: int) -> list[Figure]:
    """Figure 6: a scheduler-like process over n cases fires the timers due and reads."""
    due = SIZES["memory_due"]
    now = seed.poll_due(due)
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory_probe", sqlite_url(path), now.isoformat()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=400,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-800:])
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    peak, start = probe["peak_rss"] / 2**20, probe["start_rss"] / 2**20
    return [
        Figure(
            f"6. scheduler process peak RSS, {n:,} cases",
            peak,
            "MiB",
            start,
            "the same process after start-up (app built, schema checked)",
            "<= 200 MB",
            peak * 2**20 <= 200e6,
            f"fired {probe['fired']:,} ({probe['reminders']:,} of them reminders, "
            f"{probe['void']} void) "
            f"of {due:,} due in {probe['fire_seconds']:.1f} s, 5 queue pages, "
            f"swept {probe['swept']:,} case ids; RSS after firing "
            f"{probe['after_fire'] / 2**20:.0f}, after queue "
            f"{probe['after_queue'] / 2**20:.0f}, at end "
            f"{probe['end_rss'] / 2**20:.0f} MiB",
        )
    ]


def part_postgres(run: Run, workdir: Path, holder: dict[str, Any]) -> None:
    """Figures 3 and 5 on PostgreSQL with 100,000 open cases, and 8."""
    from bench import pg_figs, sqlite_figs

    try:
        scratch = pg_figs.Scratch()
    except Exception as exc:  # noqa: BLE001 - no server: say so in the table
        run.errors.append(f"PostgreSQL not reachable: {exc!r}")
        run.figures.append(
            Figure("PostgreSQL figures (3, 5, 8)", None, "", None, "", "", False, repr(exc))
        )
        return
    holder["pg_version"] = scratch.version
    holder["pg_settings"] = scratch.settings
    try:
        n = SIZES["open_cases"]
        app = sqlite_figs.make_app(scratch.url)
        templates = seed.build_templates(app, high_every=10)
        t = time.perf_counter()
        pg_figs.seed_parallel(scratch.url, templates, n, "open")
        log(f"  seeded {n:,} cases in PostgreSQL in {time.perf_counter() - t:.0f} s")
        run.part(
            "5. queue (PostgreSQL)", lambda: sqlite_figs.queue(app, scratch.url, n, "PostgreSQL")
        )
        count = SIZES["transitions"]
        reserved = n // 5
        ids = random.Random(3).sample(range(1, reserved + 1), min(reserved, 2 * count + 20))
        run.part(
            "3. latency (PostgreSQL)",
            lambda: pg_figs.latency(app, scratch.url, n, ids, count, BUDGET),
        )
        app.db.dispose()
        run.part(
            "8. worker scaling (PostgreSQL)", lambda: pg_figs.scaling(scratch.url, reserved + 1, n)
        )
    finally:
        scratch.drop()


def fmt(value: float | None) -> str:
    """A number for the table."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(figures: list[Figure]) -> str:
    """The figures as one text table."""
    rows = [("figure", "value", "unit", "baseline", "ratio", "goal", "met")]
    for f in figures:
        met = "-" if f.met is None else ("yes" if f.met else "NO")
        rows.append((f.name, fmt(f.value), f.unit, fmt(f.baseline), fmt(f.ratio), f.goal, met))
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = []
    for i, r in enumerate(rows):
        cells = [
            c.ljust(w) if k in (0, 2, 5) else c.rjust(w)
            for k, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    """Run every part, print the table, write results.json."""
    started = time.perf_counter()
    holder: dict[str, Any] = {}
    machine_before = machine(None)
    workdir = Path(tempfile.mkdtemp(prefix="cme-bench-", dir=os.environ.get("BENCH_DIR")))
    log(f"scale {SCALE}, sizes {SIZES}, scratch {workdir}, clock {START.isoformat()}")
    run = Run()
    parts: dict[str, Callable[[], None]] = {
        "open": lambda: part_open_cases(run, workdir),
        "catchup": lambda: part_catch_up(run, workdir),
        "interop": lambda: part_interop(run, workdir),
        "big": lambda: part_big(run, workdir),
        "reports": lambda: part_reports(run, workdir),
        "postgres": lambda: part_postgres(run, workdir, holder),
        "web": lambda: part_web(run, workdir),
    }
    chosen = [p.strip() for p in PARTS.split(",")] if PARTS else list(parts)
    unknown = [p for p in chosen if p not in parts]
    if unknown:
        raise SystemExit(f"BENCH_PARTS: unknown {unknown} (known: {', '.join(parts)})")
    try:
        for name in chosen:
            parts[name]()
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - started
    info = machine_before | {
        "postgres version": holder.get("pg_version", "not reachable"),
        "postgres settings": holder.get("pg_settings", {}),
        "load average at end": [round(x, 2) for x in os.getloadavg()],
    }
    print()
    print(table(run.figures))
    print()
    print(f"{len(run.figures)} figures in {elapsed:.0f} s; scale {SCALE}; sizes {SIZES}")
    print(f"machine: {json.dumps(info)}")
    for f in run.figures:
        if f.note:
            print(f"- {f.name}: {f.note}")
    for error in run.errors:
        print(f"ERROR {error}")
    if PARTS:
        print(f"BENCH_PARTS={PARTS}: some parts only, {RESULTS.name} left as it was")
        return
    RESULTS.write_text(
        json.dumps(
            {
                "machine": info,
                "elapsed_seconds": round(elapsed, 1),
                "scale": SCALE,
                "sizes": SIZES,
                "figures": [f.as_json() for f in run.figures],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
