"""Correcting a child's or a referral's details after the case opened: each field checked
by the intake's own rule (workflows/intake.py), with before and after for the audit trail.

A correction never moves a deadline or a priority silently (safety before convenience): a
field that decides one is refused, naming the field and why, and nothing is written.

- `child.date_of_birth` may be corrected only while the last day of compulsory school age it
  gives is unchanged (that day starts a deadline); the child must still be of school age.
- `first_absence_date`, `leave_end_date` (deadlines are counted from them) and `risk_flags`
  (the case's priority and MASH referral) are not corrected: a caseworker records what was
  found through the chart's steps instead.
- `school.id` decides the case's term-date calendar: only the school's name is corrected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.clock import local_date
from engine.errors import FieldProblem, OpeningRefused
from engine.text import TextRefused, clean
from workflows.intake import (
    CHILD_KEYS,
    GENDERS,
    REFERRER_KEYS,
    _address,
    _Check,
    _people,
)
from workflows.school_age import SCHOOL_AGE_ENDS_FACT, compulsory_school_age, school_age_refusal
from workflows.upn import normalise_upn, validate_upn

FACT_KEYS = ("school", "reason", "referrer", "parents", "siblings", "notes")
"""The referral's details a correction may change."""
NOT_CORRECTED = {
    "first_absence_date": "deadlines are counted from it: it is not corrected",
    "leave_end_date": "deadlines are counted from it: it is not corrected",
    "risk_flags": "it decides the case's priority and MASH referral: record a concern "
    "through the chart's steps instead",
}
MAX_REASON = 2000


class CorrectionRefused(OpeningRefused):
    """A correction that cannot be made: every field and rule (nothing written)."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p.field}: {p.rule}" for p in self.problems)
        super(OpeningRefused, self).__init__(f"The correction cannot be made:\n{lines}")


@dataclass(frozen=True, slots=True)
class Correction:
    """What changes: the child's details and the case's facts, each before and after (only
    the fields that change; after None: removed)."""

    child_before: dict[str, Any]
    child_after: dict[str, Any]
    facts_before: dict[str, Any]
    facts_after: dict[str, Any]
    reason: str

    @property
    def empty(self) -> bool:
        """Nothing would change."""
        return not self.child_after and not self.facts_after


def read_correction(
    child: Mapping[str, Any],
    facts: Mapping[str, Any],
    reason: Any,
    current_child: Mapping[str, Any],
    current_facts: Mapping[str, Any],
    now: datetime,
) -> Correction:
    """Check a correction; raise `CorrectionRefused` naming every field and rule.

    Args:
        child: the child's fields to change (`forename`, `surname`, `date_of_birth`, `upn`,
            `gender`, `address`); a value of None or "" removes an optional one.
        facts: the referral's fields to change (`FACT_KEYS`).
        reason: why (required, up to 2000 characters).
        current_child, current_facts: the case as it stands.
        now: the moment of the correction (dates are checked against today).
    """
    check = _Check(local_date(now))
    said = check.text(reason, "reason", max_length=MAX_REASON)
    if check.keys(child, CHILD_KEYS, "child"):
        new_child = _child_fields(check, child, current_child)
    else:
        new_child = {}
    new_facts: dict[str, Any] = {}
    if check.keys(facts, set(FACT_KEYS) | set(NOT_CORRECTED), "facts"):
        for key in sorted(str(k) for k in facts):
            if key in NOT_CORRECTED:
                check.fail(key, NOT_CORRECTED[key])
        new_facts = _fact_fields(check, facts, current_facts)
    child_before = {k: current_child.get(k) for k in new_child}
    child_after = {k: v for k, v in new_child.items() if v != current_child.get(k)}
    facts_after = {k: v for k, v in new_facts.items() if v != current_facts.get(k)}
    if "date_of_birth" in child_after and child_after["date_of_birth"] is not None:
        ends = compulsory_school_age(date.fromisoformat(child_after["date_of_birth"]))
        if SCHOOL_AGE_ENDS_FACT in current_facts and (
            ends.ends.isoformat() != current_facts[SCHOOL_AGE_ENDS_FACT]
        ):
            check.fail(
                "child.date_of_birth",
                "would move the last day of compulsory school age from "
                f"{current_facts[SCHOOL_AGE_ENDS_FACT]} to {ends.ends.isoformat()}, which a "
                "deadline counts from: close this case and open a new referral instead",
            )
    if said and not check.problems and not child_after and not facts_after:
        check.fail("child", "nothing to correct: every value given is the one recorded")
    if check.problems:
        raise CorrectionRefused(check.problems)
    return Correction(
        {k: v for k, v in child_before.items() if k in child_after},
        child_after,
        {k: current_facts.get(k) for k in facts_after},
        facts_after,
        said or "",
    )


def _child_fields(
    check: _Check, raw: Mapping[str, Any], current_child: Mapping[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("forename", "surname"):
        if key in raw:
            out[key] = check.text(raw[key], f"child.{key}", max_length=100)
    if "date_of_birth" in raw:
        born = check.past_date(raw["date_of_birth"], "child.date_of_birth")
        if born is not None:
            refusal = school_age_refusal(born, check.today)
            if refusal is not None:
                check.fail("child.date_of_birth", refusal)
            out["date_of_birth"] = born.isoformat()
    if "upn" in raw:
        upn = raw["upn"]
        if upn in (None, ""):
            out["upn"] = None
        elif not isinstance(upn, str):
            check.fail("child.upn", "must be text")
        elif (why := validate_upn(upn)) is not None:
            check.fail("child.upn", why)
        else:
            out["upn"] = normalise_upn(upn)
    if "gender" in raw:
        gender = raw["gender"]
        if gender in (None, ""):
            out["gender"] = None
        elif gender not in GENDERS:
            check.fail("child.gender", f"must be one of: {', '.join(GENDERS)}")
        else:
            out["gender"] = gender
    if "address" in raw:
        given = raw["address"] or None
        was = current_child.get("address")
        if isinstance(given, Mapping) and isinstance(was, Mapping):
            given = {k: v for k, v in {**was, **given}.items() if v not in (None, "")}
        out["address"] = _address(check, given)
    return out


def _multiline(check: _Check, value: Any, field: str, required: bool) -> str | None:
    """A text that may hold line breaks (the referral's reason and notes)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            check.fail(field, "is required")
        return None
    if not isinstance(value, str):
        check.fail(field, "must be text")
        return None
    try:
        return clean(value, MAX_REASON, multiline=True) or None
    except TextRefused as exc:
        check.fail(field, str(exc))
        return None


def _fact_fields(
    check: _Check, raw: Mapping[str, Any], current: Mapping[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "school" in raw:
        school = raw["school"]
        name = school.get("name") if isinstance(school, Mapping) else school
        if isinstance(school, Mapping) and "id" in school:
            was = (current.get("school") or {}).get("id")
            if school["id"] != was:
                check.fail(
                    "school.id",
                    "decides the case's term dates and deadlines: it is not corrected "
                    "(only the school's name is)",
                )
        text = check.text(name, "school.name")
        if text:
            out["school"] = {**dict(current.get("school") or {}), "name": text}
    if "reason" in raw:
        out["reason"] = _multiline(check, raw["reason"], "facts.reason", required=True)
    if "notes" in raw:
        out["notes"] = _multiline(check, raw["notes"], "facts.notes", required=False)
    if "referrer" in raw:
        given = raw["referrer"]
        if check.keys(given, REFERRER_KEYS, "referrer"):
            merged = {**dict(current.get("referrer") or {}), **dict(given)}
            referrer = {
                "name": check.text(merged.get("name"), "referrer.name"),
                "organisation": check.text(merged.get("organisation"), "referrer.organisation"),
            }
            if (email := check.email(merged.get("email"), "referrer.email")) is not None:
                referrer["email"] = email
            phone = check.text(merged.get("phone"), "referrer.phone", False, 30)
            if phone is not None:
                referrer["phone"] = phone
            out["referrer"] = referrer
    for key in ("parents", "siblings"):
        if key in raw:
            out[key] = _people(check, raw[key], key) or None
    return out
