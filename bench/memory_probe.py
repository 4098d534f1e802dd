"""A scheduler-like process, run as a subprocess by figure 6: prints its memory as JSON.

    python -m bench.memory_probe DATABASE_URL NOW_ISO

Builds the application, fires every timer due at NOW (Engine.fire_due_timers, the scheduler's
job), reads the caseworker queue's first pages, and sweeps every case id in pages
(storage.queries.case_ids, as a report would). Peak RSS is the kernel's high-water mark
(VmHWM).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

import psutil


def high_water_mark() -> int:
    """Peak RSS of this process image in bytes: VmHWM on Linux (ru_maxrss would also count
    the parent's pages between fork and exec, i.e. the benchmark's own memory)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> None:
    """Run the probe."""
    url, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    from bench.sqlite_figs import make_app
    from storage import queries

    app = make_app(url, now)
    app.engine  # noqa: B018 - build everything a scheduler builds before measuring
    queries.queue(app.db, limit=1)
    start_rss = psutil.Process().memory_info().rss
    t = time.perf_counter()
    report = app.engine.fire_due_timers()
    fire_s = time.perf_counter() - t
    after_fire = psutil.Process().memory_info().rss
    pages = [len(queries.queue(app.db, offset=k * 50)) for k in range(5)]
    after_queue = psutil.Process().memory_info().rss
    swept = sum(1 for _ in queries.case_ids(app.db))
    peak = high_water_mark()
    print(
        json.dumps(
            {
                "start_rss": start_rss,
                "peak_rss": peak,
                "end_rss": psutil.Process().memory_info().rss,
                "after_fire": after_fire,
                "after_queue": after_queue,
                "fired": report.fired,
                "void": report.void,
                "reminders": report.reminders,
                "fire_seconds": fire_s,
                "queue_pages": pages,
                "swept": swept,
            }
        )
    )


if __name__ == "__main__":
    main()
