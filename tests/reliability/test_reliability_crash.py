"""Crash safety: a process applying transitions is SIGKILLed at random moments, 20 times.

A worker (tests/reliability/worker.py) loops towards 5,000 transitions through the real
`Engine` on a SQLite file, printing "case_id version" after each commit. It is killed with
SIGKILL after a random delay, then restarted on the same file. After every kill the file opens
and passes `PRAGMA integrity_check`, every case's hash chain verifies, every case row agrees
with its events, and every transition the worker reported committed is in the database.

The worker is forked from a "zygote" that has already imported and wired the application, so
a restart costs milliseconds; each run is still a separate process killed by the kernel.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cme import cli, console
from storage.audit import verify_chains
from storage.backup import consistency_problems, integrity_problems
from storage.database import make_engine
from storage.migrate import upgrade
from storage.tables import case_table, event_table

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20
TARGET = 5000
"""The loop aims at 5,000 transitions; every run is killed long before it gets there."""


class Zygote:
    """The worker zygote: `run()` forks one crash worker and returns its pid."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.worker", "zygote", url, str(TARGET)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("")  # end of output

    def _next(self, timeout: float = 60) -> str:
        line = self.lines.get(timeout=timeout)
        assert line, "the zygote stopped"
        return line

    def start(self) -> int:
        """Fork a worker; return its pid once it has committed its first transition."""
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        started = self._next().split()
        assert started[0] == "started", started
        self.pending = [self._next()]  # its first commit
        return int(started[1])

    def finish(self, pid: int) -> tuple[int, list[tuple[int, int]]]:
        """After the kill: the worker's exit code and every commit it reported."""
        committed = self.pending
        while not (line := self._next()).startswith("exit "):
            committed.append(line)
        _, exited, code = line.split()
        assert int(exited) == pid
        pairs = [(int(a), int(b)) for a, b in (c.split() for c in committed)]
        return int(code), pairs

    def close(self) -> None:
        """Stop the zygote."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(10)
        self.process.stdout.close()


def check_database(url: str, reported: list[tuple[int, int]], run: int) -> None:
    """The file opens and verifies, and holds every reported commit."""
    engine = make_engine(url)
    try:
        assert integrity_problems(engine) == []
        assert consistency_problems(engine) == []
        chains = verify_chains(engine)
        assert chains.ok, chains.broken
        with engine.connect() as conn:
            present = {
                (r[0], r[1])
                for r in conn.execute(select(event_table.c.case_id, event_table.c.seq))
            }
            versions = {
                r[0]: r[1] for r in conn.execute(select(case_table.c.id, case_table.c.version))
            }
    finally:
        engine.dispose()
    missing = [pair for pair in reported if pair not in present]
    assert missing == [], f"run {run}: reported committed but absent: {missing[:5]}"
    assert all(versions[c] >= v for c, v in reported)


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_no_committed_transition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 SIGKILLs mid-stream: the database opens, verifies, and holds every reported commit."""
    url = f"sqlite:///{tmp_path}/crash.db"
    setup = make_engine(url)
    upgrade(setup)
    setup.dispose()
    rng = random.Random(6)
    reported: list[tuple[int, int]] = []
    per_run: list[int] = []
    zygote = Zygote(url)
    try:
        for run in range(KILLS):
            pid = zygote.start()
            time.sleep(rng.uniform(0.0, 0.8))
            os.kill(pid, signal.SIGKILL)
            code, committed = zygote.finish(pid)
            assert code == -signal.SIGKILL, f"run {run} ended before the kill (exit {code})"
            assert 1 <= len(committed) < TARGET
            reported += committed
            per_run.append(len(committed))
            check_database(url, reported, run)
    finally:
        zygote.close()

    # `cme db check --integrity` agrees
    monkeypatch.setenv("CME_DATABASE_URL", url)
    monkeypatch.setattr(console, "APP_FACTORY", None)
    result = CliRunner().invoke(cli.app, ["db", "check", "--integrity", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["chains"]["events"] >= len(reported)
    assert len(per_run) == KILLS
