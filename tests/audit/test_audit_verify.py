"""`cme audit verify` and `cme audit checkpoint`: tampering done directly in the database is
caught and named (case, seq, expected vs stored); a deleted tail or case through the signed
checkpoint. Runs on a SQLite file and, when configured, PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from cme.bootstrap import App
from tests.audit.conftest import broken, cme, tampering


def test_untouched_chains_verify_with_exit_status_0(app: App, cases: list[int]) -> None:
    report = cme("audit", "verify", "--json")

    assert (report["ok"], report["cases"], report["events"], report["broken"]) == (
        True,
        3,
        9,
        [],
    )


def test_editing_an_events_evidence_is_named_at_that_event(app: App, cases: list[int]) -> None:
    with tampering(app.db) as conn:
        conn.execute(
            text("UPDATE event SET evidence = :e WHERE case_id = :c AND seq = 3"),
            {
                "e": '{"enquiry_method": "visit", "made_on": "2025-11-03", "summary": "no"}',
                "c": cases[1],
            },
        )

    report = cme("audit", "verify", "--json", code=1)

    assert broken(report) == [(cases[1], 3, "the event's content does not match its hash")]
    assert report["broken"][0]["expected"] != report["broken"][0]["stored"]


def test_deleting_an_event_is_named_where_the_sequence_jumps(app: App, cases: list[int]) -> None:
    with tampering(app.db) as conn:
        conn.execute(text("DELETE FROM event WHERE case_id = :c AND seq = 2"), {"c": cases[0]})

    report = cme("audit", "verify", "--json", code=1)

    assert broken(report) == [
        (cases[0], 3, "sequence jumps from 1 to 3 (an event is missing or out of order)")
    ]


def test_swapping_two_events_is_named_at_the_first_moved_one(app: App, cases: list[int]) -> None:
    with tampering(app.db) as conn:
        swap = "UPDATE event SET seq = :to WHERE case_id = :c AND seq = :seq"
        conn.execute(text(swap), {"to": -1, "c": cases[2], "seq": 2})
        conn.execute(text(swap), {"to": 2, "c": cases[2], "seq": 3})
        conn.execute(text(swap), {"to": 3, "c": cases[2], "seq": -1})

    report = cme("audit", "verify", "--json", code=1)

    assert broken(report) == [(cases[2], 2, "prev_hash does not match the previous event")]


def test_deleting_a_tail_the_case_row_still_counts_is_named(app: App, cases: list[int]) -> None:
    with tampering(app.db) as conn:
        conn.execute(text("DELETE FROM event WHERE case_id = :c AND seq = 3"), {"c": cases[0]})

    report = cme("audit", "verify", "--json", code=1)

    assert [(b[0], b[1]) for b in broken(report)] == [(cases[0], 3)]
    assert (
        "the chain ends at seq 2 but the case row says version 3" in report["broken"][0]["problem"]
    )


def test_deleting_a_tail_and_rewinding_the_case_row_is_caught_by_the_checkpoint(
    app: App, cases: list[int], key_file: Path
) -> None:
    cme("audit", "checkpoint", "--json")
    with tampering(app.db) as conn:
        conn.execute(text("DELETE FROM event WHERE case_id = :c AND seq = 3"), {"c": cases[1]})
        conn.execute(
            text(
                'UPDATE "case" SET version = 2, head_hash = '
                "(SELECT hash FROM event WHERE case_id = :c AND seq = 2) WHERE id = :c"
            ),
            {"c": cases[1]},
        )

    report = cme("audit", "verify", "--json", code=1)

    assert [(b[0], b[1]) for b in broken(report)] == [(cases[1], 3)]
    assert (
        "the chain no longer reaches seq 3 recorded by checkpoint 1"
        in report["broken"][0]["problem"]
    )
    assert report["checkpoint"]["signature"] == "valid"


def test_deleting_a_whole_case_is_caught_by_the_checkpoint(
    app: App, cases: list[int], key_file: Path
) -> None:
    cme("audit", "checkpoint")
    with tampering(app.db) as conn:
        for table in ("event", "timer", "outbox", "access_log"):
            sql = f"DELETE FROM {table} WHERE case_id = :c"  # noqa: S608 - fixed names
            conn.execute(text(sql), {"c": cases[2]})
        conn.execute(text('DELETE FROM "case" WHERE id = :c'), {"c": cases[2]})

    report = cme("audit", "verify", "--json", code=1)

    assert [(b[0], b[1]) for b in broken(report)] == [(cases[2], 3)]
    assert report["broken"][0]["problem"].startswith("the case was deleted: checkpoint 1")


def test_a_checkpoint_signed_by_another_key_or_altered_is_refused(
    app: App, cases: list[int], key_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cme("audit", "checkpoint")
    with app.db.begin() as conn:
        conn.execute(
            text("UPDATE audit_checkpoint_head SET seq = 2 WHERE case_id = :c"), {"c": cases[0]}
        )

    altered = cme("audit", "verify", "--json", code=1)
    cme("audit", "keygen", "--out", str(tmp_path / "other.pem"))
    app.settings.audit_key_file = tmp_path / "other.pem"  # CME_AUDIT_KEY_FILE, read at start
    other_key = cme("audit", "verify", "--json", code=1)

    assert "checkpoint 1: its list of heads was altered" in [
        b["problem"] for b in altered["broken"]
    ]
    assert other_key["checkpoint"]["signature"] == "invalid: signed by another key"


def test_verify_of_one_case_names_only_that_case(app: App, cases: list[int]) -> None:
    with tampering(app.db) as conn:
        conn.execute(text("DELETE FROM event WHERE case_id = :c AND seq = 2"), {"c": cases[0]})

    clean = cme("audit", "verify", str(cases[1]), "--json")
    dirty = cme("audit", "verify", str(cases[0]), code=1)

    assert (clean["ok"], clean["cases"], clean["events"]) == (True, 1, 3)
    assert f"BROKEN CME-{cases[0]:06d} seq 3" in dirty.stdout


def test_a_checkpoint_needs_a_key(
    app: App, cases: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    app.settings.audit_key_file = None  # no CME_AUDIT_KEY_FILE when the app was built

    refused = cme("audit", "checkpoint", "--json", code=2)

    assert refused["error"]["message"].startswith("audit_key: no signing key")


def test_the_database_refuses_every_change_to_an_event_but_redaction(
    app: App, cases: list[int]
) -> None:
    digest = "a" * 64
    attempts = {
        "evidence": "UPDATE event SET evidence = '{\"x\": 1}' WHERE case_id = :c AND seq = 2",
        "hash with redaction": (
            "UPDATE event SET hash = :h, evidence = :r WHERE case_id = :c AND seq = 2"
        ),
        "redaction with more": (
            "UPDATE event SET evidence = :more WHERE case_id = :c AND seq = 2"
        ),
        "two other keys": (
            'UPDATE event SET evidence = \'{"a": 1, "b": 2}\' WHERE case_id = :c AND seq = 2'
        ),
        "digest not hex": ("UPDATE event SET evidence = :nothex WHERE case_id = :c AND seq = 2"),
        "delete": "DELETE FROM event WHERE case_id = :c AND seq = 2",
    }
    refused = {}
    for name, sql in attempts.items():
        try:
            with app.db.begin() as conn:
                conn.execute(
                    text(sql),
                    {
                        "c": cases[0],
                        "h": digest,
                        "r": f'{{"redacted": true, "evidence_sha256": "{digest}"}}',
                        "more": f'{{"redacted": true, "evidence_sha256": "{digest}", "x": 1}}',
                        "nothex": f'{{"redacted": true, "evidence_sha256": "{"z" * 64}"}}',
                    },
                )
        except Exception as exc:  # noqa: BLE001 - either dialect's error
            refused[name] = "append-only" in str(exc)
    with app.db.begin() as conn:
        conn.execute(
            text("UPDATE event SET evidence = :r WHERE case_id = :c AND seq = 1"),
            {"c": cases[1], "r": f'{{"redacted": true, "evidence_sha256": "{digest}"}}'},
        )
    try:
        with app.db.begin() as conn:
            conn.execute(
                text("UPDATE event SET evidence = :r WHERE case_id = :c AND seq = 1"),
                {"c": cases[1], "r": f'{{"redacted": true, "evidence_sha256": "{"b" * 64}"}}'},
            )
    except Exception as exc:  # noqa: BLE001 - either dialect's error
        refused["a second redaction"] = "append-only" in str(exc)
    with app.db.begin() as conn:
        allowed = conn.execute(
            text("UPDATE event SET evidence = :r WHERE case_id = :c AND seq = 2"),
            {"c": cases[0], "r": f'{{"redacted": true, "evidence_sha256": "{digest}"}}'},
        ).rowcount

    assert refused == dict.fromkeys([*attempts, "a second redaction"], True)
    assert allowed == 1
