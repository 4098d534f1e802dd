"""What the charts' letters need to know beyond the common context: the `extra` keys.

Every template gets one context shape (notifications/rendering.py); its `extra` part is
template-specific (`notifications.rendering.TEMPLATE_EXTRAS`). Which values go there depends on
the process: the removal letters need the ground and the day the child came off roll, a delivery
failure names what failed, the MASH and other-authority ladders say which send this is. That is
domain knowledge, so it is declared here, next to the charts, one function per kind of letter;
the composition root (`cme.bootstrap.ContextBuilder`) only calls `extra_values(...)` and knows
no state or trigger name.

Each function takes the `LetterSource` (the case, its chart, the event sending the message, the
case's message trail and the deadline overrides in force) and returns the keys it adds; `EXTRAS`
lists them in the order they are merged (a later one may refine an earlier one's key).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, NamedTuple

from engine import MessageTrail
from engine.clock import local_date
from engine.definition import WorkflowDefinition
from engine.ports import CaseRecord, EventRecord
from workflows import triage
from workflows.escalation_letters import la_extra, mash_extra
from workflows.regulations import ground
from workflows.removal_letters import item7_extras

REMOVED_STATE = "lost_pupil_upload"
"""Once a case is here the child is off roll: every letter says when and why."""
REMOVAL_TRIGGER = "remove_from_roll"
DELIVERY_FAILED_TRIGGER = "notification_failed"  # the engine records it (engine.chain)
DELIVERY_FAILURE_KEYS = ("template", "recipient_role", "error", "recipient", "attempts")
NOTIFIED_DATES = ("notified_on", "confirmed_on", "home_education_confirmed_on")


class LetterSource(NamedTuple):
    """What a letter's `extra` values are worked out from (a named tuple, not a frozen
    dataclass: one is made for every message, and a frozen dataclass sets each field through
    `object.__setattr__`, five times the cost; read-only all the same)."""

    case: CaseRecord
    definition: WorkflowDefinition
    event: EventRecord
    trail: MessageTrail
    deadline_overrides: Mapping[str, int]


Extra = Callable[[LetterSource], Mapping[str, Any]]


def _iso(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def every_letter(source: LetterSource) -> dict[str, Any]:
    """Since when the case is in its state, who referred it, the other authority if known."""
    facts = source.case.facts
    extra: dict[str, Any] = {
        "state_entered_on": local_date(source.case.state_entered_at),
        "referrer": (facts.get("referrer") or {}).get("organisation"),
    }
    if facts.get("other_la"):
        extra["other_la"] = facts["other_la"]
    return extra


def removal_ground(source: LetterSource) -> dict[str, Any]:
    """The reg 8/9 ground recorded (on the event or the case), in its clause's words."""
    code = source.event.evidence.get("removal_ground") or source.case.facts.get("removal_ground")
    if not code:
        return {}
    rule = ground(code, local_date(source.event.at))
    return {"ground": f"{rule.clause}: {rule.summary}"}


def removed_from_roll(source: LetterSource) -> dict[str, Any]:
    """The pro forma and the lost-pupil upload: the day off roll and the reason given."""
    case, event = source.case, source.event
    if case.state != REMOVED_STATE and event.trigger != REMOVAL_TRIGGER:
        return {}
    return {
        "removed_on": local_date(case.state_entered_at),
        "reason": event.evidence.get("pro_forma_reason", ""),
    }


def delivery_failed(source: LetterSource) -> dict[str, Any]:
    """The delivery-failure alert: which message, to whom, why, after how many attempts."""
    if source.event.trigger != DELIVERY_FAILED_TRIGGER:
        return {}
    evidence = source.event.evidence
    return {k: evidence.get(k) for k in DELIVERY_FAILURE_KEYS}


def notified_dates(source: LetterSource) -> dict[str, Any]:
    """The dates the event records being told or confirming (`home_education_` dropped)."""
    evidence = source.event.evidence
    return {
        key.replace("home_education_", ""): _iso(evidence[key])
        for key in NOTIFIED_DATES
        if evidence.get(key)
    }


def removal_beyond_h_i(source: LetterSource) -> Mapping[str, Any]:
    """The other removals (issue 12 item 7), the reg 13 return, the end of school age."""
    return item7_extras(source.case, source.event)


def mash_ladder(source: LetterSource) -> Mapping[str, Any]:
    """The MASH letters: the concern, which send this is, by when MASH must act. Not for a
    delivery failure: its only letter (the alert) names the message, not the concern, and
    working out which send it was reads the case's whole history."""
    if source.event.trigger == DELIVERY_FAILED_TRIGGER:
        return {}
    return mash_extra(
        source.case, source.definition, source.event, source.trail, source.deadline_overrides
    )


def other_la_ladder(source: LetterSource) -> Mapping[str, Any]:
    """The other authority's notice and chases: which notice, first sent when, reply by (not
    for a delivery failure, as `mash_ladder`)."""
    if source.event.trigger == DELIVERY_FAILED_TRIGGER:
        return {}
    return la_extra(source.case, source.event, source.trail)


EXTRAS: tuple[Extra, ...] = (
    every_letter,
    removal_ground,
    removed_from_roll,
    delivery_failed,
    notified_dates,
    removal_beyond_h_i,
    mash_ladder,
    other_la_ladder,
)
"""Every kind of letter's values, merged in this order into the context's `extra`."""


def extra_values(source: LetterSource) -> dict[str, Any]:
    """The context's `extra`: what every declared function adds, merged in order."""
    merged: dict[str, Any] = {}
    for values in EXTRAS:
        merged.update(values(source))
    return merged


def risk_descriptions(flags: Iterable[str]) -> list[str]:
    """Each risk flag in the words the letters use (the flag itself when unknown)."""
    return [triage.RISK_FLAGS.get(f, f) for f in flags]


__all__ = ["EXTRAS", "Extra", "LetterSource", "extra_values", "risk_descriptions"]
