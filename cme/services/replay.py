"""A case's audited history, for every door: its events (`history`), and the case rebuilt
from them on the definition versions it ran on, as it stood at a moment (`replay`). Both are
reads of the case, kept in the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cme.services.views import deadline_json, event_json

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from engine.ports import CaseRecord, EventRecord


@dataclass(frozen=True, slots=True)
class History:
    """A case's events in order."""

    case: CaseRecord
    events: tuple[EventRecord, ...]

    def as_json(self) -> list[dict[str, Any]]:
        """The events as `cme audit history --json` lists them."""
        return [event_json(e) for e in self.events]


@dataclass(frozen=True, slots=True)
class Replay:
    """A case rebuilt from its events as it stood at `as_of`; `document` is what
    `cme audit replay --json` prints."""

    document: dict[str, Any]

    @property
    def legal(self) -> bool:
        """Every step was legal when taken."""
        return not self.document["problems"]

    @property
    def matches(self) -> bool:
        """The stored case is what its events replay to (always, for a moment in the past)."""
        return not self.document["differences"]

    def as_json(self) -> dict[str, Any]:
        """The document `cme audit replay --json` prints."""
        return self.document


def history(app: App, principal: Principal, case_id: int) -> History:
    """The case's events: who did what, when, with what evidence. The read is logged."""
    from cme.access import record
    from cme.services.cases import read
    from storage import queries

    case = read(app, case_id).case
    events = tuple(queries.events(app.db, case_id))
    record(app, principal.actor, case_id, "audit history")
    return History(case, events)


def replay(
    app: App, principal: Principal, case_id: int, as_of: datetime | None, detail: str = ""
) -> Replay:
    """The case rebuilt as it stood at `as_of` (None: now); `detail` (the moment as asked
    for) goes into the access log with the read."""
    from cme.access import record

    result = Replay(rebuild(app, case_id, as_of))
    record(app, principal.actor, case_id, "audit replay", detail)
    return result


def rebuild(app: App, case_id: int, as_of: datetime | None) -> dict[str, Any]:
    """Rebuild a case as it stood at `as_of` (None: now) from its events and pinned versions
    (no access-log row: `replay` keeps it)."""
    from engine.audit import opening_version
    from engine.audit import replay as replay_events
    from storage import queries
    from storage.audit import outbox_as_of, timers_as_of

    case = queries.case_read(app.db, case_id)[0]  # a plain read: no write lock
    events = queries.events(app.db, case_id)

    def definition(version: str) -> Any:
        return app.registry.compiled(version).definition

    start = opening_version(case.definition_hash, events)
    rebuilt = replay_events(definition(start), events, as_of, definition)
    shown = [e for e in events if as_of is None or e.at <= as_of]
    later = len(events) - len(shown)
    stored = {"state": case.state, "version": case.version, "head_hash": case.head_hash}
    replayed = {"state": rebuilt.state, "version": rebuilt.version, "head_hash": rebuilt.head_hash}
    differences = (
        [
            {"field": k, "replayed": replayed[k], "stored": stored[k]}
            for k in stored
            if stored[k] != replayed[k]
        ]
        + (
            [
                {
                    "field": "definition_version",
                    "replayed": rebuilt.definition_version,
                    "stored": case.definition_hash,
                }
            ]
            if rebuilt.definition_version != case.definition_hash
            else []
        )
        if later == 0
        else []
    )
    deadlines = [
        {**deadline_json(t), "created_at": t.created_at.isoformat(), "status_now": t.status}
        for t in timers_as_of(app.db, case_id, as_of)
    ]
    notifications = [
        {
            "event_seq": m["event_seq"],
            "template": m["template"],
            "recipient_role": m["recipient_role"],
            "recipient": m["recipient"],
            "queued_at": m["created_at"].isoformat(),
        }
        for m in outbox_as_of(app.db, case_id, as_of)
    ]
    return {
        "case_id": case.id,
        "ref": case.ref,
        "workflow": case.workflow,
        "as_of": as_of.isoformat() if as_of else None,
        "definition_version": rebuilt.definition_version,
        "state": rebuilt.state,
        "version": rebuilt.version,
        "head_hash": rebuilt.head_hash,
        "outcome": rebuilt.outcome,
        "facts": rebuilt.facts,
        "legal": not rebuilt.problems,
        "problems": rebuilt.problems,
        "events": [
            {k: v for k, v in event_json(e).items() if k not in ("prev_hash", "hash")}
            for e in shown
        ],
        "later_events": later,
        "deadlines": deadlines,
        "notifications": notifications,
        "stored": stored,
        "differences": differences,
    }
