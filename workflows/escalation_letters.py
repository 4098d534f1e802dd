"""What the ladder letters say: why a case went to MASH, which send this is, and by when.

Part of the template context the charts declare (`workflows.letters`, the `extra` keys). Every
message to MASH carries the concern (PROCESS.md chart 2 step 9): why the case was escalated (the
concern's own words, the automatic rule with its number of school days, or the flags that send a
child at once), the referrer and parents held, what MASH must do and by what local time; a
re-send says it is one, with its number and when the escalation was first sent. The other
authority's chase says the same of the notice it chases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from engine import MessageTrail
from engine.definition import WorkflowDefinition
from engine.evidence import parse_utc
from engine.ports import CaseRecord, EventRecord, TimerRecord
from engine.provenance import Provenance, Scope
from engine.timers import days_for
from workflows import escalation as ladder

MASH_STATES = frozenset({ladder.MASH_STATE, "with_mash"})
UNLOCATED = "high_risk_unlocated"
"""The deadline after which a high-risk child not located goes to MASH automatically."""


def _first_due(started: Sequence[TimerRecord], state: str) -> TimerRecord | None:
    due = [t for t in started if Scope.parse(t.scope).state == state]
    return min(due, key=lambda t: t.due_at) if due else None


def _unlocated_after(
    case: CaseRecord, definition: WorkflowDefinition, overrides: Mapping[str, int]
) -> int | None:
    spec = next((t for t in definition.timers if t.name == UNLOCATED), None)
    return None if spec is None else days_for(spec, case, overrides)


def people(case: CaseRecord) -> dict[str, Any]:
    """The referrer's and the family's details the case holds (for MASH and the other LA)."""
    facts = case.facts
    referrer = facts.get("referrer") or {}
    return {
        "referrer_details": {
            k: referrer[k] for k in ("name", "organisation", "email", "phone") if referrer.get(k)
        },
        "parents": list(facts.get("parents") or []),
        "siblings": list(facts.get("siblings") or []),
    }


def mash_extra(
    case: CaseRecord,
    definition: WorkflowDefinition,
    event: EventRecord,
    trail: MessageTrail,
    overrides: Mapping[str, int],
) -> dict[str, Any]:
    """`extra` keys of the MASH letters, while the case is with MASH (else empty).

    A first send needs only its own event (no read of the history: a batch of automatic
    escalations stays a few statements); a re-send reads the case's history.
    """
    if case.state not in MASH_STATES:
        return {}
    first = event.to_state == ladder.MASH_STATE and event.from_state != ladder.MASH_STATE
    history = [event] if first else trail.history()
    found = ladder.escalation(
        history,
        _unlocated_after(case, definition, overrides),
        case.facts.get("risk_flags") or (),
        case.opened_at,
    )
    if found is None:
        return {}
    escalation = found.as_context()
    due = _first_due(trail.started, ladder.MASH_STATE)
    escalation["ack_due_at"] = due.due_at if due is not None else None
    extra: dict[str, Any] = {
        "escalation": escalation,
        "escalation_count": found.send,
        "first_sent_at": found.first_sent_at,
        **people(case),
    }
    if case.state == "with_mash":
        review = _first_due(trail.started, "with_mash")
        extra["review_due_on"] = (
            Provenance.from_dict(review.provenance).due_day if review is not None else None
        )
        extra["acknowledgement"] = _acknowledgement(history)
        extra["reviews"] = sum(
            1 for e in _since_acknowledged(history) if e.trigger == "review_mash_decision"
        )
    return extra


def _since_acknowledged(history: Sequence[EventRecord]) -> Sequence[EventRecord]:
    entered = ladder.entry(history, "with_mash")
    return history[history.index(entered) :] if entered is not None else ()


def _acknowledgement(history: Sequence[EventRecord]) -> dict[str, Any]:
    """Who acknowledged for MASH, when, and whether the CMEO recorded it on MASH's behalf."""
    entered = ladder.entry(history, "with_mash")
    if entered is None:
        return {}
    evidence = entered.evidence
    return {
        "by": evidence.get("acknowledged_by"),
        "at": parse_utc(evidence["acknowledged_at"])
        if evidence.get("acknowledged_at")
        else entered.at,
        "recorded_by": entered.actor,
        "on_behalf": entered.trigger == ladder.ON_BEHALF,
        "received_via": evidence.get("received_via"),
    }


def la_extra(case: CaseRecord, event: EventRecord, trail: MessageTrail) -> dict[str, Any]:
    """`extra` keys of the other-authority letters: which notice this is, first sent when, and
    by when the other authority is asked to answer (while tracked there, else empty)."""
    if case.state != ladder.LA_STATE:
        return {}
    first = event.to_state == ladder.LA_STATE and event.from_state != ladder.LA_STATE
    history = [event] if first else trail.history()
    entered = ladder.entry(history, ladder.LA_STATE)
    if entered is None:
        return {}
    due = _first_due(trail.started, ladder.LA_STATE)
    reply: date | None = None
    if due is not None:
        reply = Provenance.from_dict(due.provenance).due_day
    extra: dict[str, Any] = {
        "la_send": ladder.ladder_send(history, ladder.LA_STATE, ladder.LA_CHASES),
        "la_first_sent_at": entered.at,
        "la_reply_due_on": reply,
        **people(case),
    }
    if entered.evidence.get("notified_on"):
        extra["notified_on"] = date.fromisoformat(entered.evidence["notified_on"])
    return extra
