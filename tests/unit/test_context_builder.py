"""The template context (`cme.bootstrap.ContextBuilder`) gives the case, child and authority
parts of the last context again to the next one for the same case while nothing they show
changed (the CMEO's alert right after its unaddressed message): every context must still be
the one a fresh builder makes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import workflows
from cme.bootstrap import ContextBuilder
from cme.settings import Settings
from engine import MessageTrail
from engine.loader import load_definition_file
from engine.ports import CaseRecord, EventRecord
from workflows import definition_files

AT = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
SCHOOL = "school-referral"


def _definition() -> Any:
    path = next(p for p in definition_files() if p.stem == SCHOOL)
    return load_definition_file(path, workflows.known())


def _case(**changes: Any) -> CaseRecord:
    case = CaseRecord(
        id=7,
        workflow=SCHOOL,
        definition_hash="x",
        state="escalated_to_mash",
        priority="high",
        version=3,
        facts={"school": {"id": "8214002", "name": "Ashfield"}, "risk_flags": ["ehc_plan"]},
        opened_at=AT,
        state_entered_at=AT,
        updated_at=AT,
    )
    return replace(case, **changes)


def _event(trigger: str, seq: int) -> EventRecord:
    evidence = {"template": "mash_escalation", "recipient_role": "mash", "event_seq": 3}
    return EventRecord(
        7,
        seq,
        trigger,
        "received",
        "escalated_to_mash",
        "system",
        "system",
        AT,
        evidence,
        "p",
        "h",
    )


def test_every_context_is_what_a_fresh_builder_makes() -> None:
    definition, settings = _definition(), Settings(database_url="sqlite:///unused.db")
    kept = ContextBuilder(settings)
    child = {"forename": "Ada", "surname": "Lovelace", "upn": "A123"}
    trail = MessageTrail(lambda: [])
    steps = [
        (_case(), child, _event("escalate_automatically", 3)),
        (_case(version=4), child, _event("notification_failed", 4)),  # the alert: kept parts
        (_case(version=5, priority="standard"), child, _event("notification_failed", 5)),
        (_case(facts={"school": {"id": "1"}}), child, _event("notification_failed", 6)),
        (_case(facts={"school": {"id": "1"}}), {**child, "upn": "B9"}, _event("x", 7)),
        (_case(id=8), child, _event("notification_failed", 8)),
        (_case(id=8, state="received"), child, _event("notification_failed", 9)),
    ]
    for case, who, event in steps:
        expected = ContextBuilder(settings)(case, definition, event, who, None, trail)
        made = kept(case, definition, event, who, None, trail)
        assert made == expected
        assert list(made) == list(expected)  # the parts in their order too
