"""Concurrency: 4 processes advance 2,000 cases at once, on SQLite and on PostgreSQL.

Each worker (tests/reliability/worker.py `load`) reads a random case, then applies
`begin_enquiries` or `update_risk` with the version it read (a fifth of its picks fall on ten
hot cases, so conflicts happen). Afterwards: no lost update (every case's version is 1 + the
applies the workers reported for it), no "database is locked", no other error, every conflict
a `ConcurrentUpdate` naming who changed the case, and every chain verifies.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.audit import verify_chains
from storage.backup import consistency_problems
from storage.database import make_engine
from storage.migrate import upgrade
from storage.tables import case_table

ROOT = Path(__file__).resolve().parents[2]
CASES = 2000
WORKERS = 4
OPS = 300
"""Applies per worker: 1,200 in all, spread over 2,000 cases (a fifth on ten hot ones)."""


def _run(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(processes: list[subprocess.Popen[str]]) -> list[str]:
    outputs = []
    for p in processes:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
        outputs.append(out)
    return outputs


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def load_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database with the schema, on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/load.db"
    else:
        url = str(request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.mark.slow
def test_four_processes_advancing_2000_cases_lose_nothing(load_url: str) -> None:
    """Zero lost updates, zero "database is locked", every conflict a ConcurrentUpdate."""
    _wait([_run("seed", load_url, str(CASES))])
    engine = make_engine(load_url)
    try:
        with engine.connect() as conn:
            low, high, n = conn.execute(
                select(func.min(case_table.c.id), func.max(case_table.c.id), func.count())
            ).one()
        assert (n, high - low + 1) == (CASES, CASES)

        reports: list[dict[str, Any]] = [
            json.loads(out.strip().splitlines()[-1])
            for out in _wait(
                [
                    _run("load", load_url, str(low), str(CASES), str(OPS), str(seed))
                    for seed in range(WORKERS)
                ]
            )
        ]
        outcomes: Counter[str] = Counter()
        applied: Counter[int] = Counter()
        for r in reports:
            outcomes.update(r["outcomes"])
            applied.update({int(k): v for k, v in r["applied"].items()})
        errors = [e for r in reports for e in r["errors"]]
        assert outcomes["locked"] == 0, errors
        assert outcomes["error"] == 0 and outcomes["refused"] == 0, errors
        assert outcomes["applied"] + outcomes["conflict"] == WORKERS * OPS
        conflicts = [m for r in reports for m in r["conflict_messages"]]
        assert all("since you read it" in m and "Nothing was written" in m for m in conflicts)

        with engine.connect() as conn:
            versions = {
                r[0]: r[1] for r in conn.execute(select(case_table.c.id, case_table.c.version))
            }
        lost = {
            case_id: (version, 1 + applied[case_id])
            for case_id, version in versions.items()
            if version != 1 + applied[case_id]
        }
        assert lost == {}, f"lost or phantom updates (version, expected): {list(lost.items())[:5]}"
        assert consistency_problems(engine) == []
        chains = verify_chains(engine)
        assert chains.ok and chains.cases == CASES, chains.broken[:3]
    finally:
        engine.dispose()
    # every conflict says who changed the case, also when two writers raced to insert the
    # same event sequence number (PostgreSQL's unique index picks the loser)
    unnamed = [m for m in conflicts if " by load.tester (" not in m]
    assert unnamed == [], unnamed[:3]
