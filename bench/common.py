"""Shared pieces of the benchmark: settings, figures, timing, machine description."""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
"""The project's root (where `python -m bench` runs)."""

# Monday 3 Nov 2025, 09:00 Europe/London: in Luton's autumn term (tests/support.py START).
START = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)

SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
"""Multiplies every size (cases, timers, events, transitions); 1.0 = the issues' sizes."""

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
"""A PostgreSQL database the benchmark may connect to, to create and drop its scratch one."""

ACTOR_NAME, ACTOR_ROLE = "bench", "cmeo"


@contextlib.contextmanager
def settled(app: Any) -> Iterator[None]:
    """The process as `cme scheduler` and `cme tick` run the engine: templates loaded (the
    first message loads jinja2, once per process) and what start-up built frozen out of the
    garbage collector's way (`cme.console.release_collector`). Unfrozen afterwards."""
    app.engine.renderer.wants("mash_escalation")
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def scaled(n: int, minimum: int = 1) -> int:
    """`n` times BENCH_SCALE, at least `minimum`."""
    return max(minimum, round(n * SCALE))


def log(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Figure:
    """One line of the table and of results.json."""

    name: str
    value: float | None
    unit: str
    baseline: float | None
    baseline_desc: str
    goal: str
    met: bool | None
    note: str = ""
    ratio: float | None = field(default=None)

    def __post_init__(self) -> None:
        if self.ratio is None and self.value is not None and self.baseline:
            self.ratio = self.value / self.baseline

    def as_json(self) -> dict[str, Any]:
        """The results.json form: rounded numbers, the spec's keys first."""
        data = asdict(self)
        for key in ("value", "baseline", "ratio"):
            if isinstance(data[key], float):
                data[key] = float(f"{data[key]:.4g}")
        order = ["name", "value", "unit", "baseline", "ratio", "goal", "met"]
        return {k: data[k] for k in order} | {
            "baseline_desc": self.baseline_desc,
            "note": self.note,
        }


class Timer:
    """Collects durations (seconds) of repeated operations."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    @contextlib.contextmanager
    def measure(self) -> Iterator[None]:
        """Time the block."""
        t = time.perf_counter()
        yield
        self.samples.append(time.perf_counter() - t)

    @property
    def total(self) -> float:
        """Sum of the samples."""
        return sum(self.samples)

    def rate(self) -> float:
        """Operations per second over the samples."""
        return len(self.samples) / self.total if self.samples else 0.0

    def pct(self, p: float) -> float:
        """The p-th percentile (0..100), seconds."""
        return percentile(self.samples, p)


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile of `samples` (0..100)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def median_time(fn: Callable[[], Any], repeat: int, warmup: int = 2, budget: float = 8.0) -> float:
    """Median wall time of `fn()` in seconds: `repeat` runs, or fewer (at least 3) once
    `budget` seconds are spent."""
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    deadline = time.perf_counter() + budget
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
        if len(samples) >= 3 and t > deadline:
            break
    return statistics.median(samples)


def machine(pg_version: str | None) -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "python": sys.version.split()[0],
        "sqlite version": sqlite3.sqlite_version,
        "postgres version": pg_version or "not reachable",
        "os": platform.platform(),
        "load average at start": [round(x, 2) for x in os.getloadavg()],
        "bench scale": SCALE,
    }
