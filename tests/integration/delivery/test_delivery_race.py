"""Two dispatchers racing on one outbox (each its own app, engine and store, as two `cme tick`
processes would be): every message reaches the gateway exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict

import pytest
from sqlalchemy import insert

from cme.bootstrap import App
from cme.delivery import DeliveryReport, deliver
from storage import queries
from storage.outbox import SqlOutboxStore
from storage.tables import outbox_table
from tests.integration.delivery.conftest import Gateway, MakeApp, open_case

pytestmark = [pytest.mark.smtp, pytest.mark.slow]

MESSAGES = 200
CASES = 4


def fill_outbox(app: App) -> list[int]:
    """`MESSAGES` pending rows over `CASES` cases: each case's own letter, then copies."""
    case_ids = [open_case(app) for _ in range(CASES)]
    [template] = SqlOutboxStore(app.db).list(case_id=case_ids[0])
    row = {
        k: v
        for k, v in asdict(template).items()
        if k not in ("id", "status", "attempts", "last_error", "sent_at")
    }
    copies = [{**row, "case_id": case_ids[i % CASES]} for i in range(MESSAGES - CASES)]
    with app.db.begin() as conn:
        conn.execute(insert(outbox_table), copies)
    return case_ids


def test_two_dispatchers_racing_deliver_each_message_exactly_once(
    gateway: Gateway, delivery_app: MakeApp, db_url: str
) -> None:
    first, second = delivery_app(gateway, db_url), delivery_app(gateway, db_url)
    case_ids = fill_outbox(first)
    start = threading.Barrier(2)
    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []

    def run(app: App) -> None:
        try:
            start.wait(timeout=30)
            reports.append(deliver(app))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    assert errors == []
    assert not any(t.is_alive() for t in threads)
    rows = SqlOutboxStore(first.db).list(limit=10_000)
    assert len(rows) == MESSAGES
    assert {(m.status, m.attempts) for m in rows} == {("sent", 1)}
    counts = Counter(gateway.message_ids())
    assert len(counts) == MESSAGES and set(counts.values()) == {1}
    assert set(counts) == {m.message_id for m in rows}
    assert sum(r.sent for r in reports) == MESSAGES
    assert all(r.deferred == r.failed == 0 for r in reports)
    delivered = Counter(
        e.evidence["outbox_id"]
        for case_id in case_ids
        for e in queries.events(first.db, case_id)
        if e.trigger == "notification_delivered"
    )
    assert len(delivered) == MESSAGES and set(delivered.values()) == {1}
