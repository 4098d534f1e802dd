"""Issue 14: the case read model (child summary, outbox state) and the queue search, on
SQLite and PostgreSQL, through the application layer as every door calls it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from cme.bootstrap import App
from cme.services import cases, queue
from cme.services.principal import Principal
from engine.clock import LOCAL_ZONE
from engine.testing import FakeClock
from storage.tables import access_log_table, outbox_table
from tests.support import START, school_referral

WEB = Principal("wendy", "caseworker", "web")
OTHER_SCHOOL = {"id": "8212002", "name": "Hilltop Academy"}


def _open(application: App, **overrides: Any) -> int:
    from engine import Actor

    referral = school_referral(**overrides)
    return application.engine.open_case("school-referral", referral, Actor("c", "cmeo")).case.id


@pytest.fixture
def application(db_url: str, app_factory: Any) -> App:
    made: App = app_factory(db_url, FakeClock(START))
    return made


def test_show_reads_the_child_and_the_outbox_with_the_case(application: App) -> None:
    case_id = _open(application, risk_flags=["child_protection_plan"])

    shown = cases.show(application, WEB, case_id)

    assert shown.case.state == "escalated_to_mash"
    child = shown.child
    assert child is not None
    assert (child.forename, child.surname, child.date_of_birth) == (
        "Sam",
        "Testchild",
        "2014-05-01",
    )
    assert (child.upn, child.school_id, child.school_name) == (
        "H801200001001",
        "8212001",
        "Example Primary",
    )
    assert child.age == 11  # born 1 May 2014; today is Monday 3 Nov 2025
    outbox = shown.outbox
    assert outbox is not None
    assert outbox.escalation_status == "pending"
    assert outbox.escalation_queued_at == START and outbox.escalation_sent_at is None
    assert outbox.by_status.get("pending", 0) >= 1 and "sent" not in outbox.by_status

    sent_at = START + timedelta(minutes=1)
    with application.db.begin() as conn:
        conn.execute(
            update(outbox_table)
            .where(outbox_table.c.case_id == case_id, outbox_table.c.template == "mash_escalation")
            .values(status="sent", sent_at=sent_at)
        )
    again = cases.read(application, case_id).outbox
    assert again is not None
    assert (again.escalation_status, again.escalation_sent_at) == ("sent", sent_at)
    assert again.by_status["sent"] == 1
    assert sum(again.by_status.values()) == sum(outbox.by_status.values())


def test_the_age_is_counted_at_today_s_local_date(application: App) -> None:
    case_id = _open(application)
    clock = application.clock
    assert isinstance(clock, FakeClock)

    # 23:30 on 30 Apr 2026 in London is still the day before the birthday (22:30 UTC)
    clock.set(datetime(2026, 4, 30, 23, 30, tzinfo=LOCAL_ZONE))
    assert cases.read(application, case_id).child.age == 11  # type: ignore[union-attr]
    clock.set(datetime(2026, 5, 1, 0, 30, tzinfo=LOCAL_ZONE))
    assert cases.read(application, case_id).child.age == 12  # type: ignore[union-attr]


def test_show_json_ends_with_child_and_outbox_after_every_existing_key(
    application: App,
) -> None:
    case_id = _open(application)
    view = cases.show(application, WEB, case_id)

    shown = view.detail_json()

    assert list(shown)[: len(view.as_json())] == list(view.as_json())
    assert list(shown)[-2:] == ["child", "outbox"]
    assert shown["child"]["age"] == 11 and shown["child"]["school_name"] == "Example Primary"
    assert shown["outbox"]["mash_escalation"] is None  # no concern: nothing sent to MASH


def _found(application: App, text: str, **filters: Any) -> list[int]:
    wanted = queue.QueueFilter(search=text, **filters)
    return sorted(e.view.case.id for e in queue.queue(application, WEB, wanted))


@pytest.fixture
def three(application: App) -> tuple[int, int, int]:
    """Sam Testchild (received), Sam Testchild escalated to MASH, Alex Example elsewhere."""
    sam = _open(application)
    escalated = _open(application, risk_flags=["child_protection_plan"])
    alex = _open(
        application,
        child={"forename": "Alex", "surname": "Example", "date_of_birth": "2013-02-10"},
        school=OTHER_SCHOOL,
    )
    return sam, escalated, alex


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("sam", "sams"),
        ("TESTCHILD", "sams"),
        ("Sam Testchild", "sams"),
        ("testchild  sam", "sams"),
        ("test", "sams"),  # the start of a surname
        ("alex example", "alex"),
        ("h801200001001", "sams"),  # a UPN exactly, whatever its case
        ("H80120000100", "none"),  # part of a UPN is not a UPN
        ("CME-000003", "alex"),
        ("cme-3", "alex"),
        ("3", "alex"),
        ("8212002", "alex"),  # a school's id
        ("hilltop", "alex"),  # part of a school's name
        ("example primary", "sams"),
        ("nobody", "none"),
        ("50%", "none"),  # LIKE's wildcards are matched as themselves
        ("_", "none"),
    ],
)
def test_search_matches_name_upn_reference_or_school(
    application: App, three: tuple[int, int, int], text: str, who: str
) -> None:
    sam, escalated, alex = three
    expected = {"sams": [sam, escalated], "alex": [alex], "none": []}[who]

    assert _found(application, text) == expected


def test_search_applies_with_the_other_filters(
    application: App, three: tuple[int, int, int]
) -> None:
    sam, escalated, _ = three

    assert _found(application, "sam", state="escalated_to_mash") == [escalated]
    assert _found(application, "sam", state="received") == [sam]
    assert _found(application, "sam", limit=1) in ([sam], [escalated])
    rows = queue.queue(application, WEB, queue.QueueFilter(search="hilltop"))
    assert [(r.child_name, r.school) for r in rows] == [("Alex Example", "Hilltop Academy")]
    assert list(rows[0].as_json())[-3:] == ["escalation", "child_name", "school"]


def test_an_empty_search_is_refused_and_logs_nothing(
    application: App, three: tuple[int, int, int]
) -> None:
    with pytest.raises(queue.SearchRefused, match="search: must not be empty"):
        queue.queue(application, WEB, queue.QueueFilter(search="   "))
    with pytest.raises(queue.SearchRefused, match="at most 200"):
        queue.queue(application, WEB, queue.QueueFilter(search="x" * 201))
    with application.db.connect() as conn:
        assert conn.execute(select(access_log_table)).all() == []


def test_the_search_text_is_in_neither_the_access_log_nor_the_operator_log(
    application: App, three: tuple[int, int, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Hilltop"

    assert _found(application, secret) == [three[2]]

    with application.db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(access_log_table))]
    assert [(r["case_id"], r["action"], r["detail"]) for r in rows] == [(three[2], "cases", "")]
    assert secret.lower() not in repr(rows).lower()
    assert secret.lower() not in caplog.text.lower()
    assert all(secret.lower() not in str(r.args).lower() for r in caplog.records)
