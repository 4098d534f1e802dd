"""Evidence values: parsed, typed, checked against their field's rule.

Values come from a prompt or `--set NAME=VALUE` (strings) or JSON (typed). They are stored as
JSON-ready values: dates `YYYY-MM-DD`, date-times in UTC `...Z` (always a 4-digit year),
choices as given. A naive date-time is read as Europe/London local time (a caseworker's wall
clock).

Dates and times record what happened, so they must be plausible (issue 13 item 3): never in
the future (a time may run `CLOCK_TOLERANCE` ahead of the server's clock: a caseworker's
watch is not the server's), and, given the case's `EvidenceWindow`, not before the child's
birth nor more than a year before the first day of absence. Text is one line (control and
invisible characters refused, NFC) unless its field allows more than `SINGLE_LINE_MAX`
characters (a summary, the notes): see `engine.text`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from engine.clock import LOCAL_ZONE, local_date
from engine.definition import FieldDef, FieldType, TriggerDef
from engine.errors import EvidenceInvalid, FieldProblem
from engine.errors import StoredValueUnreadable as StoredValueUnreadable  # raised here
from engine.errors import ValueRefused as ValueRefused  # its home before the error tree
from engine.text import TextRefused, clean

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$"
)
TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}
CLOCK_TOLERANCE = timedelta(minutes=5)
"""How far ahead of the server's clock a recorded time may be (a device's clock drifts)."""
EARLIEST = date(1990, 1, 1)
"""No evidence in a CME case predates this (a child of compulsory school age today was born
after 2007): an earlier date is a typing slip."""
FUTURE_YEARS = 2
"""For a field that allows the future (a planned date): at most this many years ahead."""
SINGLE_LINE_MAX = 200
"""A text field of at most this many characters is one line (a name, an officer, a file)."""
INTEGER_LIMIT = 10**9
NONE_CHOSEN = "none"
"""For `choices`: the explicit empty list (`risk_flags=none`); `,,,` is refused."""


@dataclass(frozen=True, slots=True)
class EvidenceWindow:
    """The earliest plausible date for a case's evidence, and why (for the refusal)."""

    earliest: date = EARLIEST
    why: str = "no evidence in a CME case is that old"


def evidence_window(facts: Mapping[str, Any], child: Mapping[str, Any]) -> EvidenceWindow:
    """The latest of: the child's birth, a year before the first day of absence, `EARLIEST`."""
    window = EvidenceWindow()
    born = _stored_date(child.get("date_of_birth"))
    if born is not None and born > window.earliest:
        window = EvidenceWindow(born, "the child's date of birth")
    first = _stored_date(facts.get("first_absence_date"))
    if first is not None:
        year_before = _minus_a_year(first)
        if year_before > window.earliest:
            window = EvidenceWindow(
                year_before,
                f"a year before the first day of absence ({first.isoformat()})",
            )
    return window


def _stored_date(value: Any) -> date | None:
    if not isinstance(value, str) or not ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _minus_a_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February, or year 1
        return day - timedelta(days=365) if day.year > 1 else date.min


@lru_cache(maxsize=4096)
def format_utc(moment: datetime) -> str:
    """Canonical UTC text for a moment: `2026-11-27T09:30:00.000000Z`, always a 4-digit year
    (strftime's `%Y` writes year 202 as `202`, which no parser reads back); kept per moment:
    a batch seals many events at the same `now`."""
    m = moment.astimezone(UTC)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:"
        f"{m.second:02d}.{m.microsecond:06d}Z"
    )


def parse_utc(text: str) -> datetime:
    """Inverse of `format_utc` (accepts any ISO form with an offset).

    Raises:
        StoredValueUnreadable: the text is not a date and time (the caller names the case
            and field).
    """
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError, TypeError):
        raise StoredValueUnreadable(text) from None


def parse_value(
    spec: FieldDef, raw: Any, now: datetime, window: EvidenceWindow | None = None
) -> Any:
    """Parse one value for `spec`; raise `ValueRefused` with the rule it breaks."""
    window = window or EvidenceWindow()
    match spec.type:
        case FieldType.TEXT:
            return _text(spec, raw)
        case FieldType.DATE:
            return _date(spec, raw, now, window).isoformat()
        case FieldType.DATETIME:
            return format_utc(_datetime(spec, raw, now, window))
        case FieldType.BOOL:
            return _bool(raw)
        case FieldType.INTEGER:
            return _integer(raw)
        case FieldType.CHOICE:
            return _choice(spec, raw)
        case FieldType.CHOICES:
            return _choices(spec, raw)
        case FieldType.EMAIL:
            text = _text(spec, raw).strip()
            if not EMAIL.match(text):
                raise ValueRefused("must be an email address like name@example.gov.uk")
            return text.lower()


def _text(spec: FieldDef, raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueRefused("must be text")
    try:
        text = clean(raw, spec.max_length, multiline=spec.max_length > SINGLE_LINE_MAX)
    except TextRefused as exc:
        raise ValueRefused(str(exc)) from None
    if not text:
        raise ValueRefused("must not be empty")
    return text


def _shown(raw: Any) -> str:
    text = ascii(raw)
    return text if len(text) <= 42 else text[:39] + "..."


def _date(spec: FieldDef, raw: Any, now: datetime, window: EvidenceWindow) -> date:
    rule = "must be a date as YYYY-MM-DD"
    if isinstance(raw, datetime):
        raise ValueRefused("must be a date (YYYY-MM-DD), not a date and time")
    if isinstance(raw, date):
        value = raw
    elif isinstance(raw, str) and ISO_DATE.match(raw.strip()):
        try:
            value = date.fromisoformat(raw.strip())
        except ValueError:
            raise ValueRefused(f"{rule}: no such day ({_shown(raw)})") from None
    else:
        raise ValueRefused(f"{rule} (got {_shown(raw)})")
    today = local_date(now)
    _check_window(value, window)
    if not spec.allow_future and value > today:
        raise ValueRefused(f"cannot be in the future (today is {today.isoformat()})")
    if value > _years_after(today, FUTURE_YEARS):
        raise ValueRefused(f"cannot be more than {FUTURE_YEARS} years ahead: check the year")
    return value


def _check_window(day: date, window: EvidenceWindow) -> None:
    if day < window.earliest:
        raise ValueRefused(
            f"cannot be before {window.earliest.isoformat()} ({window.why}): check the year "
            f"(got {day.isoformat()})"
        )


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day + timedelta(days=365 * years)


def _datetime(spec: FieldDef, raw: Any, now: datetime, window: EvidenceWindow) -> datetime:
    rule = "must be a date and time as YYYY-MM-DDTHH:MM (local time)"
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str) and ISO_DATETIME.match(raw.strip()):
        try:
            value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueRefused(f"{rule}: no such day or time ({_shown(raw)})") from None
    elif isinstance(raw, str) and ISO_DATE.match(raw.strip()):
        raise ValueRefused(
            f"give the time of day as well as the date (e.g. {raw.strip()}T09:30): a date "
            "alone would read as midnight"
        )
    else:
        raise ValueRefused(f"{rule} (got {_shown(raw)})")
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_ZONE)
    try:
        value = value.astimezone(UTC)
        local = value.astimezone(LOCAL_ZONE)
    except (OverflowError, ValueError):
        raise ValueRefused(f"{rule}: outside the calendar ({_shown(raw)})") from None
    _check_window(local.date(), window)
    latest = now + CLOCK_TOLERANCE
    if not spec.allow_future and value > latest:
        minutes = int(CLOCK_TOLERANCE.total_seconds() // 60)
        raise ValueRefused(
            f"cannot be in the future (more than {minutes} minutes ahead of the server's "
            f"clock, {format_utc(now)[:16]} UTC)"
        )
    if local.date() > _years_after(local_date(now), FUTURE_YEARS):
        raise ValueRefused(f"cannot be more than {FUTURE_YEARS} years ahead: check the year")
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
    rule = f"must be a whole number between -{INTEGER_LIMIT} and {INTEGER_LIMIT}"
    if isinstance(raw, bool):
        raise ValueRefused(rule)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,12}\s*", raw):
        value = int(raw)
    else:
        raise ValueRefused(rule)
    if abs(value) > INTEGER_LIMIT:
        raise ValueRefused(rule)
    return value


def _choice(spec: FieldDef, raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueRefused(f"must be one of: {', '.join(spec.choices)} (got {_shown(raw)})")
    text = raw.strip()
    if text not in spec.choices:
        raise ValueRefused(f"must be one of: {', '.join(spec.choices)} (got {_shown(text)})")
    return text


def _choices(spec: FieldDef, raw: Any) -> list[str]:
    """A list, or text separated by commas; `none` is the explicit empty list."""
    if isinstance(raw, list):
        items = raw
    elif isinstance(raw, str):
        if raw.strip().lower() == NONE_CHOSEN:
            return []
        items = [p for p in raw.split(",") if p.strip()]
        if not items:
            raise ValueRefused(
                f"names no value (got {_shown(raw)}): give one or more of "
                f"{', '.join(spec.choices)} separated by commas, or '{NONE_CHOSEN}' to clear"
            )
    else:
        raise ValueRefused(f"must be one or more of: {', '.join(spec.choices)}")
    if len(items) > max(len(spec.choices), 1) * 2:
        raise ValueRefused(f"names {len(items)} values: at most {len(spec.choices)} exist")
    return list(dict.fromkeys(_choice(spec, item) for item in items))


def parse_evidence(
    trigger: TriggerDef,
    raw: Mapping[str, Any],
    now: datetime,
    window: EvidenceWindow | None = None,
) -> dict[str, Any]:
    """Parse every value for `trigger`; raise `EvidenceInvalid` listing every problem."""
    problems: list[FieldProblem] = []
    known = {slot.field.name: slot for slot in trigger.evidence}
    for name in raw:
        if name not in known:
            allowed = ", ".join(known) or "none"
            shown = name if re.fullmatch(r"[A-Za-z0-9_]{1,40}", str(name)) else _shown(name)
            problems.append(
                FieldProblem(shown, f"is not evidence for this step (expected: {allowed})")
            )
    parsed: dict[str, Any] = {}
    for name, slot in known.items():
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if slot.required:
                problems.append(FieldProblem(name, f"is required ({slot.field.title})"))
            continue
        try:
            parsed[name] = parse_value(slot.field, value, now, window)
        except ValueRefused as exc:
            problems.append(FieldProblem(name, str(exc)))
    if problems:
        raise EvidenceInvalid(trigger.id, problems)
    return parsed
