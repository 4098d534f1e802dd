"""The engine on real databases: one transaction per step, optimistic locking, append-only
events, exactly-once timer claims. Each test runs on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from engine import Actor, ConcurrentUpdate, GuardsFailed, replay, verify_chain
from engine.testing import FakeClock
from storage import queries
from storage.unit_of_work import SqlUnitOfWork
from tests.support import START, school_referral

CMEO = Actor("alice", "cmeo")


def test_a_case_opened_and_advanced_is_stored_with_a_verifying_chain(
    db_url: str, app_factory: Any
) -> None:
    app = app_factory(db_url)
    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id

    app.engine.apply(case_id, "begin_enquiries", {}, CMEO)

    events = queries.events(app.db, case_id)
    assert [e.trigger for e in events] == ["open_case", "begin_enquiries"]
    assert verify_chain(case_id, events) is None
    definition = app.registry.compiled(app.engine.get(case_id).definition_hash).definition
    assert replay(definition, events).state == app.engine.get(case_id).state == "enquiries"


def test_a_stale_version_is_refused_and_nothing_is_written(db_url: str, app_factory: Any) -> None:
    app = app_factory(db_url)
    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id
    read_by_bob = app.engine.get(case_id).version
    app.engine.apply(case_id, "begin_enquiries", {}, Actor("carol", "caseworker"))

    with pytest.raises(ConcurrentUpdate) as refused:
        app.engine.apply(
            case_id,
            "update_risk",
            {"risk_flags": "runaway"},
            Actor("bob", "cmeo"),
            expected_version=read_by_bob,
        )

    assert "carol (caseworker)" not in str(refused.value)  # actor names are stored bare
    assert "carol" in str(refused.value) and "begin_enquiries" in str(refused.value)
    assert queries.count_events(app.db, case_id) == 2
    assert app.engine.get(case_id).facts["risk_flags"] == []


def test_two_units_of_work_racing_on_one_case_leave_one_winner(
    db_url: str, app_factory: Any
) -> None:
    app = app_factory(db_url)
    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id
    loser = SqlUnitOfWork(app.db)
    with loser:
        stale = loser.get_case(case_id)
    app.engine.apply(case_id, "begin_enquiries", {}, CMEO)

    with loser, pytest.raises(ConcurrentUpdate):
        stale.state = "closed"
        loser.update_case(stale, expected_version=stale.version)

    assert app.engine.get(case_id).state == "enquiries"


def test_a_guard_refusal_writes_no_event_timer_or_message(db_url: str, app_factory: Any) -> None:
    app = app_factory(db_url)
    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id
    app.engine.apply(case_id, "begin_enquiries", {}, CMEO)
    before = (queries.count_events(app.db, case_id), len(queries.all_timers(app.db, case_id)))

    with pytest.raises(GuardsFailed):
        app.engine.apply(
            case_id,
            "record_first_visit",
            {"visited_at": "2025-11-03T08:30", "officer": "EWO", "outcome": "no_contact"},
            CMEO,
        )

    after = (queries.count_events(app.db, case_id), len(queries.all_timers(app.db, case_id)))
    assert after == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE event SET actor = 'mallory' WHERE seq = 1",
        "DELETE FROM event WHERE seq = 1",
    ],
)
def test_the_database_refuses_to_rewrite_or_delete_an_event(
    db_url: str, app_factory: Any, statement: str
) -> None:
    app = app_factory(db_url)
    app.engine.open_case("school-referral", school_referral(), CMEO)

    with pytest.raises(Exception, match="append-only") as refused, app.db.begin() as conn:
        conn.execute(text(statement))

    assert "append-only" in str(refused.value)
    assert queries.events(app.db, 1)[0].actor == "alice"


def test_a_due_timer_is_claimed_once_and_fires_once(db_url: str, app_factory: Any) -> None:
    clock = FakeClock(START)
    app = app_factory(db_url, clock)
    case_id = app.engine.open_case(
        "school-referral", school_referral(risk_flags=["runaway"]), CMEO
    ).case.id
    clock.advance(timedelta(days=30))

    first = app.engine.fire_due_timers()
    second = app.engine.fire_due_timers()

    assert app.engine.get(case_id).state == "escalated_to_mash"
    assert first.fired >= 1 and second.fired == 0
    statuses = {t.name: t.status for t in queries.all_timers(app.db, case_id)}
    assert statuses["high_risk_unlocated"] == "fired"


def test_opening_writes_the_referral_notification_in_the_same_commit(
    db_url: str, app_factory: Any
) -> None:
    app = app_factory(db_url)

    case_id = app.engine.open_case("school-referral", school_referral(), CMEO).case.id

    with app.db.connect() as conn:
        rows = conn.execute(
            text("SELECT template, recipient, subject FROM outbox WHERE case_id = :c"),
            {"c": case_id},
        ).all()
    assert [(r.template, r.recipient) for r in rows] == [("referral_received", "cme@luton.gov.uk")]
    assert "Sam" not in rows[0].subject and "Testchild" not in rows[0].subject
