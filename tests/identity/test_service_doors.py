"""Issue 14: the administrative use cases (legal hold, erasure, outbox retry, workflow
migration, calendar import and re-projection, restore, init) live in cme/services/ and
authorize themselves, so a door other than the CLI (here `web`) gets the same refusal, the same
access-log entry and nothing written; and a permitted principal gets the typed result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cme.bootstrap import App
from cme.services import admin, calendars, migration, outbox, retention
from cme.services.errors import NotPermitted, Refused
from cme.services.principal import Principal
from storage.access import refusals
from tests.clocks.test_clock_cli import ICS
from tests.identity.conftest import Desk

WEB_CASEWORKER = Principal("wendy", "caseworker", "web")

CALLS: dict[str, Callable[[App, Path], Any]] = {
    "audit.hold": lambda a, _: retention.hold(a, WEB_CASEWORKER, 1, "serious case review"),
    "audit.hold.release": lambda a, _: retention.hold(a, WEB_CASEWORKER, 1, None, True),
    "audit.erase.dry_run": lambda a, _: retention.erase_due(a, WEB_CASEWORKER, True),
    "audit.erase": lambda a, _: retention.erase_due(a, WEB_CASEWORKER),
    "outbox.retry": lambda a, _: outbox.retry(a, WEB_CASEWORKER, 1),
    "workflow.migrate.dry_run": lambda a, _: migration.migrate(
        a, WEB_CASEWORKER, "school-referral", "0", {}, True
    ),
    "workflow.migrate": lambda a, _: migration.migrate(
        a, WEB_CASEWORKER, "school-referral", "0", {}
    ),
    "calendar.reproject": lambda a, _: calendars.reproject(a, WEB_CASEWORKER, "changed"),
    "calendar.import": lambda a, ics: calendars.import_school_feed(
        a, WEB_CASEWORKER, ics, "8212001", lambda: a
    ),
    "db.restore": lambda a, p: admin.restore(a, WEB_CASEWORKER, p / "none.db", True),
    "init": lambda a, _: admin.init(a, WEB_CASEWORKER),
}


@pytest.mark.parametrize("action", sorted(CALLS))
def test_a_web_door_is_refused_and_logged_like_the_cli(
    sqlite_desk: Desk, tmp_path: Path, action: str
) -> None:
    case_id = sqlite_desk.open_case()
    assert case_id == 1
    ics = tmp_path / "school.ics"
    ics.write_text(ICS)
    before, logged_before = sqlite_desk.snapshot(), len(refusals(sqlite_desk.db))
    app = sqlite_desk.app()
    with pytest.raises(NotPermitted) as refused:
        CALLS[action](app, tmp_path)
    assert refused.value.details()["action"] == action
    assert refused.value.kind == "NotPermitted"
    log = refusals(sqlite_desk.db)
    assert len(log) == logged_before + 1
    assert (log[0]["actor"], log[0]["role"]) == ("wendy", "caseworker")
    assert log[0]["detail"].startswith(f"{action}: ")
    assert sqlite_desk.snapshot() == before


def test_a_permitted_web_door_gets_the_typed_result(sqlite_desk: Desk) -> None:
    case_id = sqlite_desk.open_case()
    app = sqlite_desk.app()
    auditor = Principal("ada", "auditor", "web")
    state = retention.hold(app, auditor, case_id, "  serious case review ")
    assert state.held and state.reason == "serious case review"
    assert state.as_json()["since"] == state.since.isoformat()  # type: ignore[union-attr]
    with pytest.raises(Refused) as refused:
        retention.hold(app, auditor, case_id, "")
    assert (refused.value.kind, str(refused.value)) == (
        "BadInput",
        "hold_reason: a legal hold needs --reason",
    )
    plan = retention.erase_due(app, auditor, dry_run=True)
    assert (plan.dry_run, plan.retention_years, plan.erased) == (True, 6, ())
