"""The templates' filters and globals (dates in local time, counts, actors, evidence rows,
template and role titles) and the plain-text layout (`wrap_text`)."""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from engine.clock import LOCAL_ZONE
from notifications.catalogue import TEMPLATES_DIR as TEMPLATES_DIR  # where the templates live
from notifications.strict import _BadValue, _defined

TEXT_WIDTH = 78
"""Plain-text bodies are wrapped to this width (RFC 5322 recommends 78)."""

TEMPLATE_TITLES: Mapping[str, str] = {
    "referral_received": "Referral received",
    "missing_four_weeks": "Child missing education for over four weeks",
    "mash_escalation": "Escalation to MASH",
    "escalation_unacknowledged": "MASH escalation not acknowledged",
    "escalation_to_manager": "MASH escalation referred to the service manager",
    "mash_decision_overdue": "MASH's decision awaited",
    "pro_forma": "Removal from roll (CME pro-forma)",
    "ctf_overdue": "Lost-pupil CTF upload overdue",
    "case_stalled": "Case has not moved",
    "ehe_handover": "Handover to Elective Home Education",
    "la_transfer": "Child moved to another local authority",
    "la_confirmation_overdue": "No confirmation from the other local authority",
    "la_escalation_to_manager": "Other authority still silent, referred to the service manager",
    "delivery_failed": "Message not delivered",
    "tracking_review": "CME tracking review due",
    "school_age_ended": "No longer of compulsory school age",
}
"""Each template's name in words, for people (e.g. in the `delivery_failed` alert)."""

ROLE_TITLES: Mapping[str, str] = {
    "cmeo": "the Children Missing Education Officer",
    "mash": "MASH (the Rapid Intervention and Assessment team)",
    "ehe_officer": "the Elective Home Education officer",
    "manager": "the service manager",
    "school": "the school",
    "caseworker": "the caseworker",
    "other_la": "the other local authority's CME contact",
}
"""Recipient roles in words (PROCESS.md, "Who is involved")."""

_ACRONYMS = frozenset({"cme", "cmeo", "ctf", "ehc", "ehe", "la", "mash", "s2s", "upn", "urn"})


def format_long_date(value: date) -> str:
    """`Friday 27 November 2026`; a datetime is taken on its Europe/London date.

    Raises:
        jinja2.TemplateRuntimeError: not a date, or a naive datetime (times are aware UTC
            everywhere).
    """
    _defined(value)
    if isinstance(value, datetime):
        value = _local(value).date()
    if not isinstance(value, date):
        raise _BadValue(f"longdate needs a date, got {type(value).__name__}")
    return f"{value:%A} {value.day} {value:%B %Y}"


def local_date(value: datetime) -> date:
    """The Europe/London calendar date of an aware datetime."""
    return _local(value).date()


def format_local_time(value: datetime) -> str:
    """`Friday 27 November 2026 at 2:05pm`, in Europe/London time (GOV.UK style)."""
    moment = _local(value)
    if (moment.hour, moment.minute) == (12, 0):
        clock = "midday"
    elif (moment.hour, moment.minute) == (0, 0):
        clock = "midnight"
    else:
        suffix = "am" if moment.hour < 12 else "pm"
        clock = f"{(moment.hour - 1) % 12 + 1}:{moment.minute:02d}{suffix}"
    return f"{format_long_date(moment.date())} at {clock}"


def format_time_on(value: datetime) -> str:
    """`09:00 on Tuesday 4 November 2026`, in Europe/London time: a deadline to the minute."""
    moment = _local(value)
    return f"{moment:%H:%M} on {format_long_date(moment.date())}"


def _local(value: datetime) -> datetime:
    _defined(value)
    if not isinstance(value, datetime):
        raise _BadValue(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _BadValue("a naive datetime cannot be shown in local time; pass an aware one")
    return value.astimezone(LOCAL_ZONE)


def format_count(number: int, noun: str) -> str:
    """`1 school day`, `15 school days`."""
    _defined(number)
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def format_actor(actor: str) -> str:
    """Who did it, for a reader: system actors are named as what they are."""
    _defined(actor)
    if actor == "system:timer":
        return "the CME system (a deadline was reached)"
    if actor == "system:outbox":
        return "the CME system (message delivery)"
    if actor.startswith("system:"):
        return "the CME system (an automatic rule)"
    return actor


def format_value(value: Any) -> str:
    """One evidence value in words: dates long, times local, booleans Yes/No."""
    if value is None or value == "":
        return "not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return format_local_time(value)
    if isinstance(value, date):
        return format_long_date(value)
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(format_value(v) for v in value) or "none"
    return str(value)


def humanise(key: str, *, capitalise: bool = True) -> str:
    """`raised_by` -> `Raised by`; `ctf_upload` -> `CTF upload`."""
    words = [w.upper() if w.lower() in _ACRONYMS else w for w in str(key).split("_")]
    text = " ".join(words).replace("pro forma", "pro-forma")
    return text[:1].upper() + text[1:] if capitalise else text


def evidence_rows(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Flatten an event's evidence into `(label, text)` rows, nested kinds as "Kind – field".

    Keys keep their recorded order: it is the order the evidence kind declares its fields.
    """
    _defined(evidence)
    rows: list[tuple[str, str]] = []
    for key, value in evidence.items():
        if isinstance(value, Mapping):
            kind = humanise(key)
            rows.extend(
                (f"{kind} – {humanise(field, capitalise=False)}", format_value(item))
                for field, item in value.items()
            )
        else:
            rows.append((humanise(key), format_value(value)))
    return rows


def template_title(name: str) -> str:
    """A template's name in words (`TEMPLATE_TITLES`), or the name itself (worked out once
    per name: every delivery-failure subject names its template)."""
    return _template_title(name) if isinstance(name, str) else humanise(name)


def role_title(role: str) -> str:
    """A recipient role in words (`ROLE_TITLES`)."""
    return _role_title(role) if isinstance(role, str) else humanise(role)


@functools.cache
def _template_title(name: str) -> str:
    return TEMPLATE_TITLES[name] if name in TEMPLATE_TITLES else humanise(name)


@functools.cache
def _role_title(role: str) -> str:
    return ROLE_TITLES[role] if role in ROLE_TITLES else humanise(role)


def _tidy(text: str) -> str:
    """At most one blank line in a row, none at the start, one newline at the end."""
    return re.sub(r"\n[ \t]*(?:\n[ \t]*)+\n", "\n\n", text).strip("\n") + "\n"


_LEAD = re.compile(r"^(\s*)(?:([-*] |\d+\. )|([^\s:][^:]{0,30}:\s{2,}))?")


def wrap_text(text: str, width: int = TEXT_WIDTH) -> str:
    """Wrap long lines; continuation lines align under a bullet's or a label's text."""
    wrapped: list[str] = []
    for line in text.splitlines():
        if len(line) <= width:
            wrapped.append(line.rstrip())
            continue
        match = _LEAD.match(line)
        indent = len(match.group(0)) if match else 0
        wrapped.append(
            textwrap.fill(
                line.rstrip(),
                width=width,
                subsequent_indent=" " * indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(wrapped) + ("\n" if text.endswith("\n") else "")
