"""Figure 7: `cme --help` and `cme case show ID`, each a new process, wall time."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, Figure

RUNS = 3


def _wall(argv: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, check=False)
    elapsed = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def _median(argv: list[str], env: dict[str, str]) -> float:
    _wall(argv, env)  # prime: the bytecode cache, the page cache
    return statistics.median(_wall(argv, env) for _ in range(RUNS))


def cli(db_path: str, case_id: int, workdir: Path) -> list[Figure]:
    """Median of RUNS cold processes (after one priming run), with a bytecode cache as an
    installed application has one; the same without a cache in the note."""
    python = sys.executable
    cme = str(Path(python).parent / "cme")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {
        "PYTHONPYCACHEPREFIX": str(workdir / "pycache"),
        "CME_DATABASE_URL": f"sqlite:///{db_path}",
    }
    bare_read = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "print(c.execute('SELECT * FROM \"case\" WHERE id = ?', (int(sys.argv[2]),)).fetchall(), "
        "c.execute('SELECT * FROM timer WHERE case_id = ? AND status = \\'pending\\'', "
        "(int(sys.argv[2]),)).fetchall())"
    )
    show = [cme, "case", "show", str(case_id)]
    help_s = _median([cme, "--help"], env)
    show_s = _median(show, env)
    floor = _median([python, "-c", "pass"], env)
    bare_s = _median([python, "-c", bare_read, db_path, str(case_id)], env)
    nocache = env | {"PYTHONDONTWRITEBYTECODE": "1"}
    nocache.pop("PYTHONPYCACHEPREFIX")
    help_nc = _wall([cme, "--help"], nocache)
    show_nc = _wall(show, nocache)
    return [
        Figure(
            "7. `cme --help` wall time, new process",
            help_s,
            "s",
            floor,
            "python -c pass",
            "<= 0.4 s",
            help_s <= 0.4,
            f"median of {RUNS}, bytecode cached; without a bytecode cache {help_nc:.2f} s",
        ),
        Figure(
            "7. `cme case show ID` wall time, new process",
            show_s,
            "s",
            bare_s,
            "python + sqlite3 reading the case and its timers",
            "<= 0.8 s",
            show_s <= 0.8,
            f"median of {RUNS}, bytecode cached; without a bytecode cache {show_nc:.2f} s",
        ),
    ]
