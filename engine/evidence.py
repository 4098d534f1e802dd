"""Evidence values: parsed, typed, checked against their field's rule.

Values come from a prompt or `--set NAME=VALUE` (strings) or JSON (typed). They are stored as
JSON-ready values: dates `YYYY-MM-DD`, date-times in UTC `...Z`, choices as given. A naive
date-time is read as Europe/London local time (a caseworker's wall clock).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from engine.clock import LOCAL_ZONE, local_date
from engine.definition import FieldDef, FieldType, TriggerDef
from engine.errors import EvidenceInvalid, FieldProblem
from engine.errors import ValueRefused as ValueRefused  # its home before the error tree

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}


@lru_cache(maxsize=4096)
def format_utc(moment: datetime) -> str:
    """Canonical UTC text for a moment: `2026-11-27T09:30:00.000000Z` (kept per moment: a
    batch seals many events at the same `now`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    """Inverse of `format_utc` (accepts any ISO form with an offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def parse_value(spec: FieldDef, raw: Any, now: datetime) -> Any:
    """Parse one value for `spec`; raise `ValueRefused` with the rule it breaks."""
    match spec.type:
        case FieldType.TEXT:
            return _text(spec, raw)
        case FieldType.DATE:
            return _date(spec, raw, now).isoformat()
        case FieldType.DATETIME:
            return format_utc(_datetime(spec, raw, now))
        case FieldType.BOOL:
            return _bool(raw)
        case FieldType.INTEGER:
            return _integer(raw)
        case FieldType.CHOICE:
            return _choice(spec, raw)
        case FieldType.CHOICES:
            items = raw if isinstance(raw, list) else [p for p in str(raw).split(",") if p.strip()]
            values = [_choice(spec, item) for item in items]
            return list(dict.fromkeys(values))
        case FieldType.EMAIL:
            text = _text(spec, raw).strip()
            if not EMAIL.match(text):
                raise ValueRefused("must be an email address like name@example.gov.uk")
            return text.lower()


def _text(spec: FieldDef, raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueRefused("must be text")
    text = raw.strip()
    if not text:
        raise ValueRefused("must not be empty")
    if len(text) > spec.max_length:
        raise ValueRefused(f"must be at most {spec.max_length} characters (got {len(text)})")
    if CONTROL.search(text):
        raise ValueRefused("must not contain control characters")
    return text


def _date(spec: FieldDef, raw: Any, now: datetime) -> date:
    if isinstance(raw, datetime):
        raise ValueRefused("must be a date (YYYY-MM-DD), not a date and time")
    if isinstance(raw, date):
        value = raw
    else:
        try:
            value = date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueRefused(f"must be a date as YYYY-MM-DD (got {str(raw)[:40]!r})") from None
    today = local_date(now)
    if not spec.allow_future and value > today:
        raise ValueRefused(f"cannot be in the future (today is {today.isoformat()})")
    return value


def _datetime(spec: FieldDef, raw: Any, now: datetime) -> datetime:
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueRefused(
                f"must be a date and time as YYYY-MM-DDTHH:MM (local time) (got {str(raw)[:40]!r})"
            ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_ZONE)
    if not spec.allow_future and value > now:
        raise ValueRefused("cannot be in the future")
    return value


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueRefused("must be yes or no (true/false)")


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueRefused("must be a whole number")
    if isinstance(raw, int):
        return raw
    try:
        return int(str(raw).strip())
    except ValueError:
        raise ValueRefused("must be a whole number") from None


def _choice(spec: FieldDef, raw: Any) -> str:
    text = str(raw).strip()
    if text not in spec.choices:
        raise ValueRefused(f"must be one of: {', '.join(spec.choices)} (got {text[:40]!r})")
    return text


def parse_evidence(trigger: TriggerDef, raw: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Parse every value for `trigger`; raise `EvidenceInvalid` listing every problem."""
    problems: list[FieldProblem] = []
    known = {slot.field.name: slot for slot in trigger.evidence}
    for name in raw:
        if name not in known:
            allowed = ", ".join(known) or "none"
            problems.append(
                FieldProblem(name, f"is not evidence for this step (expected: {allowed})")
            )
    parsed: dict[str, Any] = {}
    for name, slot in known.items():
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if slot.required:
                problems.append(FieldProblem(name, f"is required ({slot.field.title})"))
            continue
        try:
            parsed[name] = parse_value(slot.field, value, now)
        except ValueRefused as exc:
            problems.append(FieldProblem(name, str(exc)))
    if problems:
        raise EvidenceInvalid(trigger.id, problems)
    return parsed
