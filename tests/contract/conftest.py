"""The contract suite's rig: one engine, on each unit of work the engine can be given.

`backend` is parametrised over the in-memory unit of work (`engine.testing`), the SQL one on a
SQLite file, and the SQL one on PostgreSQL (skipped, with the reason shown by `-rs`, unless
CME_TEST_POSTGRES_URL is set). A test sees the stored state only through `Backend`'s readers,
which read what is committed, so the same assertions hold on every backend. The SQL unit of
work is the reference: where the in-memory one behaved otherwise, `engine.testing` was fixed.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine as Database
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from engine import Actor, Applied, DefinitionRegistry, Engine
from engine.ports import (
    CaseRecord,
    EventRecord,
    OutboxMessage,
    TimerRecord,
    UnitOfWork,
)
from engine.testing import (
    FakeClock,
    InMemoryStore,
    RecordingRenderer,
    SingleCalendar,
    WeekdayCalendar,
)
from storage import queries
from storage.database import make_engine
from storage.migrate import upgrade
from storage.outbox import SqlOutboxStore
from storage.unit_of_work import SqlUnitOfWork
from tests.contract.chart import DEFINITION, RULES

START = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
"""Monday 3 Nov 2025, 09:00 GMT (every weekday is a school day on the rig's calendar)."""

CMEO = Actor("alice", "cmeo")
MANAGER = Actor("mo", "manager")
WORKFLOW = DEFINITION.workflow


class Backend:
    """A unit-of-work factory and readers of what it has committed."""

    name = ""

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work (the engine's factory)."""
        raise NotImplementedError

    def case(self, case_id: int) -> CaseRecord:
        """The committed case."""
        with self.unit_of_work() as uow:
            return uow.get_case(case_id)

    def events(self, case_id: int) -> list[EventRecord]:
        """The committed events of a case, in order."""
        raise NotImplementedError

    def timers(self, case_id: int) -> list[TimerRecord]:
        """Every timer the case ever had, by due time then name."""
        raise NotImplementedError

    def outbox(self, case_id: int) -> list[OutboxMessage]:
        """The case's outbox rows, oldest first."""
        raise NotImplementedError

    def snapshot(self, case_id: int) -> tuple[Any, ...]:
        """Everything stored for the case (to prove a refusal wrote nothing)."""
        return (
            self.case(case_id),
            self.events(case_id),
            self.timers(case_id),
            self.outbox(case_id),
        )


class MemoryBackend(Backend):
    """`engine.testing.InMemoryStore`."""

    name = "memory"

    def __init__(self) -> None:
        self.store = InMemoryStore()

    def unit_of_work(self) -> UnitOfWork:
        return self.store.unit_of_work()

    def events(self, case_id: int) -> list[EventRecord]:
        return list(self.store.events.get(case_id, []))

    def timers(self, case_id: int) -> list[TimerRecord]:
        found = [t for t in self.store.timers.values() if t.case_id == case_id]
        return sorted(found, key=lambda t: (t.due_at, t.name))

    def outbox(self, case_id: int) -> list[OutboxMessage]:
        return sorted(
            (m for m in self.store.outbox if m.case_id == case_id), key=lambda m: m.id or 0
        )


class SqlBackend(Backend):
    """`storage.unit_of_work.SqlUnitOfWork` on a migrated database."""

    def __init__(self, name: str, db: Database) -> None:
        self.name, self.db = name, db

    def unit_of_work(self) -> UnitOfWork:
        return SqlUnitOfWork(self.db)

    def events(self, case_id: int) -> list[EventRecord]:
        return queries.events(self.db, case_id)

    def timers(self, case_id: int) -> list[TimerRecord]:
        return sorted(queries.all_timers(self.db, case_id), key=lambda t: (t.due_at, t.name))

    def outbox(self, case_id: int) -> list[OutboxMessage]:
        return sorted(
            SqlOutboxStore(self.db).list(case_id=case_id, limit=1000), key=lambda m: m.id or 0
        )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test copies it (Alembic once, not per test)."""
    path = tmp_path_factory.mktemp("contract") / "template.db"
    db = make_engine(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_db(pg_server_url: str) -> Iterator[Database]:
    """One PostgreSQL database for the suite, migrated once (skipped, saying why, without
    CME_TEST_POSTGRES_URL); each test empties it (`backend`)."""
    name = f"cme_contract_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        pg_server_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = make_engine(make_url(pg_server_url).set(database=name).render_as_string(False))
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def emptied(db: Database) -> Database:
    """`db` with every table but Alembic's emptied and every id sequence back at 1."""
    tables = [t for t in inspect(db).get_table_names() if t != "alembic_version"]
    quote = db.dialect.identifier_preparer.quote
    with db.begin() as conn:
        conn.execute(
            text(f"TRUNCATE {', '.join(quote(t) for t in tables)} RESTART IDENTITY CASCADE")
        )
    return db


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Backend]:
    """Each unit of work in turn: in memory, SQLite (a copy of a migrated file), PostgreSQL
    (the suite's database, emptied)."""
    if request.param == "memory":
        yield MemoryBackend()
        return
    if request.param == "postgres":
        yield SqlBackend("postgres", emptied(request.getfixturevalue("postgres_db")))
        return
    path = tmp_path / "cme.db"
    shutil.copyfile(sqlite_template, path)
    db = make_engine(f"sqlite:///{path}")
    try:
        yield SqlBackend(request.param, db)
    finally:
        db.dispose()


@dataclass
class Rig:
    """The engine on one backend, with the steps the tests take."""

    engine: Engine
    backend: Backend
    clock: FakeClock
    calendars: SingleCalendar
    renderer: RecordingRenderer

    def open(self, **referral: Any) -> Applied:
        """Open a case on the contract chart (the referral becomes its facts)."""
        return self.engine.open_case(WORKFLOW, {"reason": "absent", **referral}, CMEO)

    def do(self, case_id: int, trigger: str, actor: Actor = CMEO, /, **evidence: Any) -> Applied:
        """Apply `trigger` with evidence as the CLI gives it."""
        return self.engine.apply(case_id, trigger, evidence, actor)

    def later(self, **delta: float) -> None:
        """Move the clock on."""
        self.clock.advance(timedelta(**delta))

    def pending(self, case_id: int) -> dict[str, str]:
        """Pending timers of a case: name -> due day."""
        return {
            t.name: t.provenance["due_on"]
            for t in self.backend.timers(case_id)
            if t.status == "pending"
        }

    def statuses(self, case_id: int) -> dict[str, list[str]]:
        """Every timer of a case: name -> its statuses, oldest first."""
        found: dict[str, list[str]] = {}
        for timer in sorted(self.backend.timers(case_id), key=lambda t: (t.created_at, t.id or 0)):
            found.setdefault(timer.name, []).append(timer.status)
        return found

    def triggers(self, case_id: int) -> list[str]:
        """The committed events' triggers, in order."""
        return [e.trigger for e in self.backend.events(case_id)]


def make_rig(backend: Backend) -> Rig:
    """A fresh engine on `backend`, the clock at Mon 3 Nov 2025 09:00 UTC."""
    clock = FakeClock(START)
    calendars = SingleCalendar(WeekdayCalendar())
    renderer = RecordingRenderer()
    engine = Engine(
        backend.unit_of_work,
        clock,
        DefinitionRegistry([DEFINITION]),
        RULES,
        calendars,
        renderer=renderer,
        context_builder=lambda case, d, event, child, deadline, trail: {"case": {"ref": case.ref}},
    )
    return Rig(engine, backend, clock, calendars, renderer)


@pytest.fixture
def rig(backend: Backend) -> Rig:
    """A fresh engine on `backend`, the clock at Mon 3 Nov 2025 09:00 UTC."""
    return make_rig(backend)
