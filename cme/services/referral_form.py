"""A referral, or a correction, from flat named fields: what a web form posts and what the
CLI's flags give (`child.forename`, `school.name`, `referrer.email`, `parents`...). The
fields are nested into the referral document `cme case open --file` reads, and validated by
the chart's intake exactly as that file is (workflows/intake.py): one rule, every door.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FormField:
    """One field of the referral form: its name (dotted path), label and kind."""

    name: str
    label: str
    kind: str = "text"
    """text, date, email, list (one per line), textarea, choice."""
    hint: str = ""


REFERRAL_FIELDS: tuple[FormField, ...] = (
    FormField("child.forename", "First name"),
    FormField("child.surname", "Last name"),
    FormField("child.date_of_birth", "Date of birth", "date", "For example, 27 3 2014"),
    FormField("child.upn", "Unique pupil number (UPN)", hint="13 characters, if known"),
    FormField("child.gender", "Gender", "choice"),
    FormField("child.address.line1", "Address line 1"),
    FormField("child.address.line2", "Address line 2 (optional)"),
    FormField("child.address.town", "Town or city"),
    FormField("child.address.postcode", "Postcode"),
    FormField("school.id", "School number (URN or DfE number)"),
    FormField("school.name", "School name"),
    FormField("first_absence_date", "First day of absence", "date"),
    FormField(
        "leave_end_date", "End of agreed leave", "date", "If the pupil did not return from leave"
    ),
    FormField("reason", "Reason for the referral", "textarea"),
    FormField("risk_flags", "Risk factors", "list"),
    FormField("referrer.name", "Referrer's name"),
    FormField("referrer.organisation", "Referrer's organisation"),
    FormField("referrer.email", "Referrer's email address", "email"),
    FormField("referrer.phone", "Referrer's telephone number"),
    FormField("parents", "Parents or carers", "list", "One full name per line"),
    FormField("siblings", "Siblings", "list", "One full name per line"),
    FormField("notes", "Notes", "textarea"),
)
LIST_FIELDS = frozenset(f.name for f in REFERRAL_FIELDS if f.kind == "list")
CORRECTABLE = (
    "child.forename",
    "child.surname",
    "child.date_of_birth",
    "child.upn",
    "child.gender",
    "child.address.line1",
    "child.address.line2",
    "child.address.town",
    "child.address.postcode",
    "school.name",
    "reason",
    "referrer.name",
    "referrer.organisation",
    "referrer.email",
    "referrer.phone",
    "parents",
    "siblings",
    "notes",
)
"""The fields the correction form offers (workflows/corrections.py says why not the rest)."""


def as_list(value: Any) -> list[str]:
    """A list field's items: a list as given, or text split on new lines and semicolons."""
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = re.split(r"[\n;]", str(value))
    return [i.strip() for i in items if i.strip()]


def nest(fields: Mapping[str, Any], keep_empty: bool = False) -> dict[str, Any]:
    """Dotted names to nested objects; empty values left out (unless `keep_empty`: a
    correction that clears an optional field)."""
    out: dict[str, Any] = {}
    for name, raw in fields.items():
        value = as_list(raw) if name in LIST_FIELDS else raw
        if isinstance(value, str):
            value = value.strip()
        if not keep_empty and value in ("", [], None):
            continue
        parts = name.split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = value
    return out


def referral_from_fields(
    fields: Mapping[str, Any], base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The referral document from form fields (over `base`, e.g. a file's referral)."""
    merged: dict[str, Any] = dict(base or {})
    for key, value in nest(fields).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            inner = dict(merged[key])
            for k, v in value.items():
                if isinstance(v, dict) and isinstance(inner.get(k), dict):
                    inner[k] = {**inner[k], **v}
                else:
                    inner[k] = v
            merged[key] = inner
        else:
            merged[key] = value
    return merged


def correction_from_fields(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(child changes, referral changes) from the correction form's fields; a field given
    empty clears an optional value."""
    nested = nest(fields, keep_empty=True)
    child = nested.pop("child", {})
    return (child if isinstance(child, dict) else {"": child}), nested
