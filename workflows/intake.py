"""Referral intake: is this a CME case at all, and is the referral well formed?

PROCESS.md "Who counts as CME": no case opens for a child not of compulsory school age
(Education Act 1996 s8), and a malformed UPN is refused (an unknown UPN is allowed: a referral
from the public rarely has one). Every problem names its field and rule, and nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from engine.clock import local_date
from engine.errors import FieldProblem, OpeningRefused
from engine.rules import Intake
from engine.text import TextRefused, clean
from workflows import triage
from workflows.school_age import school_age_refusal
from workflows.upn import normalise_upn, validate_upn

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# Royal Mail postcode shape (BS 7666), e.g. LU1 2AB; the space is optional on input.
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
GENDERS = ("female", "male", "other", "not_known")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_PEOPLE = 20
"""Parents or siblings named in one referral: more is a pasted list, not a family."""
MAX_FLAGS = 20
MAX_NOTES = 2000
"""The referral's notes are kept on the case (shown with it), so they are bounded as the
reason is."""
ABSENCE_YEARS = 2
"""A first day of absence (or end of leave) more than two years back is a typing slip: a
school refers within days (Luton CME policy 2020: after 10 school days)."""

TOP_KEYS = {
    "child",
    "school",
    "first_absence_date",
    "leave_end_date",
    "reason",
    "risk_flags",
    "referrer",
    "parents",
    "siblings",
    "notes",
    "primary_reason",
}
MULTILINE = {"reason", "notes"}
"""Fields that may hold line breaks; every other text field is one line (engine.text)."""
CHILD_KEYS = {"forename", "surname", "date_of_birth", "upn", "gender", "address"}
ADDRESS_KEYS = {"line1", "line2", "town", "postcode"}
REFERRER_KEYS = {"name", "organisation", "email", "phone"}
SCHOOL_KEYS = {"id", "name"}


class _Check:
    """Collects every problem, so a referrer fixes them all in one go."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.problems: list[FieldProblem] = []

    def fail(self, field: str, rule: str) -> None:
        self.problems.append(FieldProblem(field, rule))

    def keys(self, value: Any, allowed: set[str], field: str) -> bool:
        if not isinstance(value, Mapping):
            self.fail(field, "must be an object")
            return False
        for key in sorted({_key(k) for k in value} - allowed):
            self.fail(
                f"{field}.{key}" if field else key,
                f"is not a known field (allowed: {', '.join(sorted(allowed))})",
            )
        return True

    def text(
        self, value: Any, field: str, required: bool = True, max_length: int = 200
    ) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, "is required")
            return None
        if not isinstance(value, str):
            self.fail(field, "must be text")
            return None
        try:
            text = clean(value, max_length, multiline=field in MULTILINE)
        except TextRefused as exc:
            self.fail(field, str(exc))
            return None
        if not text:
            if required:
                self.fail(field, "is required")
            return None
        return text

    def past_date(self, value: Any, field: str, required: bool = True) -> date | None:
        if value is None:
            if required:
                self.fail(field, "is required (YYYY-MM-DD)")
            return None
        rule = "must be a date as YYYY-MM-DD, e.g. 2025-10-06"
        if not isinstance(value, str) or not ISO_DATE.match(value.strip()):
            self.fail(field, f"{rule} (got {_shown(value)})")
            return None
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            self.fail(field, f"{rule}: no such day (got {_shown(value)})")
            return None
        if day > self.today:
            self.fail(field, f"cannot be in the future (today is {self.today.isoformat()})")
            return None
        return day

    def email(self, value: Any, field: str) -> str | None:
        text = self.text(value, field, required=False, max_length=254)
        if text is not None and not EMAIL.match(text):
            self.fail(field, "must be an email address like name@example.gov.uk")
            return None
        return text.lower() if text else None


def _key(key: object) -> str:
    """A key as named in a refusal: itself if plain, else quoted with escapes."""
    text = str(key)
    return text if re.fullmatch(r"[A-Za-z0-9_]{1,40}", text) else ascii(text)[:60]


def _quoted(key: object) -> str:
    """`'pirate'`, or the escaped form of an odd key."""
    plain = _key(key)
    return f"'{plain}'" if plain == str(key) else plain


def _shown(value: object) -> str:
    """A refused value, quoted with escapes and cut short."""
    text = ascii(value)
    return text if len(text) <= 42 else text[:39] + "..."


def _recent(check: _Check, day: date, field: str, born: str | None) -> bool:
    """A first absence or end of leave within `ABSENCE_YEARS` and after the child's birth."""
    earliest = check.today - timedelta(days=365 * ABSENCE_YEARS + 1)
    if day < earliest:
        check.fail(
            field,
            f"must be within the last {ABSENCE_YEARS} years (on or after "
            f"{earliest.isoformat()}): check the year (got {day.isoformat()})",
        )
        return False
    if born is not None and day < date.fromisoformat(born):
        check.fail(field, f"cannot be before the child's date of birth ({born})")
        return False
    return True


def _address(check: _Check, value: Any) -> dict[str, str] | str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return check.text(value, "child.address", max_length=300)
    if not check.keys(value, ADDRESS_KEYS, "child.address"):
        return None
    address = {
        k: t
        for k in ("line1", "line2", "town", "postcode")
        if (
            t := check.text(
                value.get(k), f"child.address.{k}", required=k in ("line1", "postcode")
            )
        )
        is not None
    }
    postcode = address.get("postcode")
    if postcode is not None:
        normal = re.sub(r"\s+", "", postcode.upper())
        normal = f"{normal[:-3]} {normal[-3:]}"
        if not POSTCODE.match(normal):
            check.fail("child.address.postcode", "must be a UK postcode like LU1 2AB")
        address["postcode"] = normal
    return address


def _child(check: _Check, raw: Any) -> dict[str, Any]:
    if not check.keys(raw, CHILD_KEYS, "child"):
        return {}
    child: dict[str, Any] = {
        "forename": check.text(raw.get("forename"), "child.forename", max_length=100),
        "surname": check.text(raw.get("surname"), "child.surname", max_length=100),
    }
    dob = check.past_date(raw.get("date_of_birth"), "child.date_of_birth")
    if dob is not None:
        child["date_of_birth"] = dob.isoformat()
        refusal = school_age_refusal(dob, check.today)
        if refusal is not None:
            check.fail("child.date_of_birth", refusal + " - no CME case is opened")
    upn = raw.get("upn")
    if upn not in (None, ""):
        if not isinstance(upn, str):
            check.fail("child.upn", "must be text")
        elif (reason := validate_upn(upn)) is not None:
            check.fail("child.upn", reason)
        else:
            child["upn"] = normalise_upn(upn)
    gender = raw.get("gender")
    if gender is not None:
        if gender not in GENDERS:
            check.fail("child.gender", f"must be one of: {', '.join(GENDERS)}")
        else:
            child["gender"] = gender
    address = _address(check, raw.get("address"))
    if address is not None:
        child["address"] = address
    return child


def _school(check: _Check, raw: Any, required: bool) -> dict[str, str] | None:
    if raw is None:
        if required:
            check.fail("school", "is required: the school reporting the pupil")
        return None
    if isinstance(raw, str):
        name = check.text(raw, "school")
        return {"name": name} if name else None
    if not check.keys(raw, SCHOOL_KEYS, "school"):
        return None
    school = {
        k: t
        for k in ("id", "name")
        if (t := check.text(raw.get(k), f"school.{k}", required=False)) is not None
    }
    if not school:
        check.fail("school", "needs an id or a name")
    return school


def _people(check: _Check, raw: Any, field: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        check.fail(field, "must be a list of full names")
        return []
    if len(raw) > MAX_PEOPLE:
        check.fail(field, f"must name at most {MAX_PEOPLE} people (got {len(raw)})")
        return []
    return [
        t for i, item in enumerate(raw) if (t := check.text(item, f"{field}[{i}]")) is not None
    ]


def _primary_reason(check: _Check, value: Any, facts: dict[str, Any]) -> None:
    """The optional primary reason for CME (the DfE return's list for today's academic year,
    `workflows/dfe/cme-return.yaml`): kept on the case's facts as its code."""
    if value is None or value == "":
        return
    from workflows.dfe_return import ReturnDataInvalid, reasons_on

    try:
        reasons = reasons_on(check.today)
    except ReturnDataInvalid as exc:
        check.fail("primary_reason", str(exc))
        return
    if value not in reasons:
        check.fail(
            "primary_reason",
            f"unknown reason {_shown(value)} (known: {', '.join(reasons)})",
        )
        return
    facts["primary_reason"] = value


def read_referral(referral: Mapping[str, Any], now: datetime, school_route: bool) -> Intake:
    """Validate a referral; raise `OpeningRefused` listing every problem."""
    check = _Check(local_date(now))
    if not check.keys(referral, TOP_KEYS, ""):
        raise OpeningRefused(check.problems)
    child = _child(check, referral.get("child"))
    facts: dict[str, Any] = {}
    school = _school(check, referral.get("school"), required=school_route)
    if school:
        facts["school"] = school
    for key in ("first_absence_date", "leave_end_date"):
        day = check.past_date(referral.get(key), key, required=False)
        if day is not None and _recent(check, day, key, child.get("date_of_birth")):
            facts[key] = day.isoformat()
    dated = {"first_absence_date", "leave_end_date"}
    if (
        school_route
        and not (dated & facts.keys())
        and not any(p.field in dated for p in check.problems)
    ):
        check.fail(
            "first_absence_date",
            "is required for a school referral (or "
            "leave_end_date when the pupil did not return from agreed leave)",
        )
    reason = check.text(referral.get("reason"), "reason", max_length=2000)
    if reason:
        facts["reason"] = reason
    flags = referral.get("risk_flags", [])
    if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
        check.fail("risk_flags", "must be a list of flag names")
        flags = []
    if len(flags) > MAX_FLAGS:
        check.fail("risk_flags", f"must name at most {MAX_FLAGS} flags (got {len(flags)})")
        flags = []
    for flag in triage.unknown_flags(flags):
        check.fail(
            "risk_flags", f"unknown flag {_quoted(flag)} (known: {', '.join(triage.RISK_FLAGS)})"
        )
    facts["risk_flags"] = list(dict.fromkeys(f for f in flags if f in triage.RISK_FLAGS))
    referrer_raw = referral.get("referrer")
    if referrer_raw is None:
        check.fail("referrer", "is required: who referred the child (name, organisation)")
    elif check.keys(referrer_raw, REFERRER_KEYS, "referrer"):
        referrer = {
            "name": check.text(referrer_raw.get("name"), "referrer.name"),
            "organisation": check.text(referrer_raw.get("organisation"), "referrer.organisation"),
        }
        if (email := check.email(referrer_raw.get("email"), "referrer.email")) is not None:
            referrer["email"] = email
        if (
            phone := check.text(
                referrer_raw.get("phone"), "referrer.phone", required=False, max_length=30
            )
        ) is not None:
            referrer["phone"] = phone
        facts["referrer"] = referrer
    for key in ("parents", "siblings"):
        people = _people(check, referral.get(key), key)
        if people:
            facts[key] = people
    notes = check.text(referral.get("notes"), "notes", required=False, max_length=MAX_NOTES)
    if notes:
        facts["notes"] = notes  # on the case, where caseworkers see it
    _primary_reason(check, referral.get("primary_reason"), facts)
    if check.problems:
        raise OpeningRefused(check.problems)
    return Intake(child=child, facts=facts)
