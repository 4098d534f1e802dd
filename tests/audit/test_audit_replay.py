"""`cme audit replay`, `history`, `export`, `verify --file` and `access`: a case rebuilt as it
stood at a moment, from its events, the timers table and the outbox; an export verified with
no database; every read of a case in the access log."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from cme import console
from cme.bootstrap import App
from engine.audit import COLUMNS_CHANGED, CONTENT_CHANGED
from engine.testing import FakeClock
from tests.audit.conftest import cme, open_case, walk


@pytest.fixture
def fired(app: App) -> int:
    """A case opened Mon 3 Nov 09:00; its 'case has not moved' deadline (5 school days, Mon
    10 Nov) fired by a tick on Tue 11 Nov 10:00."""
    case_id = open_case(app)
    assert isinstance(app.clock, FakeClock)
    app.clock.advance(timedelta(days=8, hours=1))
    app.engine.fire_due_timers()
    return case_id


def test_replay_before_a_timer_fired_shows_it_pending_and_no_reminder_yet(
    app: App, fired: int
) -> None:
    before = cme("audit", "replay", str(fired), "--as-of", "2025-11-07T12:00", "--json")

    assert (before["state"], before["version"], before["legal"]) == ("received", 1, True)
    pending = {d["deadline"]: d for d in before["deadlines"]}
    assert pending["case_stalled"]["due_on"] == "2025-11-10"
    assert pending["case_stalled"]["unit"] == "school_days"
    assert pending["case_stalled"]["calendar"]
    assert pending["case_stalled"]["status_now"] == "fired"
    assert "case_stalled" not in {n["template"] for n in before["notifications"]}
    assert before["later_events"] >= 1
    assert before["differences"] == []


def test_replay_after_a_timer_fired_shows_its_reminder_and_matches_the_stored_case(
    app: App, fired: int
) -> None:
    after = cme("audit", "replay", str(fired), "--as-of", "2025-11-11T12:00", "--json")
    now = cme("audit", "replay", str(fired), "--json")

    assert "case_stalled" not in {d["deadline"] for d in after["deadlines"]}
    assert "case_stalled" in {n["template"] for n in after["notifications"]}
    assert "deadline_reached" in [e["trigger"] for e in after["events"]]
    assert (after["later_events"], after["differences"], after["problems"]) == (0, [], [])
    assert (now["state"], now["version"]) == (after["state"], after["version"])


def test_replay_names_a_difference_from_the_stored_case(app: App) -> None:
    case_id = open_case(app)
    walk(app, case_id)
    with app.db.begin() as conn:
        conn.execute(
            text('UPDATE "case" SET state = :s WHERE id = :c'), {"s": "home_visit_1", "c": case_id}
        )

    report = cme("audit", "replay", str(case_id), "--json", code=1)

    assert report["differences"] == [
        {"field": "state", "replayed": "enquiries", "stored": "home_visit_1"}
    ]


def test_an_export_verifies_with_no_database_and_a_changed_export_does_not(
    app: App, key_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = open_case(app)
    walk(app, case_id)
    out = tmp_path / "case.jsonl"
    cme("audit", "export", str(case_id), "--out", str(out))

    def no_database() -> App:
        raise AssertionError("verify --file must not open the database")

    monkeypatch.setattr(console, "APP_FACTORY", no_database)
    monkeypatch.setattr(console, "SETTINGS", app.settings)  # as `cme.cli.main` reads them once
    good = cme("audit", "verify", "--file", str(out), "--json")
    lines = out.read_text().splitlines()
    event = json.loads(lines[4])
    event["evidence"]["summary"] = "changed"
    lines[4] = json.dumps(event)
    changed = tmp_path / "changed.jsonl"
    changed.write_text("\n".join(lines[:-1]) + "\n")  # and the signature dropped
    bad = cme("audit", "verify", "--file", str(changed), "--json", code=1)

    kinds = [json.loads(line)["kind"] for line in lines]
    assert kinds == ["case", "definition", "event", "event", "event", "signature"]
    assert (good["ok"], good["events"], good["signature"], good["replay_problems"]) == (
        True,
        3,
        "valid",
        [],
    )
    assert [(b["seq"], b["problem"]) for b in bad["broken"]] == [
        (3, "the event's content does not match its hash")
    ]
    assert bad["signature"] == "unsigned"


def test_an_export_carries_the_text_each_hash_covers(app: App, tmp_path: Path) -> None:
    case_id = open_case(app)
    walk(app, case_id)
    out = tmp_path / "case.jsonl"
    cme("audit", "export", str(case_id), "--out", str(out))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    events = [d for d in lines if d["kind"] == "event"]

    # anyone can check the chain with sha256 alone, knowing nothing of canonical JSON
    prev = "0" * 64
    for e in events:
        assert hashlib.sha256((prev + e["body"]).encode()).hexdigest() == e["hash"]
        assert json.loads(e["body"])["actor"] == e["actor"]
        prev = e["hash"]
    assert prev == lines[0]["head_hash"]

    def verify_edited(seq: int, field: str, value: str) -> list[tuple[int, str]]:
        edited = [dict(d, **{field: value}) if d.get("seq") == seq else d for d in lines]
        path = tmp_path / f"{field}.jsonl"
        path.write_text("".join(json.dumps(d) + "\n" for d in edited))
        report = cme("audit", "verify", "--file", str(path), "--json", code=1)
        return [(b["seq"], b["problem"]) for b in report["broken"]]

    assert verify_edited(2, "body", events[1]["body"].replace("alice", "mallory")) == [
        (2, CONTENT_CHANGED)
    ]
    assert verify_edited(2, "actor", "mallory") == [(2, COLUMNS_CHANGED)]


def test_every_read_of_a_case_is_in_its_access_log(app: App, tmp_path: Path) -> None:
    case_id = open_case(app)
    other = open_case(app)
    cme("case", "show", str(case_id), "--json")
    cme("case", "actions", str(case_id), "--json")
    cme("cases", "--json")
    cme("audit", "history", str(case_id), "--json")
    cme("audit", "replay", str(case_id), "--as-of", "2025-11-03T10:00", "--json")
    cme("audit", "export", str(case_id), "--out", str(tmp_path / "x.jsonl"))

    log = cme("audit", "access", str(case_id), "--json")
    others = cme("audit", "access", str(other), "--json")

    assert [(r["action"], r["actor"], r["role"]) for r in log] == [
        ("case show", "auditor1", "auditor"),
        ("case actions", "auditor1", "auditor"),
        ("cases", "auditor1", "auditor"),
        ("audit history", "auditor1", "auditor"),
        ("audit replay", "auditor1", "auditor"),
        ("audit export", "auditor1", "auditor"),
    ]
    assert log[4]["detail"] == "2025-11-03T10:00"
    assert [r["action"] for r in others] == ["cases"]


def test_history_prints_the_chain_in_order(app: App) -> None:
    case_id = open_case(app)
    walk(app, case_id)

    history = cme("audit", "history", str(case_id), "--json")

    assert [h["trigger"] for h in history] == ["open_case", "begin_enquiries", "record_enquiry"]
    assert [h["prev_hash"] for h in history[1:]] == [h["hash"] for h in history[:-1]]
