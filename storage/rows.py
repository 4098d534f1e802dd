"""Rows to the engine's records and back: no table class reaches the engine.

The column names are the records' field names (a test holds them equal), so a row becomes a
record by the record's fields, with the few conversions the storage needs (a JSON array to a
tuple, a body not stored to ""). The other way, `*_params` spell each column out: a dict built
from the fields (`dict(zip(...))`) cost twice as much per event, and the test above still
catches a field the table lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import Row

from engine.ports import CaseRecord, EventRecord, OutboxMessage, TimerRecord

CASE_FIELDS = tuple(f.name for f in fields(CaseRecord))
EVENT_FIELDS = tuple(f.name for f in fields(EventRecord))
TIMER_FIELDS = tuple(f.name for f in fields(TimerRecord))
"""The records' fields in the order their constructors take them: the tables' column names
(`tests/integration/test_rows.py` holds them equal), so a record is built from a row's
values positionally, which costs less than by keyword."""
CASE_COLUMNS = tuple(f for f in CASE_FIELDS if f != "id")
"""The case table's columns a write sets (all but the id the database gives)."""

_case_values = attrgetter(*CASE_FIELDS)
_event_columns = itemgetter(*EVENT_FIELDS)
_timer_columns = itemgetter(*TIMER_FIELDS)
_NOTIFY = TIMER_FIELDS.index("notify")


def event_params(event: EventRecord) -> dict[str, Any]:
    """The event table's columns for one event."""
    return {
        "case_id": event.case_id,
        "seq": event.seq,
        "trigger": event.trigger,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor": event.actor,
        "role": event.role,
        "at": event.at,
        "evidence": dict(event.evidence),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "body": event.body or None,
    }


def timer_params(timer: TimerRecord) -> dict[str, Any]:
    """The timer table's columns for a new timer."""
    return {
        "case_id": timer.case_id,
        "name": timer.name,
        "scope": timer.scope,
        "trigger": timer.trigger,
        "notify": list(timer.notify),
        "due_at": timer.due_at,
        "status": timer.status,
        "created_at": timer.created_at,
        "provenance": dict(timer.provenance),
        "finished_at": timer.finished_at,
        "reason": timer.reason,
    }


def outbox_params(m: OutboxMessage) -> dict[str, Any]:
    """The outbox table's columns for a rendered message."""
    return {
        "case_id": m.case_id,
        "event_seq": m.event_seq,
        "template": m.template,
        "recipient_role": m.recipient_role,
        "recipient": m.recipient,
        "subject": m.subject,
        "body_text": m.body_text,
        "body_html": m.body_html,
        "status": m.status,
        "attempts": m.attempts,
        "next_attempt_at": m.next_attempt_at,
        "last_error": m.last_error,
        "created_at": m.created_at,
        # a row written final (unaddressed: `failed`) is written with its event (engine)
        "outcome_recorded": m.status in ("sent", "failed"),
    }


def copy_case(case: CaseRecord) -> CaseRecord:
    """A shallow copy (`dataclasses.replace` cost several times more on the hot path)."""
    return CaseRecord(*_case_values(case))


def case_from_row(row: Row[Any] | Mapping[str, Any]) -> CaseRecord:
    """Map a case row (or a mapping of its columns) to the engine's record."""
    if type(row) is dict and len(row) == len(CASE_COLUMNS) + 1:
        return CaseRecord(**row)  # the case table's columns are the record's fields
    m = row if isinstance(row, Mapping) else row._mapping  # (a Row's attributes cost more)
    return CaseRecord(id=m["id"], **{c: m[c] for c in CASE_COLUMNS})


def event_from_row(row: Row[Any]) -> EventRecord:
    """Map an event row to the engine's record (a body not stored, NULL, is "")."""
    values = _event_columns(row._mapping)
    if values[-1] is None:  # `body`, the last field
        values = (*values[:-1], "")
    return EventRecord(*values)


def timer_from_row(row: Row[Any] | Mapping[str, Any]) -> TimerRecord:
    """Map a timer row (or a mapping of its columns) to the engine's record."""
    m = row if isinstance(row, Mapping) else row._mapping
    values = list(_timer_columns(m))
    values[_NOTIFY] = tuple(values[_NOTIFY])
    return TimerRecord(*values)
