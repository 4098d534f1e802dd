"""The escalation ladders, who records MASH's acknowledgement, and what each ladder letter says.

PROCESS.md chart 2 step 9: MASH acknowledges an escalation within one working day (by 09:00 on
the next working day); the first miss re-sends the escalation to MASH and tells the CMEO, each
later miss re-sends it and tells the service manager. Another authority told of a child who
moved there confirms within 20 school days that the child is in education; the first miss
chases it and tells the CMEO, each later miss chases it and tells the service manager.

A rung is counted from the case's real sends only: the triggers that re-send or chase. Other
events that leave the case in its state (a delivery outcome, a deadline moved, a risk update)
are not sends and never move a case up its ladder.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.evidence import parse_utc
from engine.ports import EventRecord, GuardContext
from workflows import triage
from workflows.rules import RULES

MASH_STATE = "escalated_to_mash"
MASH_RESENDS = frozenset({"resend_escalation", "escalate_to_manager"})
"""The triggers that re-send an escalation to MASH (rung 1: CMEO told; later: manager)."""
LA_STATE = "other_la_tracking"
LA_CHASES = frozenset({"chase_other_la", "escalate_la_to_manager"})
"""The triggers that chase the other authority (rung 1: CMEO told; later: manager)."""

ON_BEHALF = "record_mash_acknowledgement_on_behalf"
"""The CMEO's trigger recording MASH's acknowledgement on MASH's behalf, with evidence."""


def entry(history: Sequence[EventRecord], state: str) -> EventRecord | None:
    """The event that last brought the case into `state` from another state, if any."""
    found: EventRecord | None = None
    for event in history:
        if event.to_state == state and event.from_state != state:
            found = event
    return found


def rung(history: Sequence[EventRecord], state: str, ladder: Collection[str]) -> int:
    """How many ladder steps (re-sends or chases) were taken since the case entered `state`.

    0 while the first send is unanswered; 1 after the first miss (the CMEO was told); 2 or
    more after later misses (the service manager was told).
    """
    count = 0
    for event in history:
        if event.to_state == state and event.from_state != state:
            count = 0
        elif event.trigger in ladder and event.to_state == state:
            count += 1
    return count


@RULES.guard("escalation_not_yet_resent")
def escalation_not_yet_resent(context: GuardContext) -> str | None:
    """First missed acknowledgement (rung 1): re-send to MASH and tell the CMEO."""
    if rung(context.history(), MASH_STATE, MASH_RESENDS) == 0:
        return None
    return "the escalation was already re-sent once: the service manager is told instead"


@RULES.guard("escalation_already_resent")
def escalation_already_resent(context: GuardContext) -> str | None:
    """Second and later missed acknowledgements (rung 2, 3, ...): re-send, tell the manager."""
    if rung(context.history(), MASH_STATE, MASH_RESENDS) > 0:
        return None
    return "first missed acknowledgement: the escalation is re-sent and the CMEO told"


@RULES.guard("la_not_yet_chased")
def la_not_yet_chased(context: GuardContext) -> str | None:
    """First missed confirmation from another LA (rung 1): chase it and tell the CMEO."""
    if rung(context.history(), LA_STATE, LA_CHASES) == 0:
        return None
    return "the other authority was already chased once: the service manager is told instead"


@RULES.guard("la_already_chased")
def la_already_chased(context: GuardContext) -> str | None:
    """Second and later missed confirmations (rung 2, 3, ...): chase, tell the manager."""
    if rung(context.history(), LA_STATE, LA_CHASES) > 0:
        return None
    return "first missed confirmation: the other authority is chased and the CMEO told"


@RULES.guard("acknowledged_after_escalation")
def acknowledged_after_escalation(context: GuardContext) -> str | None:
    """MASH cannot have acknowledged an escalation before it was first sent."""
    raw = context.evidence.get("acknowledged_at")
    if raw is None:
        return None
    sent = entry(context.history(), MASH_STATE)
    when = parse_utc(raw)
    if sent is not None and when < sent.at:
        return (
            f"acknowledged_at ({when.isoformat()}) is before the escalation was first sent "
            f"({sent.at.isoformat()}): MASH cannot acknowledge what it has not received"
        )
    return None


# --- what a ladder letter says (cme.bootstrap builds the template context from this) --------
@dataclass(frozen=True, slots=True)
class Escalation:
    """Why a case went to MASH, and where it stands on the ladder."""

    kind: str
    """`concern` (raised by hand), `automatic` (high risk, not located) or `at_once`."""
    reason: str
    """Why, in a sentence a MASH officer can act on."""
    concern: str | None
    raised_by: str | None
    escalated_by: str
    first_sent_at: datetime
    send: int
    """1 for the first send, 2 for the first re-send, and so on."""

    def as_context(self) -> dict[str, Any]:
        """The `extra.escalation` value of the MASH templates."""
        return {
            "kind": self.kind,
            "reason": self.reason,
            "concern": self.concern,
            "raised_by": self.raised_by,
            "escalated_by": self.escalated_by,
            "first_sent_at": self.first_sent_at,
            "send": self.send,
            "resend": self.send > 1,
        }


AT_ONCE_WORDS: Mapping[str, str] = {
    "child_protection_plan": "has a child protection plan",
    "allocated_social_worker": "has an allocated social worker",
    "looked_after": "is looked after (and so has a social worker)",
    "child_protection_concern": "has a child-protection concern recorded",
}


def escalation(
    history: Sequence[EventRecord],
    unlocated_after: int | None = None,
    flags: Collection[str] = (),
    opened_at: datetime | None = None,
) -> Escalation | None:
    """Why the case's current (or latest) escalation to MASH was made, and which send this is.

    Args:
        history: The case's events, up to and including the one sending the message; just
            the escalating event itself is enough for a first send.
        unlocated_after: The school days after which a high-risk child not located goes to
            MASH automatically (the `high_risk_unlocated` deadline in force), for the reason.
        flags: The case's risk flags now, for a referral at once when `history` holds only
            the escalating event.
        opened_at: When the case was opened (a referral at once made then was made at opening).

    Returns:
        None when the case was never escalated.
    """
    index = next(
        (
            i
            for i in range(len(history) - 1, -1, -1)
            if history[i].to_state == MASH_STATE and history[i].from_state != MASH_STATE
        ),
        None,
    )
    if index is None:
        return None
    sent = history[index]
    later = history[index + 1 :]
    send = 1 + sum(1 for e in later if e.trigger in MASH_RESENDS and e.to_state == MASH_STATE)
    concern = raised_by = None
    if sent.trigger == "raise_concern":
        kind = "concern"
        concern = str(sent.evidence.get("concern", "")) or None
        raised_by = str(sent.evidence.get("raised_by", "")) or None
        reason = f"a child-protection concern was raised by {raised_by or 'a caseworker'}"
    elif sent.trigger == "escalate_automatically":
        kind = "automatic"
        days = f"{unlocated_after} school days" if unlocated_after else "the time allowed"
        reason = (
            f"escalated automatically: a high-risk child had not been located within {days} "
            "of the case opening"
        )
    elif index > 0:
        kind = "at_once"
        reason = _at_once_reason(history[:index])
    else:
        kind = "at_once"
        when = (
            "when the case was opened"
            if opened_at == sent.at
            else "when the risk flags were updated"
        )
        reason = _at_once_words(flags, when)
    return Escalation(kind, reason, concern, raised_by, sent.actor, sent.at, send)


def _at_once_reason(before: Sequence[EventRecord]) -> str:
    """Why a case was referred at once: the flags recorded at opening or by a risk update."""
    flags: list[str] = []
    when = "when the case was opened"
    for event in before:
        if event.trigger == "open_case":
            flags = list(event.evidence.get("facts", {}).get("risk_flags") or [])
        elif event.trigger == "update_risk":
            new = [f for f in event.evidence.get("risk_flags") or [] if f not in flags]
            flags = list(event.evidence.get("risk_flags") or [])
            if set(new) & triage.IMMEDIATE_MASH_FLAGS:
                when = f"when the risk flags were updated by {event.actor}"
    return _at_once_words(flags, when)


def _at_once_words(flags: Collection[str], when: str) -> str:
    grounds = [AT_ONCE_WORDS[f] for f in AT_ONCE_WORDS if f in flags] or ["needs referral"]
    return (
        f"referred at once {when}: the child {' and '.join(grounds)} (DfE statutory guidance "
        '"Children missing education", August 2024: refer at once, do not wait for the 10 or '
        "20 school day clocks)"
    )


def ladder_send(history: Sequence[EventRecord], state: str, ladder: Collection[str]) -> int:
    """Which send of the state's notice this is: 1 on entry, 2 after the first chase..."""
    return 1 + rung(history, state, ladder)
