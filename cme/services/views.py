"""Read models every door shows: a case with its deadlines, the steps possible now, an event.

Each is a frozen dataclass built by a service (`cme.services.cases`, `.queue`, `.replay`) and
turned into the documents the CLI prints with `--json` by `as_json()` (the README's contract:
keys and their order are fixed here, once, for every door).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine import Action
    from engine.apply import Applied
    from engine.ports import CaseRecord, EventRecord, TimerRecord


def deadline_json(timer: TimerRecord) -> dict[str, Any]:
    """A deadline as every command prints it: its rule, due time and how it was counted."""
    from engine.provenance import Provenance

    p = Provenance.from_dict(timer.provenance)
    return {
        "deadline": timer.name,
        "trigger": timer.trigger,
        "notify": list(timer.notify),
        "due_at": timer.due_at.isoformat(),
        "due_on": p.due_on,
        "rule": p.title if "title" in p.present else timer.name,
        "after": p.after,
        "unit": p.unit,
        "counted_from": p.counted_from,
        "anchor": p.anchor,
        "calendar": p.calendar,
        "calendar_hash": p.calendar_hash,
        "condition": p.condition,
        "provisional": p.provisional,
        "provisional_reason": p.provisional_reason or None,
    }


def stored_facts(facts: Any) -> Any:
    """Facts as the database holds them (JSON: sorted keys, dates as ISO text), so a case
    just written shows exactly as the same case read back."""
    import orjson

    from storage.database import json_text

    return orjson.loads(json_text(facts))


@dataclass(frozen=True, slots=True)
class CaseView:
    """One case as a person reads it: the case, its state's title, its pending deadlines
    (soonest first) and how many events its history holds."""

    case: CaseRecord
    state_title: str
    deadlines: tuple[TimerRecord, ...]
    events: int

    def as_json(self) -> dict[str, Any]:
        """The case as `cme case show --json` prints it."""
        case = self.case
        return {
            "id": case.id,
            "ref": case.ref,
            "workflow": case.workflow,
            "definition_version": case.definition_hash,
            "state": case.state,
            "state_title": self.state_title,
            "priority": case.priority,
            "version": case.version,
            "opened_at": case.opened_at.isoformat(),
            "updated_at": case.updated_at.isoformat(),
            "closed_at": case.closed_at.isoformat() if case.closed_at else None,
            "outcome": case.outcome,
            "paused_since": case.paused_since.isoformat() if case.paused_since else None,
            "pause_reason": case.pause_reason,
            "facts": stored_facts(case.facts),
            "events": self.events,
            "timers": [deadline_json(t) for t in self.deadlines],
        }


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A case in the queue, and its MASH escalation mark (`undelivered`, `unacknowledged`)."""

    view: CaseView
    escalation: str | None

    def as_json(self) -> dict[str, Any]:
        """The case as `cme cases --json` lists it."""
        return {**self.view.as_json(), "escalation": self.escalation}


@dataclass(frozen=True, slots=True)
class Advanced:
    """What one step did (`applied`), and the case as it now stands (`view`)."""

    view: CaseView
    applied: Applied

    @property
    def event(self) -> EventRecord:
        """The event the step appended."""
        return self.applied.event

    def as_json(self) -> dict[str, Any]:
        """The document `cme case advance --json` prints."""
        event = self.applied.event
        return {
            **self.view.as_json(),
            "applied": {
                "trigger": event.trigger,
                "seq": event.seq,
                "from": event.from_state,
                "to": event.to_state,
                "followed_by": [f.event.trigger for f in self.applied.followed_by],
            },
        }


@dataclass(frozen=True, slots=True)
class Opened:
    """A case just opened (`applied`), and the case as it now stands (`view`)."""

    view: CaseView
    applied: Applied


def action_json(action: Action) -> dict[str, Any]:
    """A step possible now, as `cme case actions --json` lists it."""
    evidence = []
    for f in action.evidence:
        item: dict[str, Any] = {
            "name": f.name,
            "type": f.type,
            "title": f.title,
            "required": f.required,
        }
        if f.choices:
            item["choices"] = list(f.choices)
        evidence.append(item)
    return {
        "trigger": action.trigger,
        "title": action.title,
        "to": action.to,
        "evidence": evidence,
        "blocked_by": list(action.blocked_by),
        "roles": list(action.roles),
    }


def event_json(e: EventRecord) -> dict[str, Any]:
    """An event as `cme audit history --json` lists it (and an export's event line)."""
    from engine.evidence import format_utc

    return {
        "seq": e.seq,
        "trigger": e.trigger,
        "from": e.from_state,
        "to": e.to_state,
        "actor": e.actor,
        "role": e.role,
        "at": format_utc(e.at),
        "evidence": dict(e.evidence),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }
