"""A child passing compulsory school age mid-case (Education Act 1996 s8(3)).

The intake records the last day of compulsory school age as the fact
`compulsory_school_age_ends`; a workflow-wide timer tells the CMEO the day after, and the CMEO
decides: close with the outcome `left_compulsory_school_age` (allowed only once that day has
passed), or keep the case open. Nothing closes by itself: a MASH escalation stays with MASH.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from engine.clock import local_date
from engine.ports import EventRecord, GuardContext
from workflows.rules import RULES
from workflows.school_age import SCHOOL_AGE_ENDS_FACT as FACT
from workflows.school_age import compulsory_school_age

OUTCOME = "left_compulsory_school_age"


def school_age_ends(facts: dict[str, object], history: Sequence[EventRecord]) -> date | None:
    """The last day of compulsory school age: the fact, else from the referral's birth date
    (cases opened before the fact was recorded)."""
    if facts.get(FACT):
        return date.fromisoformat(str(facts[FACT]))
    for event in history[:1]:
        child = (event.evidence.get("referral") or {}).get("child") or {}
        dob = child.get("date_of_birth") if isinstance(child, dict) else None
        if dob:
            return compulsory_school_age(date.fromisoformat(str(dob))).ends
    return None


@RULES.guard("school_age_outcome")
def school_age_outcome(context: GuardContext) -> str | None:
    """Closing as 'no longer of compulsory school age' needs that to be true today."""
    if context.evidence.get("case_outcome") != OUTCOME:
        return None
    ends = school_age_ends(dict(context.case.facts), context.history())
    if ends is None:
        return (
            "Education Act 1996 s8: the child's date of birth is not recorded, so the end of "
            "compulsory school age cannot be shown - close with another outcome"
        )
    today = local_date(context.now)
    if today > ends:
        return None
    return (
        "Education Act 1996 s8(3): the child is of compulsory school age until the school "
        f"leaving date, {ends.isoformat()} (the last Friday in June of the school year in "
        f"which they turn 16); this outcome is allowed from "
        f"{(ends + timedelta(days=1)).isoformat()}"
    )
