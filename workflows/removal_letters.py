"""Template values for the steps issue 12 item 7 added: the removals beyond reg 9(1)(h),(i)
(the other-LA route, the home-education hand-over), the reg 13 deletion return's particulars,
the tracking review and the end of compulsory school age.

Declared in `workflows.letters`; reads the case's facts and the event only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from engine.clock import local_date
from engine.ports import CaseRecord, EventRecord
from workflows.regulations import ground
from workflows.removal_grounds import REMOVAL_TRIGGERS
from workflows.school_age import SCHOOL_AGE_ENDS_FACT

NOT_KNOWN = "not known"


def deletion_return(facts: Mapping[str, Any], evidence: Mapping[str, Any]) -> list[list[str]]:
    """reg 13(4), 2024 regulations: the particulars beyond the pupil's name and address, each
    marked 'not known' when the case does not hold it (the school completes them)."""
    parents = ", ".join(str(p) for p in facts.get("parents") or ()) or NOT_KNOWN
    abroad = facts.get("housing_result") == "moved_abroad"
    future = evidence.get("future_address") or (
        f"{NOT_KNOWN} (moved abroad)" if abroad else NOT_KNOWN
    )
    return [
        ["Parents", parents],
        ["Parents' address", str(evidence.get("parents_address") or NOT_KNOWN)],
        ["Emergency telephone", str(evidence.get("parent_phone") or NOT_KNOWN)],
        ["Future address", str(future)],
        ["New school", str(evidence.get("destination_school") or NOT_KNOWN)],
    ]


def item7_extras(case: CaseRecord, event: EventRecord) -> dict[str, Any]:
    """The `extra` values of the removal, tracking-review and school-age templates."""
    facts, evidence = case.facts, event.evidence
    extra: dict[str, Any] = {}
    if event.trigger in REMOVAL_TRIGGERS:
        code = "f" if event.trigger == "record_home_education" else evidence["removal_ground"]
        rule = ground(str(code), local_date(event.at))
        extra.update(
            ground=f"{rule.clause}: {rule.summary}",
            removed_on=local_date(event.at),
            reason=evidence.get("pro_forma_reason", ""),
            deletion_return=deletion_return(facts, evidence),
            home_education=code == "f",
        )
    if facts.get(SCHOOL_AGE_ENDS_FACT):
        extra["school_age_ended_on"] = date.fromisoformat(str(facts[SCHOOL_AGE_ENDS_FACT]))
    return extra
