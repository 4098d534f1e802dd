"""GOV.UK forms generated from a trigger's evidence schema, and posted forms read back.

A step's form is built from the chart (`TriggerDef.evidence`): a date is the GOV.UK date-input
pattern (day, month, year), a date and time adds a time of day ("14:30", "2:30pm"), a choice is
radios with plain-language labels (`cme.web.wording.choice_label`), several choices are
checkboxes, yes/no is two radios, long text a textarea. `read_form` turns what was posted back
into the evidence the engine parses (ISO text), with problems it can judge without the engine
(a date with no month) keyed by field; the engine's own refusals (`EvidenceInvalid`,
`GuardsFailed`) are mapped onto the same fields by `errors_from_refusal`, so a refused form
comes back filled, with an error summary whose links land on the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cme.web.wording import choice_label, field_hint
from engine.definition import FieldType, TriggerDef
from engine.evidence import NONE_CHOSEN, SINGLE_LINE_MAX

Kind = Literal["date", "datetime", "text", "textarea", "radios", "checkboxes", "boolean", "number"]
DATE_PARTS = ("day", "month", "year")
TIME_PART = "time"
TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\s*$", re.I)


@dataclass(frozen=True, slots=True)
class Option:
    """One radio or checkbox: the value posted and its label."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class FormField:
    """One evidence field as a GOV.UK component, with the values last posted (refilled)."""

    form: str
    name: str
    kind: Kind
    label: str
    required: bool
    hint: str = ""
    options: tuple[Option, ...] = ()
    max_length: int | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    """Input name -> text posted (`made_on-day`, `summary`)."""
    chosen: tuple[str, ...] = ()
    """For radios and checkboxes: the values posted."""
    error: str | None = None

    @property
    def id(self) -> str:
        """The field's id on the page (unique across the page's forms)."""
        return f"{self.form}--{self.name}"

    @property
    def anchor(self) -> str:
        """Where the error summary's link lands: the first input of the field."""
        if self.kind in ("date", "datetime"):
            return f"{self.id}-day"
        if self.kind in ("radios", "checkboxes", "boolean"):
            return f"{self.id}-0"
        return self.id

    def value(self, part: str = "") -> str:
        """The text last posted for the field (or one of its parts: `day`, `time`)."""
        return self.values.get(f"{self.name}-{part}" if part else self.name, "")


@dataclass(frozen=True, slots=True)
class Form:
    """One step's form: its trigger, title, fields and errors (field name -> message)."""

    trigger: str
    title: str
    fields: tuple[FormField, ...]
    errors: Mapping[str, str] = field(default_factory=dict)
    general: tuple[str, ...] = ()
    """Problems that belong to no one field (a rule about the case), shown in the summary."""

    @property
    def summary(self) -> list[tuple[str, str]]:
        """The error summary: (href, message), in the order of the fields."""
        items = [(f"#{f.anchor}", f.error) for f in self.fields if f.error]
        first = f"#{self.fields[0].anchor}" if self.fields else f"#{self.trigger}"
        return [(h, m) for h, m in items if m] + [(first, m) for m in self.general]


def _kind(type_: FieldType, max_length: int) -> Kind:
    match type_:
        case FieldType.DATE:
            return "date"
        case FieldType.DATETIME:
            return "datetime"
        case FieldType.CHOICE:
            return "radios"
        case FieldType.CHOICES:
            return "checkboxes"
        case FieldType.BOOL:
            return "boolean"
        case FieldType.INTEGER:
            return "number"
        case FieldType.TEXT if max_length > SINGLE_LINE_MAX:
            return "textarea"
        case _:
            return "text"


def build_form(
    trigger: TriggerDef,
    posted: Iterable[tuple[str, str]] = (),
    errors: Mapping[str, str] | None = None,
    general: Iterable[str] = (),
) -> Form:
    """The GOV.UK form for `trigger`, refilled with `posted` and showing `errors`."""
    errors = dict(errors or {})
    items = list(posted)
    fields = []
    for slot in trigger.evidence:
        spec = slot.field
        kind = _kind(spec.type, spec.max_length)
        options: tuple[Option, ...] = ()
        if kind in ("radios", "checkboxes"):
            options = tuple(Option(c, choice_label(spec.name, c)) for c in spec.choices)
        elif kind == "boolean":
            options = (Option("yes", "Yes"), Option("no", "No"))
        mine = [(k, v) for k, v in items if k == spec.name or k.startswith(f"{spec.name}-")]
        fields.append(
            FormField(
                form=trigger.id,
                name=spec.name,
                kind=kind,
                label=spec.title,
                required=slot.required,
                hint=field_hint(spec, kind),
                options=options,
                max_length=spec.max_length if kind in ("text", "textarea") else None,
                values=dict(mine),
                chosen=tuple(v for k, v in mine if k == spec.name),
                error=errors.get(spec.name),
            )
        )
    return Form(trigger.id, trigger.title, tuple(fields), errors, tuple(general))


@dataclass(frozen=True, slots=True)
class Read:
    """A posted form read back: the evidence for the engine, and problems by field."""

    evidence: dict[str, Any]
    errors: dict[str, str]


def read_form(trigger: TriggerDef, posted: Iterable[tuple[str, str]]) -> Read:
    """The evidence `posted` gives for `trigger` (ISO text the engine parses), and the problems
    found before the engine (a date part missing, a time that is no time); a field left empty
    is left out, for the engine to say whether it was required."""
    items = list(posted)
    values: dict[str, list[str]] = {}
    for k, v in items:
        values.setdefault(k, []).append(v)

    def one(name: str) -> str:
        return (values.get(name) or [""])[-1].strip()

    evidence: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for slot in trigger.evidence:
        spec = slot.field
        kind = _kind(spec.type, spec.max_length)
        try:
            if kind in ("date", "datetime"):
                day = date_text(spec.title, [one(f"{spec.name}-{p}") for p in DATE_PARTS])
                if kind == "datetime":
                    clock = time_text(spec.title, one(f"{spec.name}-{TIME_PART}"), day)
                    value: Any = f"{day}T{clock}" if day else None
                else:
                    value = day
            elif kind == "checkboxes":
                chosen = [v for v in values.get(spec.name, []) if v]
                # none ticked is an answer ("none of these": the list is cleared) when the
                # form showed the field (its hidden `-shown` marker came back)
                value = chosen or (NONE_CHOSEN if f"{spec.name}-shown" in values else None)
            else:
                value = one(spec.name) or None
        except PartMissing as missing:
            errors[spec.name] = str(missing)
            continue
        if value is not None:
            evidence[spec.name] = value
    return Read(evidence, errors)


class PartMissing(ValueError):
    """A date or time with a part missing or unreadable (the message names the field)."""


def date_text(title: str, parts: list[str]) -> str | None:
    """`YYYY-MM-DD` from day, month and year (None if all empty)."""
    if not any(parts):
        return None
    missing = [p for p, v in zip(DATE_PARTS, parts, strict=True) if not v]
    if missing:
        raise PartMissing(f"{title} must include a {' and a '.join(missing)}")
    day, month, year = parts
    if not (day.isdigit() and month.isdigit() and year.isdigit()):
        raise PartMissing(f"{title} must be a real date, in numbers, for example 27 3 2026")
    if len(year) != 4:
        raise PartMissing(f"{title}: the year must have 4 numbers, for example 2026")
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def time_text(title: str, text: str, day: str | None) -> str:
    """`HH:MM` from a time of day as people write it (14:30, 2.30pm, 9am)."""
    if not text:
        if day is None:
            return ""
        raise PartMissing(
            f"{title} must include the time of day, for example 14:30 (visits at different "
            "times of day are a rule of the process)"
        )
    match = TIME.match(text)
    if match is None:
        raise PartMissing(f"{title}: enter the time as, for example, 09:30 or 2:30pm")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    half = (match.group(3) or "").lower()
    if half and not 1 <= hour <= 12:
        raise PartMissing(f"{title}: with am or pm the hour is 1 to 12")
    if half == "pm" and hour != 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise PartMissing(f"{title}: there is no such time of day ({text})")
    if day is None:
        raise PartMissing(f"{title} must include the date as well as the time")
    return f"{hour:02d}:{minute:02d}"


def errors_from_refusal(
    trigger: TriggerDef, refusal: Exception
) -> tuple[dict[str, str], list[str]]:
    """The engine's refusal of a step as form errors: per field (`EvidenceInvalid`'s problems,
    a rule about one field's value), and the rest (rules about the case) for the summary."""
    from cme.web.wording import GUARD_FIELDS, blocking_rule
    from engine.errors import EvidenceInvalid, GuardsFailed

    titles = {s.field.name: s.field.title for s in trigger.evidence}
    per_field: dict[str, str] = {}
    general: list[str] = []
    if isinstance(refusal, EvidenceInvalid):
        for p in refusal.problems:
            if p.field in titles:
                title = titles[p.field]
                message = (
                    f"{title}: this is required"
                    if p.rule == f"is required ({title})"
                    else f"{title}: {p.rule}"
                )
                per_field[p.field] = per_field.get(p.field, "") and per_field[p.field] + "; "
                per_field[p.field] += message
            else:
                general.append(f"{p.field}: {p.rule}")
    elif isinstance(refusal, GuardsFailed):
        for b in refusal.blocks:
            words = blocking_rule(f"{b.guard}: {b.reason}").text
            target = GUARD_FIELDS.get(b.guard)
            if target in titles and target not in per_field:
                per_field[target] = f"{titles[target]}: {words}"
            else:
                general.append(words)
    else:
        general.append(str(refusal))
    return per_field, general
