"""Profile one hot path with pyinstrument (a dev tool: `pip install pyinstrument`).

    python -m bench.profile apply|catchup|verify|poll|show [N]

Seeds a small SQLite file the way the benchmark does, runs the path under pyinstrument and
prints the call tree (time spent, slowest first). Not part of `make bench`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import seed
from bench.common import START
from bench.sqlite_figs import RISK_UPDATE, actor, make_app


def _seeded(workdir: Path, n: int, profile: str, high_every: int, now: Any = None) -> Any:
    path = workdir / f"{profile}.db"
    app = make_app(f"sqlite:///{path}")
    templates = seed.build_templates(app, high_every=high_every)
    app.db.dispose()
    seed.seed_sqlite(str(path), templates, n, profile)
    if now is not None:
        app = make_app(f"sqlite:///{path}", now)
    return app, path


def main() -> None:
    """Run one path under the profiler."""
    from pyinstrument import Profiler  # type: ignore[import-not-found, unused-ignore]

    what = sys.argv[1] if len(sys.argv) > 1 else "apply"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    with tempfile.TemporaryDirectory(prefix="cme-profile-") as tmp:
        workdir = Path(tmp)
        if what == "apply":
            app, _ = _seeded(workdir, n, "open", 10)
            who = actor()
            app.engine.apply(1, "update_risk", RISK_UPDATE, who)

            def run() -> None:
                for case_id in range(2, min(n, 300)):
                    app.engine.apply(case_id, "update_risk", RISK_UPDATE, who)

        elif what == "catchup":
            app, _ = _seeded(workdir, n, "catchup", 1)
            app.clock.set(START + seed.CATCHUP_STEP * n)

            def run() -> None:
                app.engine.fire_due_timers(batch=1000)

        elif what == "verify":
            from bench.sqlite_figs import verify

            app, path = _seeded(workdir, n, "poll", 10)

            def run() -> None:
                verify(app, str(path), n, 60.0)

        elif what == "poll":
            from storage.unit_of_work import SqlUnitOfWork

            app, _ = _seeded(workdir, n, "poll", 10)

            def run() -> None:
                with SqlUnitOfWork(app.db) as uow:
                    for _ in range(200):
                        uow.claim_due_timers(seed.poll_due(100), 500)

        else:
            raise SystemExit("what: apply | catchup | verify | poll")
        profiler = Profiler(interval=0.0005)
        profiler.start()
        run()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
