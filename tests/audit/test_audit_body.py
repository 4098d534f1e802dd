"""Each event keeps the exact canonical JSON its hash covers (`event.body`, schema 0004), and
`cme audit verify` checks chains from what the database stores: the hash over the body, the
body against the event's columns, the evidence against the body's digest. Events stored before
bodies were (body NULL) verify the slow way. Runs on a SQLite file and, when configured,
PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine, text

from cme.bootstrap import App
from engine import Actor
from engine.audit import (
    COLUMNS_CHANGED,
    CONTENT_CHANGED,
    StoredEvent,
    body_text,
    event_body,
    redact,
    seal,
    sealed_text,
    verify_stored,
)
from engine.ports import GENESIS_HASH, EventRecord
from storage import audit as storage_audit
from storage import queries
from storage.audit import verify_chains
from storage.database import make_engine
from storage.migrate import alembic_config
from storage.tables import Json, UTCDateTime, event_table
from tests.audit.conftest import CMEO, broken, cme, tampering
from tests.support import school_referral

AT = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
ODD = 'O\'Brien "Jo" \\ back\nslash\ttab\x01\x1f\x7f é 😀 \u2028 </script>'
"""Text whose JSON form needs every kind of escape (and some that need none)."""


def stored(db: Engine, case_id: int) -> list[Any]:
    with db.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT seq, prev_hash, hash, body FROM event WHERE case_id = :c ORDER BY seq"
                ),
                {"c": case_id},
            )
        )


# --- the stored body -------------------------------------------------------------------------
def test_each_event_stores_the_exact_text_its_hash_covers(app: App, cases: list[int]) -> None:
    rows = stored(app.db, cases[0])
    events = queries.events(app.db, cases[0])

    for row, event in zip(rows, events, strict=True):
        rebuilt = event_body(
            event.case_id,
            event.seq,
            event.trigger,
            event.from_state,
            event.to_state,
            event.actor,
            event.role,
            event.at,
            event.evidence,
        )
        assert row.body == body_text(rebuilt) == event.body
        assert (
            hashlib.sha256(row.prev_hash.encode("ascii") + row.body.encode("utf-8")).hexdigest()
            == row.hash
        )
    assert [r.seq for r in rows] == [1, 2, 3]


def test_sealing_keeps_the_text_it_hashed() -> None:
    event = seal(
        case_id=7,
        seq=1,
        trigger="open_case",
        from_state="",
        to_state="received",
        actor=ODD,
        role="cmeo",
        at=AT,
        evidence={"a": ODD},
        prev_hash=GENESIS_HASH,
    )

    assert json.loads(event.body)["actor"] == ODD
    assert event.hash == hashlib.sha256((GENESIS_HASH + event.body).encode("utf-8")).hexdigest()


def test_the_sealed_text_of_an_event_stored_without_its_body_is_rebuilt_exactly() -> None:
    event = seal(
        case_id=7,
        seq=1,
        trigger="open_case",
        from_state="",
        to_state="received",
        actor=ODD,
        role="cmeo",
        at=AT,
        evidence={"a": ODD},
        prev_hash=GENESIS_HASH,
    )
    redacted = replace(event, evidence=redact(event.evidence))

    assert sealed_text(replace(event, body="")) == event.body
    assert sealed_text(replace(redacted, body="")) == event.body  # through the kept digest


# --- the fast path catches what the slow one did, from stored bytes --------------------------
COLUMN_EDITS = {
    "to_state": "UPDATE event SET to_state = 'closed' WHERE case_id = :c AND seq = 2",
    "actor": "UPDATE event SET actor = 'mallory' WHERE case_id = :c AND seq = 2",
    "role": "UPDATE event SET role = 'manager' WHERE case_id = :c AND seq = 2",
    "trigger": "UPDATE event SET \"trigger\" = 'close_case' WHERE case_id = :c AND seq = 2",
    "from_state": "UPDATE event SET from_state = 'enquiries' WHERE case_id = :c AND seq = 2",
}


@pytest.mark.parametrize("column", [*COLUMN_EDITS, "at"])
def test_an_edited_column_is_named_at_that_event(app: App, cases: list[int], column: str) -> None:
    with tampering(app.db) as conn:
        if column != "at":
            sql = COLUMN_EDITS[column]
        elif conn.dialect.name == "sqlite":
            sql = (
                "UPDATE event SET at = '2025-11-03 09:00:01.000000' WHERE case_id = :c AND seq = 2"
            )
        else:
            sql = "UPDATE event SET at = at + interval '1 second' WHERE case_id = :c AND seq = 2"
        conn.execute(text(sql), {"c": cases[1]})

    report = cme("audit", "verify", "--json", code=1)

    assert broken(report) == [(cases[1], 2, COLUMNS_CHANGED)]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL's columns are typed
def test_a_column_holding_a_blob_is_named_and_the_walk_goes_on(
    app: App, cases: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # only SQLite can hold a BLOB in a text column, and its json_array refuses one: the
    # fast read fails mid-page and the rest is read the safe way
    monkeypatch.setattr(storage_audit, "CHUNK", 2)
    with tampering(app.db) as conn:
        conn.execute(
            text("UPDATE event SET actor = CAST(actor AS BLOB) WHERE case_id = :c AND seq = 2"),
            {"c": cases[1]},
        )

    report = verify_chains(app.db)

    assert [(b.case_id, b.seq, b.problem) for b in report.broken] == [
        (cases[1], 2, COLUMNS_CHANGED)
    ]
    assert (report.cases, report.events) == (3, 9)


@pytest.mark.parametrize(
    "new_body",
    [
        "replace(body, 'alice', 'mallory')",  # still canonical JSON, another actor
        "'not json at all'",
        "'{\"case_id\": 1}'",
    ],
)
def test_an_edited_body_is_named_at_that_event(app: App, cases: list[int], new_body: str) -> None:
    with tampering(app.db) as conn:
        conn.execute(
            text(f"UPDATE event SET body = {new_body} WHERE case_id = :c AND seq = 3"),  # noqa: S608 - fixed texts
            {"c": cases[2]},
        )

    report = cme("audit", "verify", "--json", code=1)

    assert broken(report) == [(cases[2], 3, CONTENT_CHANGED)]
    assert report["broken"][0]["expected"] != report["broken"][0]["stored"]


@pytest.mark.parametrize(
    "evidence",
    [
        '{"enquiry_method":"visit","made_on":"2025-11-03","summary":"no answer"}',  # canonical
        '{"made_on": "2025-11-03", "enquiry_method": "telephone", "summary": "no reply"}',
        '{"redacted": true, "evidence_sha256": "' + "0" * 64 + '"}',
    ],
)
def test_edited_evidence_is_named_at_that_event(app: App, cases: list[int], evidence: str) -> None:
    with tampering(app.db) as conn:
        conn.execute(
            text("UPDATE event SET evidence = :e WHERE case_id = :c AND seq = 3"),
            {"e": evidence, "c": cases[0]},
        )

    report = cme("audit", "verify", "--json", code=1)

    assert broken(report) == [(cases[0], 3, CONTENT_CHANGED)]
    assert report["broken"][0]["expected"] != report["broken"][0]["stored"]


def test_evidence_that_is_not_json_is_a_broken_link_not_a_crash(
    app: App, cases: list[int]
) -> None:
    # SQLite holds any text; PostgreSQL's JSONB only JSON, so there a JSON string stands in
    # for the garbage (evidence that is not an object, whose digest no body holds)
    garbage = "'garbage'" if app.db.dialect.name == "sqlite" else "'\"garbage\"'"
    with tampering(app.db) as conn:
        conn.execute(
            text(f"UPDATE event SET evidence = {garbage} WHERE case_id = :c AND seq = 1"),  # noqa: S608
            {"c": cases[0]},
        )

    report = verify_chains(app.db)

    assert [(b.case_id, b.seq, b.problem) for b in report.broken] == [
        (cases[0], 1, CONTENT_CHANGED)
    ]


def test_redacted_evidence_still_verifies(app: App, cases: list[int]) -> None:
    with app.db.begin() as conn:  # the one UPDATE the database allows
        for seq, evidence in conn.execute(
            text("SELECT seq, evidence FROM event WHERE case_id = :c"), {"c": cases[1]}
        ).all():
            value = json.loads(evidence) if isinstance(evidence, str) else evidence
            conn.execute(
                text("UPDATE event SET evidence = :e WHERE case_id = :c AND seq = :s"),
                {"e": json.dumps(redact(value)), "c": cases[1], "s": seq},
            )

    report = cme("audit", "verify", "--json")

    assert (report["ok"], report["events"]) == (True, 9)


def test_text_needing_every_json_escape_verifies(app: App) -> None:
    odd = Actor(ODD, "cmeo")
    case_id = app.engine.open_case("school-referral", school_referral(), odd).case.id
    app.engine.apply(case_id, "begin_enquiries", {}, odd)

    report = cme("audit", "verify", "--json")

    assert (report["ok"], report["events"]) == (True, 2)
    assert json.loads(stored(app.db, case_id)[0].body)["actor"] == ODD


# --- events stored before bodies were --------------------------------------------------------
def test_events_without_a_body_verify_the_slow_way_across_pages_and_chunks(
    app: App, cases: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage_audit, "EVENT_PAGE", 4)
    monkeypatch.setattr(storage_audit, "HEAD_PAGE", 2)
    monkeypatch.setattr(storage_audit, "CHUNK", 3)
    with tampering(app.db) as conn:  # as migration 0004 leaves events written before it
        conn.execute(
            text("UPDATE event SET body = NULL WHERE seq <= 2 OR case_id = :c"), {"c": cases[2]}
        )
    app.engine.apply(cases[0], "update_risk", {"risk_flags": "runaway"}, CMEO)  # has a body

    clean = verify_chains(app.db)
    with tampering(app.db) as conn:
        conn.execute(
            text("UPDATE event SET actor = 'mallory' WHERE case_id = :c AND seq = 2"),
            {"c": cases[1]},
        )
    dirty = verify_chains(app.db)

    assert (clean.cases, clean.events, clean.broken) == (3, 10, [])
    assert [(b.case_id, b.seq, b.problem) for b in dirty.broken] == [
        (cases[1], 2, CONTENT_CHANGED)
    ]
    assert [e.body == "" for e in queries.events(app.db, cases[0])] == [
        True,
        True,
        False,
        False,
    ]


def test_verifying_one_case_reads_only_its_events(app: App, cases: list[int]) -> None:
    with tampering(app.db) as conn:
        conn.execute(text("DELETE FROM event WHERE case_id = :c AND seq = 2"), {"c": cases[0]})

    one = verify_chains(app.db, cases[1])
    other = verify_chains(app.db, cases[0])

    assert (one.cases, one.events, one.broken) == (1, 3, [])
    assert [(b.seq, b.problem) for b in other.broken] == [
        (3, "sequence jumps from 1 to 3 (an event is missing or out of order)")
    ]


# --- the checks themselves, without a database -----------------------------------------------
def as_stored(event: EventRecord, evidence: bytes | None = None) -> StoredEvent:
    """The event as storage reads it."""
    return StoredEvent(
        event.case_id,
        event.seq,
        event.prev_hash,
        event.hash,
        event.body,
        json.dumps(dict(event.evidence)).encode() if evidence is None else evidence,
        header(event.actor, event.from_state, event.role, event.to_state, event.trigger),
        event.at.strftime("%Y-%m-%d %H:%M:%S.%f"),
        None,
    )


def header(*values: object) -> str:
    """The header as SQLite's json_array writes it."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def chain() -> list[EventRecord]:
    first = seal(
        case_id=7,
        seq=1,
        trigger="open_case",
        from_state="",
        to_state="received",
        actor=ODD,
        role=ODD,
        at=AT,
        evidence={"n": ODD},
        prev_hash=GENESIS_HASH,
    )
    second = seal(
        case_id=7,
        seq=2,
        trigger="begin_enquiries",
        from_state="received",
        to_state=ODD,
        actor="a",
        role="b",
        at=AT,
        evidence={},
        prev_hash=first.hash,
    )
    return [first, second]


def canonical(event: EventRecord) -> bytes:
    return json.dumps(
        dict(event.evidence), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def test_the_fast_check_agrees_with_the_canonical_json_for_odd_text() -> None:
    events = chain()

    fast = verify_stored([(7, 2, events[1].hash)], [as_stored(e, canonical(e)) for e in events])
    reparsed = verify_stored([(7, 2, events[1].hash)], [as_stored(e) for e in events])
    legacy = verify_stored(
        [(7, 2, events[1].hash)],
        [as_stored(e)._replace(body=None, record=e) for e in events],
    )

    assert [r.broken for r in (fast, reparsed, legacy)] == [[], [], []]
    assert [(r.cases, r.events) for r in (fast, reparsed, legacy)] == [(1, 2)] * 3


def test_values_of_the_wrong_type_are_broken_links_not_crashes() -> None:
    events = chain()
    # an actor holding a number
    row = as_stored(events[1], canonical(events[1]))._replace(
        header=header(42, "received", "b", "a", "begin_enquiries")
    )

    report = verify_stored(
        [(7, 2, events[1].hash)],
        [as_stored(events[0], canonical(events[0])), row],
    )

    assert [(b.seq, b.problem) for b in report.broken] == [(2, COLUMNS_CHANGED)]


# --- migration 0004 --------------------------------------------------------------------------
OLD_CASE = sa.table(
    "case",
    *(sa.column(c) for c in ("id", "workflow", "definition_hash", "state", "priority")),
    *(sa.column(c) for c in ("version", "head_hash")),
    sa.column("facts", Json),
    *(sa.column(c, UTCDateTime) for c in ("opened_at", "state_entered_at", "updated_at")),
)
OLD_EVENT = sa.table(
    "event",
    *(sa.column(c) for c in ("case_id", "seq", "trigger", "from_state", "to_state")),
    *(sa.column(c) for c in ("actor", "role", "prev_hash", "hash")),
    sa.column("at", UTCDateTime),
    sa.column("evidence", Json),
)
"""The tables as schema 0003 has them (no `body`)."""


@pytest.fixture
def at_0003(db_url: str) -> Iterator[Engine]:
    """A database at schema 0003 holding one case of two events."""
    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0003")
    first = seal(
        case_id=1,
        seq=1,
        trigger="open_case",
        from_state="",
        to_state="received",
        actor="alice",
        role="cmeo",
        at=AT,
        evidence={"x": "1"},
        prev_hash=GENESIS_HASH,
    )
    second = seal(
        case_id=1,
        seq=2,
        trigger="begin_enquiries",
        from_state="received",
        to_state="enquiries",
        actor="alice",
        role="cmeo",
        at=AT,
        evidence={},
        prev_hash=first.hash,
    )
    with engine.begin() as conn:
        conn.execute(
            sa.insert(OLD_CASE).values(
                id=1,
                workflow="school-referral",
                definition_hash="d" * 64,
                state="enquiries",
                priority="standard",
                version=2,
                head_hash=second.hash,
                facts={},
                opened_at=AT,
                state_entered_at=AT,
                updated_at=AT,
            )
        )
        for e in (first, second):
            conn.execute(
                sa.insert(OLD_EVENT).values(
                    case_id=e.case_id,
                    seq=e.seq,
                    trigger=e.trigger,
                    from_state=e.from_state,
                    to_state=e.to_state,
                    actor=e.actor,
                    role=e.role,
                    prev_hash=e.prev_hash,
                    hash=e.hash,
                    at=e.at,
                    evidence=dict(e.evidence),
                )
            )
    yield engine
    engine.dispose()


def refused(engine: Engine, sql: str) -> bool:
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    except Exception as exc:  # noqa: BLE001 - either dialect's error
        return "append-only" in str(exc)
    return False


def test_migration_0004_adds_the_body_and_guards_it_on_both_databases(
    at_0003: Engine,
) -> None:
    command.upgrade(alembic_config(at_0003), "head")
    head = stored(at_0003, 1)[1].hash
    third = seal(
        case_id=1,
        seq=3,
        trigger="update_risk",
        from_state="enquiries",
        to_state="enquiries",
        actor="bob",
        role="cmeo",
        at=AT,
        evidence={},
        prev_hash=head,
    )
    with at_0003.begin() as conn:
        conn.execute(
            sa.insert(event_table).values(
                case_id=1,
                seq=3,
                trigger=third.trigger,
                from_state=third.from_state,
                to_state=third.to_state,
                actor=third.actor,
                role=third.role,
                at=third.at,
                evidence={},
                prev_hash=third.prev_hash,
                hash=third.hash,
                body=third.body,
            )
        )
        conn.execute(text('UPDATE "case" SET version = 3, head_hash = :h'), {"h": third.hash})
    digest = "a" * 64

    report = verify_chains(at_0003)

    assert [r.body for r in stored(at_0003, 1)] == [None, None, third.body]
    assert (report.cases, report.events, report.broken) == (1, 3, [])
    assert refused(at_0003, "UPDATE event SET body = 'x' WHERE seq = 3")
    assert refused(at_0003, "UPDATE event SET body = 'x' WHERE seq = 1")  # nor filled in later
    assert refused(at_0003, "UPDATE event SET actor = 'mallory' WHERE seq = 2")
    assert not refused(
        at_0003,
        f'UPDATE event SET evidence = \'{{"redacted": true, "evidence_sha256": "{digest}"}}\' '  # noqa: S608 - fixed text
        "WHERE seq = 3",
    )


def test_migration_0004_downgrades_to_0003_and_keeps_the_guard(at_0003: Engine) -> None:
    config = alembic_config(at_0003)
    command.upgrade(config, "head")

    command.downgrade(config, "0003")

    assert "body" not in {c["name"] for c in sa.inspect(at_0003).get_columns("event")}
    assert refused(at_0003, "UPDATE event SET actor = 'mallory' WHERE seq = 2")
