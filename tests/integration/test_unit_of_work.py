"""The lean write path (issue 7): a unit of work keeps what it read, buffers what it writes,
and flushes with one executemany per table. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import gc
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from engine import Actor, ConcurrentUpdate
from engine.ports import CaseRecord
from storage import queries
from storage.unit_of_work import SqlUnitOfWork, _copy
from tests.support import START, school_referral

CMEO = Actor("alice", "cmeo")


def test_a_case_copy_keeps_every_field() -> None:
    values: dict[str, Any] = {}
    for n, f in enumerate(dataclasses.fields(CaseRecord)):
        values[f.name] = {"n": n} if f.name == "facts" else f"value {n}"
    case = CaseRecord(**values)

    copied = _copy(case)

    assert copied == case and copied is not case


def test_writes_wait_for_the_commit_but_reads_inside_see_them(
    db_url: str, app_factory: Any
) -> None:
    app = app_factory(db_url)
    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id
    events_before = queries.count_events(app.db, case_id)
    with SqlUnitOfWork(app.db) as uow:
        case = uow.get_case(case_id)
        from engine.audit import append_system_event

        append_system_event(uow, case, "correction", {"note": "x"}, "alice", "cmeo", START)
        uow.update_case(case, expected_version=case.version - 1)

        assert [e.trigger for e in uow.events(case_id)][-1] == "correction"
        assert uow.get_case(case_id).version == case.version
        uow.commit()

    assert queries.count_events(app.db, case_id) == events_before + 1
    assert app.engine.get(case_id).version == case.version


def test_a_new_timer_gets_its_id_before_anyone_can_finish_it(
    db_url: str, app_factory: Any
) -> None:
    app = app_factory(db_url)
    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id
    with SqlUnitOfWork(app.db) as uow:
        pending = uow.pending_timers(case_id)
        new = dataclasses.replace(pending[0], id=None, name="extra", due_at=START)
        uow.add_timers([new])
        ids = [t.id for t in uow.pending_timers(case_id)]
        assert None not in ids and len(ids) == len(pending) + 1
        uow.finish_timers([i for i in ids if i is not None], "cancelled", START, "test")
        assert uow.pending_timers(case_id) == []
        uow.commit()

    assert queries.pending_timers(app.db, case_id) == []


def test_a_batch_of_due_timers_fires_in_a_few_statements_whatever_its_size(
    db_url: str, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.unit_of_work as uow_module

    app = app_factory(db_url)
    high = school_referral()
    high["risk_flags"] = ["runaway"]
    for _ in range(30):
        app.engine.open_case("school-referral", high, CMEO)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    real_many, real_lists = uow_module.run_many, uow_module._Query.lists

    def run_many(conn: Any, statement: Any, rows: Any) -> Any:
        statements.append(f"run_many: {statement}")
        return real_many(conn, statement, rows)

    def lists(query: Any, conn: Any, params: Any) -> Any:
        statements.append(f"driver read: {query.sql}")
        return real_lists(query, conn, params)

    # statements through SQLAlchemy, and those the unit of work sends to the driver itself
    monkeypatch.setattr(uow_module, "run_many", run_many)
    monkeypatch.setattr(uow_module._Query, "lists", lists)
    event.listen(app.db, "before_cursor_execute", count)
    app.clock.advance(timedelta(days=60))
    try:
        report = app.engine.fire_due_timers(batch=1000)
    finally:
        event.remove(app.db, "before_cursor_execute", count)

    assert report.fired >= 30
    writes = [s for s in statements if s.startswith("run_many")]
    assert writes and all(s.split()[1] in ("INSERT", "UPDATE") for s in writes)
    # claim, read ahead (cases, timers, children), one write per table and column set:
    # the count depends on the passes, not on the number of timers (30+ here)
    passes = sum(1 for s in statements if "ORDER BY timer.due_at" in s)
    assert 1 <= passes <= 2 and len(statements) <= 12 * passes, statements


def test_a_case_changed_behind_the_buffer_is_a_conflict_and_nothing_is_written(
    db_url: str, app_factory: Any
) -> None:
    app = app_factory(db_url)
    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id
    events_before = queries.count_events(app.db, case_id)
    with SqlUnitOfWork(app.db) as uow, pytest.raises(ConcurrentUpdate) as conflict:
        case = uow.get_case(case_id)
        read = case.version
        # another writer could not do this (the case is ours); the flush's check must still
        # catch it, so this test changes the row on the unit of work's own connection
        uow.c.execute(
            text('UPDATE "case" SET version = version + 1, head_hash = :h WHERE id = :i'),
            {"i": case_id, "h": "a" * 64},
        )
        case.state, case.version, case.head_hash = "closed", read + 1, "b" * 64
        uow.update_case(case, expected_version=read)
        uow.commit()

    assert "CME-" in str(conflict.value)
    assert app.engine.get(case_id).state != "closed"
    assert queries.count_events(app.db, case_id) == events_before


def test_sqlite_keeps_times_in_the_text_sqlalchemy_wrote_before() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import DateTime
    from sqlalchemy.dialects import sqlite

    from storage.tables import UTCDateTime

    dialect = sqlite.dialect()
    theirs = DateTime().dialect_impl(dialect).bind_processor(dialect)
    ours = UTCDateTime().bind_processor(dialect)
    back = UTCDateTime().result_processor(dialect, None)
    assert theirs is not None and ours is not None and back is not None
    moment = datetime(2025, 11, 3, 9, 0, 0, 1234, tzinfo=UTC)
    london = datetime(2025, 7, 1, 10, 30, tzinfo=ZoneInfo("Europe/London"))

    assert ours(moment) == theirs(moment.replace(tzinfo=None)) == "2025-11-03 09:00:00.001234"
    assert ours(london) == "2025-07-01 09:30:00.000000"
    assert back(ours(moment)) == moment and back(ours(london)) == london
    assert ours(None) is None and back(None) is None
    with pytest.raises(ValueError, match="naive"):
        ours(datetime(2025, 11, 3, 9, 0))


def test_an_event_appended_behind_the_buffer_is_a_conflict_and_nothing_is_written(
    db_url: str, app_factory: Any
) -> None:
    from engine.audit import append_system_event, seal
    from storage.tables import event_table
    from storage.unit_of_work import event_params, run_many

    app = app_factory(db_url)
    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id
    events_before = queries.count_events(app.db, case_id)
    with SqlUnitOfWork(app.db) as uow, pytest.raises(ConcurrentUpdate) as conflict:
        case = uow.get_case(case_id)
        # no other writer can append while we hold the case; one that did not lock it is
        # played by the unit of work's own connection
        theirs = seal(
            case_id=case.id, seq=case.version + 1, trigger="correction", from_state=case.state,
            to_state=case.state, actor="mallory", role="cmeo", at=START,
            evidence={"note": "first"}, prev_hash=case.head_hash,
        )  # fmt: skip
        run_many(uow.c, event_table.insert(), [event_params(theirs)])
        append_system_event(uow, case, "correction", {"note": "x"}, "alice", "cmeo", START)
        uow.update_case(case, expected_version=case.version - 1)
        uow.commit()

    if "sqlite" in db_url:  # PostgreSQL undid mallory's row with the failed transaction
        assert "mallory" in str(conflict.value)
    assert queries.count_events(app.db, case_id) == events_before


def test_a_connection_the_server_dropped_fails_once_then_the_pool_is_fresh(
    pg_url: str, app_factory: Any
) -> None:
    from sqlalchemy import create_engine

    from storage.database import make_engine

    app = app_factory(pg_url)
    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id
    db = make_engine(pg_url, pooled=True)
    try:
        with SqlUnitOfWork(db) as one, SqlUnitOfWork(db) as two:  # two pooled connections
            pids = [u.c.exec_driver_sql("SELECT pg_backend_pid()").scalar() for u in (one, two)]
        admin = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as conn:  # the server drops both (as a restart would)
            for pid in pids:
                conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        admin.dispose()

        with pytest.raises(db.dialect.loaded_dbapi.OperationalError), SqlUnitOfWork(db) as uow:
            uow.get_case(case_id)

        with SqlUnitOfWork(db) as uow:  # the next unit of work is on a fresh connection
            assert uow.get_case(case_id).id == case_id
    finally:
        db.dispose()
    gc.collect()  # no dropped connection is left open for a later test to trip over
