"""Read models every door shows: a case with its deadlines, the steps possible now, an event.

Each is a frozen dataclass built by a service (`cme.services.cases`, `.queue`, `.replay`) and
turned into the documents the CLI prints with `--json` by `as_json()` (the README's contract:
keys and their order are fixed here, once, for every door).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import date, datetime

    from cme.services.casework import CaseworkView
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
class ChildSummary:
    """Whom a case is about: the child's details, age at today's local date (the engine's
    clock) and school (from the case's facts). A field is None when not known (or erased)."""

    forename: str | None
    surname: str | None
    date_of_birth: str | None
    age: int | None
    upn: str | None
    school_id: str | None
    school_name: str | None

    @property
    def name(self) -> str | None:
        """Forename and surname, as far as known."""
        return " ".join(p for p in (self.forename, self.surname) if p) or None

    def as_json(self) -> dict[str, Any]:
        """The child as `cme case show --json` prints it (`child`)."""
        return {
            "forename": self.forename,
            "surname": self.surname,
            "date_of_birth": self.date_of_birth,
            "age": self.age,
            "upn": self.upn,
            "school_id": self.school_id,
            "school_name": self.school_name,
        }


@dataclass(frozen=True, slots=True)
class OutboxState:
    """A case's messages: outbox rows by status, and its latest MASH escalation (the secure
    email) with its status, when it was queued and when sent."""

    by_status: Mapping[str, int]
    escalation_status: str | None = None
    escalation_queued_at: datetime | None = None
    escalation_sent_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """The outbox as `cme case show --json` prints it (`outbox`)."""
        escalation = None
        if self.escalation_status is not None and self.escalation_queued_at is not None:
            sent = self.escalation_sent_at
            escalation = {
                "status": self.escalation_status,
                "queued_at": self.escalation_queued_at.isoformat(),
                "sent_at": sent.isoformat() if sent else None,
            }
        return {"by_status": dict(self.by_status), "mash_escalation": escalation}


@dataclass(frozen=True, slots=True)
class CaseView:
    """One case as a person reads it: the case, its state's title, its pending deadlines
    (soonest first) and how many events its history holds; as `cme case show` reads it, also
    its child and its outbox (read in the same transaction; None where not read)."""

    case: CaseRecord
    state_title: str
    deadlines: tuple[TimerRecord, ...]
    events: int
    child: ChildSummary | None = None
    outbox: OutboxState | None = None
    casework: CaseworkView | None = None
    """Its assignee, notes, corrections and assignments (cme.services.casework)."""

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

    def detail_json(self) -> dict[str, Any]:
        """The case as `cme case show --json` prints it: `as_json()`, its casework
        (`assignee`, `notes`, `corrections`, `assignments`), then `child` and `outbox` (null
        when not read)."""
        return {
            **self.as_json(),
            **(self.casework.as_json() if self.casework else {}),
            "child": self.child.as_json() if self.child else None,
            "outbox": self.outbox.as_json() if self.outbox else None,
        }


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A case in the queue, its MASH escalation mark (`undelivered`, `unacknowledged`), and
    whom it is about (the child's name; the school's name, or its id)."""

    view: CaseView
    escalation: str | None
    child_name: str | None = None
    school: str | None = None
    assignee: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The case as `cme cases --json` lists it (`assignee` before the escalation mark)."""
        return {
            **self.view.as_json(),
            "assignee": self.assignee,
            "escalation": self.escalation,
            "child_name": self.child_name,
            "school": self.school,
        }


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
        """The document `cme case advance --json` prints (`child` and `outbox` after
        `applied`, as `cme case show --json` ends with them)."""
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
            **(self.view.casework.as_json() if self.view.casework else {}),
            "child": self.view.child.as_json() if self.view.child else None,
            "outbox": self.view.outbox.as_json() if self.view.outbox else None,
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


def age_on(date_of_birth: str | None, today: date) -> int | None:
    """Whole years from an ISO date of birth to `today` (None if unknown or unreadable)."""
    from datetime import date as date_type

    if not date_of_birth:
        return None
    try:
        born = date_type.fromisoformat(date_of_birth)
    except ValueError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def school_of(facts: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The school a case's facts name: `(id, name)`, each None if not given."""
    school = facts.get("school")
    if isinstance(school, str):
        return None, school or None
    if not isinstance(school, Mapping):
        return None, None
    return _text(school.get("id")), _text(school.get("name"))


def child_summary(child: Mapping[str, Any], facts: Mapping[str, Any], today: date) -> ChildSummary:
    """The child summary from the child's stored details and the case's facts."""
    school_id, school_name = school_of(facts)
    dob = _text(child.get("date_of_birth"))
    return ChildSummary(
        forename=_text(child.get("forename")),
        surname=_text(child.get("surname")),
        date_of_birth=dob,
        age=age_on(dob, today),
        upn=_text(child.get("upn")),
        school_id=school_id,
        school_name=school_name,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
