"""`cme workflow migrate`: running cases move onto a stored definition version only when every
state exists there or is mapped; each gets a `migrated` event, re-projected deadlines, and
replay follows the version switch."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

import workflows
from cme import console
from cme.bootstrap import App
from engine.testing import FakeClock
from tests.audit.conftest import CMEO, cme, open_case, walk


@pytest.fixture
def new_version_app(
    app: App,
    app_factory: Callable[..., App],
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> App:
    """The same database with a changed chart 2: `home_visit_1` renamed `first_visit_made`
    and the 'case has not moved' deadline in `received` lengthened from 5 to 7 school days."""
    source = next(p for p in workflows.definition_files() if p.name == "school-referral.yaml")
    changed = re.sub(r"\bhome_visit_1\b", "first_visit_made", source.read_text())
    changed = changed.replace(
        "after: 5, high_priority_after: 2", "after: 7, high_priority_after: 2", 1
    )
    folder = tmp_path / "charts"
    folder.mkdir()
    (folder / "school-referral.yaml").write_text(changed)
    application = app_factory(
        db_url,
        app.clock,
        workflows_dir=str(folder),
        actor="admin1",
        role="admin",  # migrate: admin only (issue 13)
    )
    monkeypatch.setattr(console, "APP_FACTORY", lambda: application)
    return application


@pytest.fixture
def running(app: App) -> dict[str, int]:
    """One case still received, one at its first home visit (opened on the shipped chart)."""
    waiting = open_case(app)
    visited = open_case(app)
    walk(app, visited)
    assert isinstance(app.clock, FakeClock)
    app.clock.advance(timedelta(hours=1))
    app.engine.apply(
        visited,
        "record_first_visit",
        {"visited_at": "2025-11-03T09:30", "officer": "Bob Visitor", "outcome": "no_contact"},
        CMEO,
    )
    return {"waiting": waiting, "visited": visited}


def test_a_state_missing_from_the_new_version_refuses_the_whole_migration(
    running: dict[str, int], new_version_app: App
) -> None:
    version = new_version_app.registry.current("school-referral").version

    refused = cme("workflow", "migrate", "school-referral", "--to", version[:10], "--json", code=2)

    assert refused["error"]["kind"] == "MigrationRefused"
    assert refused["error"]["cases"] == [
        {
            "case_id": running["visited"],
            "state": "home_visit_1",
            "rule": f"state_missing: 'home_visit_1' is not in version {version[:12]}; "
            "map it with --map home_visit_1=NEW_STATE",
        }
    ]
    assert cme("audit", "history", str(running["waiting"]), "--json")[-1]["trigger"] == "open_case"


def test_a_dry_run_plans_the_mapped_migration_and_writes_nothing(
    running: dict[str, int], new_version_app: App
) -> None:
    version = new_version_app.registry.current("school-referral").version

    planned = cme(
        "workflow",
        "migrate",
        "school-referral",
        "--to",
        version[:10],
        "--map",
        "home_visit_1=first_visit_made",
        "--dry-run",
        "--json",
    )

    assert [(c["case_id"], c["from_state"], c["to_state"]) for c in planned["cases"]] == [
        (running["waiting"], "received", "received"),
        (running["visited"], "home_visit_1", "first_visit_made"),
    ]
    assert new_version_app.engine.get(running["visited"]).state == "home_visit_1"


def test_migrated_cases_carry_the_event_new_deadlines_and_replay_across_the_switch(
    app: App, running: dict[str, int], new_version_app: App
) -> None:
    old = app.engine.get(running["visited"]).definition_hash
    version = new_version_app.registry.current("school-referral").version
    assert isinstance(app.clock, FakeClock)
    app.clock.advance(timedelta(hours=2))  # migrated at 12:00, the first visit was at 10:00

    moved = cme(
        "workflow",
        "migrate",
        "school-referral",
        "--to",
        version[:10],
        "--map",
        "home_visit_1=first_visit_made",
        "--json",
    )
    app.clock.advance(timedelta(days=1, hours=3))
    new_version_app.engine.apply(
        running["visited"],
        "record_second_visit",
        {"visited_at": "2025-11-04T14:00", "officer": "Bob Visitor", "outcome": "no_contact"},
        CMEO,
    )

    waiting = next(c for c in moved["cases"] if c["case_id"] == running["waiting"])
    assert waiting["deadlines"]["case_stalled"] == "2025-11-12"  # 7 school days, not 5
    last = cme("audit", "history", str(running["visited"]), "--json")[-2]
    assert (last["trigger"], last["from"], last["to"], last["role"]) == (
        "migrated",
        "home_visit_1",
        "first_visit_made",
        "admin",
    )
    assert (last["evidence"]["from_version"], last["evidence"]["to_version"]) == (old, version)
    now = cme("audit", "replay", str(running["visited"]), "--json")
    assert (now["state"], now["definition_version"], now["problems"], now["differences"]) == (
        "home_visit_2",
        version,
        [],
        [],
    )
    before = cme(
        "audit", "replay", str(running["visited"]), "--as-of", "2025-11-03T10:30", "--json"
    )
    assert (before["state"], before["definition_version"]) == ("home_visit_1", old)
    assert cme("audit", "verify", "--json")["ok"] is True
    again = cme("workflow", "migrate", "school-referral", "--to", version[:10], "--json")
    assert again["cases"] == []


def test_an_unknown_or_ambiguous_version_is_refused(
    running: dict[str, int], new_version_app: App
) -> None:
    unknown = cme("workflow", "migrate", "school-referral", "--to", "zzzz", "--json", code=2)
    ambiguous = cme("workflow", "migrate", "school-referral", "--to", "", "--json", code=2)

    assert unknown["error"]["message"].startswith("version_unknown:")
    assert ambiguous["error"]["message"].startswith("version_ambiguous:")
