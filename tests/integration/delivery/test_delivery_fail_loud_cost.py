"""What a message nobody can receive costs (issue 14, bench figure 2), without weakening issue
12's rule: the failed rows, their events and the alert are all still written in the same commit.

* the alert about a failed message does not read the case's history (its letter names the
  message, not the concern; `workflows.letters.mash_ladder` is not worked out for it);
* one error line per unaddressed message, naming the alert about it that could not be
  addressed either (a catch-up of thousands logs one line per escalation, not two).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from cme.bootstrap import App
from storage import queries
from storage.outbox import SqlOutboxStore
from storage.unit_of_work import SqlUnitOfWork
from tests.integration.delivery.conftest import MakeApp, open_case, raise_concern

NO_MASH = "no address configured for role mash (set CME_MASH_EMAIL)"


def _rows(application: App, case_id: int) -> list[tuple[str, str, str]]:
    rows = SqlOutboxStore(application.db).list(case_id=case_id, limit=100)
    return [
        (m.template, m.recipient_role, m.status) for m in sorted(rows, key=lambda m: m.id or 0)
    ]


def test_the_alert_about_an_unaddressed_escalation_reads_no_history(
    delivery_app: MakeApp, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = delivery_app(None, db_url, mash_email=None, cmeo_email=None, manager_email=None)
    case_id = open_case(app)
    reads: list[int] = []
    events = SqlUnitOfWork.events

    def counted(self: SqlUnitOfWork, case: int) -> Any:
        reads.append(case)
        return events(self, case)

    monkeypatch.setattr(SqlUnitOfWork, "events", counted)

    raise_concern(app, case_id)

    assert reads == []
    assert _rows(app, case_id)[-2:] == [
        ("mash_escalation", "mash", "failed"),
        ("delivery_failed", "cmeo", "failed"),
    ]
    failed = [
        e.evidence["template"]
        for e in queries.events(app.db, case_id)
        if e.trigger == "notification_failed"
    ]
    assert failed[-2:] == ["mash_escalation", "delivery_failed"]


def test_one_error_line_names_the_message_and_its_unaddressed_alert(
    delivery_app: MakeApp, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = delivery_app(None, db_url, mash_email=None, cmeo_email=None, manager_email=None)
    case_id = open_case(app)
    caplog.clear()

    with caplog.at_level(logging.ERROR, logger="cme.engine"):
        raise_concern(app, case_id)

    lines = [r.getMessage() for r in caplog.records if r.name == "cme.engine"]
    assert lines == [
        "case CME-000001: mash_escalation to mash not addressed: "
        f"{NO_MASH} (its alert, delivery_failed to cmeo, not addressed either: no address "
        "configured for role cmeo (set CME_CMEO_EMAIL) nor for role manager "
        "(set CME_MANAGER_EMAIL))"
    ]


def test_an_addressed_alert_leaves_the_line_about_the_message_alone(
    delivery_app: MakeApp, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = delivery_app(None, db_url, mash_email=None)
    case_id = open_case(app)
    caplog.clear()

    with caplog.at_level(logging.ERROR, logger="cme.engine"):
        raise_concern(app, case_id)

    lines = [r.getMessage() for r in caplog.records if r.name == "cme.engine"]
    assert lines == [f"case CME-000001: mash_escalation to mash not addressed: {NO_MASH}"]
    assert _rows(app, case_id)[-2:] == [
        ("mash_escalation", "mash", "failed"),
        ("delivery_failed", "cmeo", "pending"),
    ]
