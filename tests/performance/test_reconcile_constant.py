"""The tick's reconcile reads only what it must (issue 14): a `sent` or `failed` outbox row is
flagged `outcome_recorded` in the transaction that writes its event (schema 0006), and the
reconcile walks the partial index of final rows not yet flagged. It still finds a row left in
the crash window (its status without its event), and rows from before the migration. SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, select, text

from cme.bootstrap import App
from cme.outcomes import reconcile
from engine import Actor
from storage import outcomes, queries
from storage.database import write_transaction
from storage.migrate import alembic_config, current_revision
from storage.outbox import SqlOutboxStore
from storage.schema import HEAD
from storage.tables import outbox_table
from tests.support import make_app, school_referral

CASEWORKER = Actor("Jane Caseworker", "caseworker")


@pytest.fixture
def app(db_url: str) -> Iterator[App]:
    application = make_app(db_url)
    yield application
    application.db.dispose()


def open_case(application: App) -> int:
    """A case whose `referral_received` to the CMEO waits in the outbox."""
    return application.engine.open_case("school-referral", school_referral(), CASEWORKER).case.id


def delivered(application: App, case_id: int) -> list[Any]:
    return [
        e.evidence.get("outbox_id")
        for e in queries.events(application.db, case_id)
        if e.trigger == "notification_delivered"
    ]


def unflagged(application: App) -> int:
    """How many rows the reconcile's index holds (final, not flagged)."""
    o = outbox_table.c
    query = select(func.count()).where(
        o.status.in_(("sent", "failed")), o.outcome_recorded.is_(False)
    )
    with application.db.connect() as conn:
        return int(conn.execute(query).scalar_one())


def flags(application: App) -> dict[int, tuple[str, bool]]:
    o = outbox_table.c
    with application.db.connect() as conn:
        rows = conn.execute(select(o.id, o.status, o.outcome_recorded)).all()
    return {r.id: (r.status, bool(r.outcome_recorded)) for r in rows}


def test_a_crash_window_row_is_still_reconciled_once_and_then_leaves_the_index(
    app: App,
) -> None:
    case_id = open_case(app)
    store = SqlOutboxStore(app.db)
    [claimed] = store.claim_sendable(app.clock.now(), 10)
    assert claimed.id is not None
    store.mark_sent(claimed.id, app.clock.now())  # the status alone: the crash window
    assert flags(app)[claimed.id] == ("sent", False)

    first = reconcile(app)
    second = reconcile(app)

    assert [r["outbox_id"] for r in first] == [claimed.id]
    assert second == []
    assert delivered(app, case_id) == [claimed.id]
    assert flags(app)[claimed.id] == ("sent", True)
    assert unflagged(app) == 0


def test_an_outcome_settled_with_its_event_is_flagged_at_once(app: App) -> None:
    """cme.delivery's path: the status, the flag (and the event) in one transaction, so the
    reconcile never reads the row; an unaddressed row is written failed and flagged."""
    open_case(app)
    unaddressed = make_app(str(app.db.url), cmeo_email=None, manager_email=None)
    try:
        open_case(unaddressed)
    finally:
        unaddressed.db.dispose()
    store = SqlOutboxStore(app.db)
    [claimed] = store.claim_sendable(app.clock.now(), 10)
    assert claimed.id is not None
    with write_transaction(app.db) as conn:
        assert store.settle(conn, claimed.id, "sent", app.clock.now())

    statuses = sorted(flags(app).values())

    assert statuses == [("failed", True), ("failed", True), ("sent", True)]
    assert unflagged(app) == 0
    assert reconcile(app) == []


def test_the_reconcile_reads_the_partial_index_not_the_outbox(app: App) -> None:
    if app.db.dialect.name != "sqlite":
        pytest.skip("the plan is read with SQLite's EXPLAIN QUERY PLAN")
    query = outcomes.unrecorded_query(0, 100)
    sql = str(query.compile(app.db, compile_kwargs={"literal_binds": True}))
    with app.db.connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))

    assert "ix_outbox_unrecorded" in plan, plan


def test_rows_from_before_schema_0006_are_flagged_or_reconciled_by_the_first_tick(
    app: App,
) -> None:
    """Down to 0005 and up again: every row starts unflagged, as on a database upgraded with
    history. The first reconcile flags those with their event and records the one without."""
    case_id = open_case(app)
    store = SqlOutboxStore(app.db)
    [claimed] = store.claim_sendable(app.clock.now(), 10)
    assert claimed.id is not None
    with write_transaction(app.db) as conn:
        assert store.settle(conn, claimed.id, "sent", app.clock.now())
    from cme.delivery import DeliveryReport, record_outcome

    record_outcome(  # its event, as cme.delivery writes it
        app,
        case_id,
        "notification_delivered",
        {"outbox_id": claimed.id, "template": claimed.template, "attempts": 1},
        claimed.template,
        DeliveryReport(),
    )
    later = open_case(app)
    [crashed] = store.claim_sendable(app.clock.now(), 10)
    assert crashed.id is not None
    store.mark_sent(crashed.id, app.clock.now())  # an older version's crash window
    config = alembic_config(app.db)
    command.downgrade(config, "0005")
    command.upgrade(config, "head")  # 0006 flags nothing; later revisions follow
    assert current_revision(app.db) == HEAD
    assert unflagged(app) == 2

    done = reconcile(app)

    assert [r["outbox_id"] for r in done] == [crashed.id]
    assert delivered(app, case_id) == [claimed.id]
    assert delivered(app, later) == [crashed.id]
    assert unflagged(app) == 0
