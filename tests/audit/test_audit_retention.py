"""Retention: `cme audit erase --due` redacts the personal data of closed cases past the
retention period, unless under legal hold; the chain still verifies and replays, and the
child's name is gone from every row of the case."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from cme.bootstrap import App
from engine.testing import FakeClock
from storage import audit as storage_audit
from tests.audit.conftest import CMEO, cme, open_case, walk

TABLES = {
    "event": "case_id",
    "case": "id",
    "timer": "case_id",
    "outbox": "case_id",
    "access_log": "case_id",
}


def close(app: App, case_id: int) -> None:
    app.engine.apply(
        case_id,
        "close_case",
        {
            "case_outcome": "on_roll_elsewhere",
            "closure_reason": "Sam Testchild is at another school",
        },
        CMEO,
    )


def rows_of(app: App, case_id: int) -> str:
    """Every row the database holds for a case (and its child), as text."""
    dump = []
    with app.db.connect() as conn:
        for table, column in TABLES.items():
            dump += [
                str(tuple(r))
                for r in conn.execute(
                    text(f'SELECT * FROM "{table}" WHERE {column} = :c'),  # noqa: S608 - fixed names
                    {"c": case_id},
                )
            ]
        dump += [
            str(tuple(r))
            for r in conn.execute(
                text('SELECT * FROM child WHERE id = (SELECT child_id FROM "case" WHERE id = :c)'),
                {"c": case_id},
            )
        ]
    return "\n".join(dump)


@pytest.fixture
def closed(app: App) -> dict[str, int]:
    """Three cases closed on Mon 3 Nov 2025 (one held) and one still open; the clock then
    moves on six years and a day."""
    ids = {name: open_case(app) for name in ("old", "held", "open")}
    for name in ("old", "held"):
        walk(app, ids[name])
        close(app, ids[name])
    cme("case", "show", str(ids["old"]))
    cme("audit", "hold", str(ids["held"]), "--reason", "serious case review 2031/4", "--json")
    assert isinstance(app.clock, FakeClock)
    app.clock.advance(timedelta(days=6 * 365 + 2))
    return ids


def test_a_dry_run_lists_the_cases_due_and_erases_nothing(
    app: App, closed: dict[str, int]
) -> None:
    planned = cme("audit", "erase", "--due", "--dry-run", "--json")

    assert [c["case_id"] for c in planned["erased"]] == [closed["old"]]
    assert (planned["retention_years"], planned["dry_run"]) == (6, True)
    assert "Testchild" in rows_of(app, closed["old"])


def test_the_cases_due_are_found_across_pages(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [open_case(app) for _ in range(5)]
    for case_id in ids[:2] + ids[3:]:  # the middle one stays open
        close(app, case_id)
    assert isinstance(app.clock, FakeClock)
    app.clock.advance(timedelta(days=6 * 365 + 2))
    monkeypatch.setattr(storage_audit, "CASE_PAGE", 1)  # a page per case found

    planned = cme("audit", "erase", "--due", "--dry-run", "--json")

    assert [c["case_id"] for c in planned["erased"]] == ids[:2] + ids[3:]


def test_erasure_removes_the_child_from_every_row_and_the_chain_still_verifies_and_replays(
    app: App, closed: dict[str, int], key_file: Path
) -> None:
    cme("audit", "checkpoint")
    assert "Testchild" in rows_of(app, closed["old"])

    done = cme("audit", "erase", "--due", "--role", "admin", "--json")

    assert [(c["case_id"], c["events_redacted"]) for c in done["erased"]] == [(closed["old"], 4)]
    assert "Testchild" not in rows_of(app, closed["old"])
    assert "H801200001001" not in rows_of(app, closed["old"])
    assert "Testchild" in rows_of(app, closed["held"])
    report = cme("audit", "verify", "--json")
    assert (report["ok"], report["checkpoint"]["signature"]) == (True, "valid")
    replayed = cme("audit", "replay", str(closed["old"]), "--json")
    assert (replayed["state"], replayed["problems"], replayed["differences"]) == ("closed", [], [])
    history = cme("audit", "history", str(closed["old"]), "--json")
    assert history[0]["evidence"]["redacted"] is True
    assert (history[-1]["trigger"], history[-1]["evidence"]["events_redacted"]) == ("erased", 4)
    assert cme("audit", "erase", "--due", "--role", "admin", "--json")["erased"] == []


def test_a_released_hold_lets_the_case_be_erased(app: App, closed: dict[str, int]) -> None:
    cme("audit", "hold", str(closed["held"]), "--release", "--role", "admin")

    done = cme("audit", "erase", "--due", "--role", "admin", "--json")

    assert [c["case_id"] for c in done["erased"]] == [closed["old"], closed["held"]]


def test_retention_is_configurable_and_a_case_not_yet_due_is_kept(
    app: App, closed: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    app.settings.retention_years = 7  # CME_RETENTION_YEARS=7, read when the app is built

    assert cme("audit", "erase", "--due", "--role", "admin", "--json")["erased"] == []


def test_a_hold_needs_a_reason_and_erase_needs_a_scope(app: App, closed: dict[str, int]) -> None:
    no_reason = cme("audit", "hold", str(closed["old"]), "--json", code=2)
    no_scope = cme("audit", "erase", "--json", code=2)

    assert no_reason["error"]["message"] == "hold_reason: a legal hold needs --reason"
    assert no_scope["error"]["message"].startswith("erase_scope:")
