"""Rows and records: the tables' columns are the records' fields, so `storage.rows` maps one
to the other by the fields; each mapper round-trips a record through its table."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, select

from engine.ports import CaseRecord, EventRecord, OutboxMessage, TimerRecord
from storage import rows
from storage.tables import case_table, child_table, event_table, outbox_table, timer_table

NOW = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("record", "table"),
    [
        (CaseRecord, case_table),
        (EventRecord, event_table),
        (TimerRecord, timer_table),
        (OutboxMessage, outbox_table),
    ],
)
def test_every_field_of_a_record_is_a_column_of_its_table(record: Any, table: Any) -> None:
    columns = {c.key for c in table.columns}
    missing = [f.name for f in dataclasses.fields(record) if f.name not in columns]
    assert not missing, f"{record.__name__} fields with no column in {table.name}: {missing}"


def test_the_params_write_every_column_a_new_row_sets() -> None:
    event = EventRecord(1, 2, "t", "a", "b", "alice", "cmeo", NOW, {"k": "v"}, "p", "h", "")
    timer = TimerRecord(1, "n", "case", NOW, None, ("cmeo",), {"p": 1}, NOW)
    message = OutboxMessage(1, 2, "t", "cmeo", "x@example.org", "s", "b", "<p>b</p>", NOW)
    assert set(rows.event_params(event)) == {c.key for c in event_table.columns} - {"id"}
    assert set(rows.timer_params(timer)) == {c.key for c in timer_table.columns} - {"id"}
    written_later = {"id", "sent_at"}  # by delivery, not when queued (last_error: an
    # unaddressed message is queued failed, with its reason)
    assert set(rows.outbox_params(message)) == {c.key for c in outbox_table.columns} - (
        written_later
    )
    assert rows.event_params(event)["body"] is None  # "" is stored as NULL


def test_each_record_round_trips_through_its_table() -> None:
    db = create_engine("sqlite://")
    for table in (child_table, case_table, event_table, timer_table):
        table.create(db)
    case = CaseRecord(
        id=1, workflow="w", definition_hash="d" * 64, state="s", priority="high", version=2,
        facts={"a": [1]}, opened_at=NOW, state_entered_at=NOW, updated_at=NOW, head_hash="h",
        closed_at=NOW, outcome="o", paused_since=NOW, pause_reason="r",
    )  # fmt: skip
    event = EventRecord(1, 1, "t", "a", "b", "alice", "cmeo", NOW, {"k": "v"}, "p", "h", "x")
    unbodied = dataclasses.replace(event, seq=2, body="")
    timer = TimerRecord(1, "n", "case", NOW, "go", ("a", "b"), {"p": 1}, NOW, id=1)
    with db.begin() as conn:
        conn.execute(
            insert(case_table).values(id=1, **{c: getattr(case, c) for c in rows.CASE_COLUMNS})
        )
        conn.execute(insert(event_table), [rows.event_params(event), rows.event_params(unbodied)])
        conn.execute(insert(timer_table).values(id=1, **rows.timer_params(timer)))
        got_case = rows.case_from_row(conn.execute(select(case_table)).one())
        got_events = [rows.event_from_row(r) for r in conn.execute(select(event_table))]
        got_timer = rows.timer_from_row(conn.execute(select(timer_table)).one())

    assert got_case == case and rows.copy_case(case) == case
    assert rows.copy_case(case) is not case
    assert got_events == [event, unbodied]
    assert got_timer == timer
