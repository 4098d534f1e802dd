"""Verify's fast path reads an event's five header columns as SQLite's `json_array` text
(`storage.audit`). Whatever text those columns hold, an honest event must verify, and a changed
column must be named: SQLite's JSON escaping and ours must agree on every string."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.audit import COLUMNS_CHANGED, StoredEvent, seal, verify_stored
from engine.ports import GENESIS_HASH, EventRecord
from storage.audit import _STORED_COLUMNS

AT = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
COLUMNS = ("trigger", "from_state", "to_state", "actor", "role")
TABLE = (
    'CREATE TABLE event (case_id INTEGER, seq INTEGER, "trigger" TEXT, from_state TEXT, '
    "to_state TEXT, actor TEXT, role TEXT, at TEXT, evidence TEXT, prev_hash TEXT, hash TEXT, "
    "body TEXT)"
)
texts = st.text(max_size=12)  # any code point SQLite can hold (no lone surrogates)


def sealed(header: tuple[str, str, str, str, str]) -> EventRecord:
    """Case 7's opening event with these header values (trigger, from, to, actor, role)."""
    trigger, from_state, to_state, actor, role = header
    return seal(
        case_id=7, seq=1, trigger=trigger, from_state=from_state, to_state=to_state,
        actor=actor, role=role, at=AT, evidence={}, prev_hash=GENESIS_HASH,
    )  # fmt: skip


def stored(
    header: tuple[str, str, str, str, str], changed: str | None = None
) -> list[StoredEvent]:
    """One sealed event written to an in-memory SQLite table and read back the way verify
    reads it; `changed` names a column edited afterwards."""
    event = sealed(header)
    conn = sqlite3.connect(":memory:")
    conn.execute(TABLE)
    conn.execute(
        "INSERT INTO event VALUES "
        "(7, 1, ?, ?, ?, ?, ?, '2025-11-03 09:00:00.000000', '{}', ?, ?, ?)",
        (*header, event.prev_hash, event.hash, event.body),
    )
    if changed is not None:
        conn.execute(f'UPDATE event SET "{changed}" = "{changed}" || \'!\'')  # noqa: S608
    rows = conn.execute(f"SELECT {_STORED_COLUMNS['sqlite']} FROM event").fetchall()  # noqa: S608
    conn.close()
    return [StoredEvent._make((*row[:8], None)) for row in rows]


@settings(max_examples=300, deadline=None)
@given(st.tuples(texts, texts, texts, texts, texts))
def test_any_header_text_verifies_as_sealed(header: tuple[str, str, str, str, str]) -> None:
    event = sealed(header)

    report = verify_stored([(7, 1, event.hash)], stored(header))

    assert report.broken == [] and report.events == 1


@settings(max_examples=200, deadline=None)
@given(st.tuples(texts, texts, texts, texts, texts), st.sampled_from(COLUMNS))
def test_any_changed_header_column_is_named(
    header: tuple[str, str, str, str, str], column: str
) -> None:
    event = sealed(header)

    report = verify_stored([(7, 1, event.hash)], stored(header, column))

    assert [(b.seq, b.problem) for b in report.broken] == [(1, COLUMNS_CHANGED)]
