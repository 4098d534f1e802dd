"""Render notification templates into messages, one per recipient.

`TemplateRenderer` implements the engine's `Renderer` port. A template is three files in
`notifications/templates/`: `NAME.subject.j2` (one line), `NAME.txt.j2` and `NAME.html.j2`.
Files whose name starts with `_` are shared pieces (bases and macros), not templates.

Rendering is strict: a value the template uses and the context lacks raises
`MissingTemplateVariable` naming the template, the file, the line and the dotted variable
(`extra.other_la`). HTML is autoescaped; text and subject are not (they are not HTML).

It must not read the wall clock, the database or the network: everything comes in the context.

The context
-----------
A plain dict; every template gets the same shape, so the engine builds it once per event::

    case:      ref               str   "CME-000042" (engine.ports.case_ref)
               workflow          str   "school-referral"
               workflow_title    str   "A school reports a missing pupil"
               state             str   "escalated_to_mash"
               state_title       str   "Escalated to MASH"
               priority          "high" | "standard"
               opened_on         date
               school            str | None   the school's id (LAESTAB), the key of
                                              Recipients.schools
               first_absence_date date | None
               (optional) leave_end_date date   when agreed leave ended (no first absence)
               risk_flags        list[str]    ids, e.g. ["child_protection_plan"]
               risk_descriptions list[str]    the same, in words, for the reader
               reason            str          why the case was opened, in words
               (optional) school_name      str   shown instead of the school id
               (optional) caseworker_email str   where `case_stalled` goes
    child:     forename, surname str; date_of_birth date | None; upn str | None;
               address str | None
    event:     trigger str; trigger_title str; actor str ("Jane Smith (caseworker)" or
               "system:timer"); at datetime (aware); evidence dict (kind -> fields, or fields)
    deadline:  None, or {name str, title str, due_on date, school_days int | None,
               provisional bool, (optional) provisional_reason str}   school_days is None
               for deadlines counted in working or calendar days; provisional means the term
               dates for that period are not loaded, and provisional_reason says which
               ("no term dates loaded for 2026/27"); every letter then says so
    authority: name, cme_contact_name, cme_contact_email, cme_contact_phone   all str
    extra:     dict, template-specific: the required keys are `TEMPLATE_EXTRAS`; optional ones
               are listed in `OPTIONAL_EXTRAS`

Bodies may name the child (the recipient needs it; they travel over TLS to allow-listed domains
only). Subjects never do: after rendering, `render_one` checks each subject against the child's
name, date of birth and UPN and raises `SubjectDisclosesIdentity` if it finds one
(PROCESS.md: "Subjects carry a case reference, never a child's name").
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import jinja2

from engine.clock import LOCAL_ZONE
from engine.ports import UNRENDERED, RenderedMessage, Renderer
from notifications.catalogue import TEMPLATE_SUFFIXES, template_names
from notifications.catalogue import TEMPLATES_DIR as TEMPLATES_DIR  # where the templates live
from notifications.errors import (
    MissingTemplateVariable,
    SubjectDisclosesIdentity,
    TemplateRenderError,
    UnknownTemplate,
)
from notifications.recipients import Recipients

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

_ESCALATION: Mapping[str, str] = {
    "escalation": "dict: why the case went to MASH and which send this is "
    "(workflows.escalation_letters: kind, reason, concern, raised_by, escalated_by, "
    "first_sent_at, send, resend, ack_due_at)"
}
"""Every message to MASH, or about a MASH escalation, says why the case went there."""

TEMPLATE_EXTRAS: Mapping[str, Mapping[str, str]] = {
    "referral_received": {},
    "missing_four_weeks": {},
    "mash_escalation": _ESCALATION,
    "escalation_unacknowledged": _ESCALATION,
    "escalation_to_manager": _ESCALATION,
    "mash_decision_overdue": _ESCALATION,
    "pro_forma": {
        "ground": "str: the deletion ground and its clause, e.g. 'reg 9(1)(i): 20 school days "
        "of continuous unauthorised absence, joint enquiries failed'",
        "reason": "str: the reason the pro-forma states",
        "removed_on": "date: the day the pupil was removed from roll",
    },
    "ctf_overdue": {},
    "case_stalled": {"state_entered_on": "date: the day the case entered its current stage"},
    "ehe_handover": {},
    "la_transfer": {"other_la": "str: the other authority's LA number (a key of Recipients.las)"},
    "la_confirmation_overdue": {"other_la": "str: the other authority's LA number"},
    "la_escalation_to_manager": {"other_la": "str: the other authority's LA number"},
    "delivery_failed": {
        "template": "str: the template of the message that could not be delivered",
        "recipient_role": "str: the role it was for",
        "error": "str: why it failed, in operator words",
    },
    "tracking_review": {},
    "school_age_ended": {
        "school_age_ended_on": "date: the last day of compulsory school age (Education Act "
        "1996 s8(3): the last Friday in June of the school year the child turns 16)"
    },
}
"""The `extra` keys each template requires; rendering without one raises
`MissingTemplateVariable` naming it. Kept few on purpose: a notification about a child should
not fail for want of a detail the letter can do without (those are in `OPTIONAL_EXTRAS`)."""

OPTIONAL_EXTRAS: Mapping[str, Mapping[str, str]] = {
    "referral_received": {"referrer": "str: who referred (e.g. the school's name)"},
    "mash_escalation": {
        "escalation_count": "int: how many times it has now been sent (2 or more: a resend)",
        "first_sent_at": "datetime: when it was first sent",
        "referrer_details": "dict: the referrer's name, organisation, email, phone held",
        "parents": "list[str]: the parents' or carers' names held",
        "siblings": "list[str]: the other children at home",
    },
    "escalation_unacknowledged": {
        "escalation_count": "int: how many times it has now been sent",
        "first_sent_at": "datetime: when it was first sent",
        "referrer_details": "dict: the referrer's name, organisation, email, phone held",
        "parents": "list[str]: the parents' or carers' names held",
        "siblings": "list[str]: the other children at home",
    },
    "escalation_to_manager": {
        "escalation_count": "int: how many times it has now been sent",
        "first_sent_at": "datetime: when it was first sent",
        "referrer_details": "dict: the referrer's name, organisation, email, phone held",
        "parents": "list[str]: the parents' or carers' names held",
        "siblings": "list[str]: the other children at home",
    },
    "mash_decision_overdue": {
        "acknowledgement": "dict: by, at, recorded_by, on_behalf, received_via",
        "reviews": "int: how many reminders have gone since MASH acknowledged",
        "review_due_on": "date: when the next reminder falls due",
    },
    "ctf_overdue": {"removed_on": "date: the day the pupil was removed from roll"},
    "pro_forma": {
        "deletion_return": "list[(str, str)]: reg 13(4) particulars beyond the child's name "
        "and address (parents, their address and phone, future address, new school), each "
        "'not known' when the case does not hold it",
        "home_education": "bool: removed under reg 9(1)(f), the parent's written notice of "
        "home education",
    },
    "tracking_review": {"removed_on": "date: the day the pupil was removed from roll"},
    "ehe_handover": {"confirmed_on": "date: when the parents confirmed home education in writing"},
    "la_transfer": {
        "other_la_name": "str: the other authority's name (else its LA number is shown)",
        "new_address": "str: the child's address in the other authority, if known",
        "la_send": "int: which send of the notice this is (2 or more: a chase)",
        "la_first_sent_at": "datetime: when the other authority was first told",
        "la_reply_due_on": "date: by when the other authority is asked to confirm",
    },
    "la_confirmation_overdue": {
        "other_la_name": "str: the other authority's name",
        "notified_on": "date: when the other authority was told",
        "la_send": "int: which send of the notice this is (2 or more: a chase)",
        "la_first_sent_at": "datetime: when the other authority was first told",
        "la_reply_due_on": "date: by when the other authority is asked to confirm",
    },
    "la_escalation_to_manager": {
        "other_la_name": "str: the other authority's name",
        "notified_on": "date: when the other authority was told",
        "la_send": "int: which send of the notice this is (2 or more: a chase)",
        "la_first_sent_at": "datetime: when the other authority was first told",
        "la_reply_due_on": "date: by when the other authority is asked to confirm",
    },
    "delivery_failed": {
        "recipient": "str: the address it was for",
        "attempts": "int: how many times sending was tried",
    },
}
"""The `extra` keys a template uses when present (read with `extra.get`)."""

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


class TemplateRenderer:
    """Renders the notification templates for the engine (`engine.ports.Renderer`).

    Args:
        recipients: who each template goes to (role addresses, schools, other LAs).
        templates_dir: the template folder; the shipped `notifications/templates` by default.
    """

    def __init__(self, recipients: Recipients, templates_dir: Path | None = None) -> None:
        self.recipients = recipients
        self.templates_dir = templates_dir or TEMPLATES_DIR
        self._loader = jinja2.FileSystemLoader(self.templates_dir)
        self._known: set[str] = set()
        self._literals: dict[str, str] = {}
        """A subject file's fixed wording (its tags blanked), read once: templates do not change
        under a running process (`auto_reload=False`)."""
        self._env = jinja2.Environment(
            loader=self._loader,
            undefined=_StrictUndefined,
            # Only the HTML part is HTML: escaping the text part would show "&amp;" to readers.
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html.j2",), default_for_string=False, default=False
            ),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self._env.filters.update(
            longdate=format_long_date,
            localdate=local_date,
            localtime=format_local_time,
            time_on=format_time_on,
            counted=format_count,
            actor=format_actor,
            evidence_rows=evidence_rows,
        )
        self._env.globals.update(template_title=template_title, role_title=role_title)

    def template_names(self) -> list[str]:
        """The names of the complete templates (subject, text and HTML all present), sorted."""
        return template_names(self.templates_dir)

    def has_template(self, template: str) -> bool:
        """Whether `template` exists with its subject, text and HTML files."""
        if template in self._known:  # a template found once stays (no stat per event)
            return True
        found = not template.startswith("_") and all(
            (self.templates_dir / f"{template}{s}").is_file() for s in _SUFFIXES
        )
        if found:
            self._known.add(template)
        return found

    def wants(self, template: str) -> bool:
        """Always: every notification is recorded, addressed or not. A role with no address
        gets an `undeliverable` message (see `render`), never silence."""
        return True

    def render(self, template: str, context: Mapping[str, Any]) -> list[RenderedMessage]:
        """Render `template` once and address it to each of its recipient roles.

        A role with no address configured (and no fallback, `FALLBACK_ROLES`) gets the same
        message with `recipient` "" and `undeliverable` saying what to configure: the engine
        queues it as a failed outbox row, records the failure on the case and alerts the CMEO.
        When no role has an address, only the subject is rendered (and checked): the bodies
        are `UNRENDERED` until `cme outbox retry` gives the row its address and renders them
        from the case (cme/outcomes.py), since a letter costs about a millisecond to render and
        nobody can read this one yet.

        Raises:
            TemplateRenderError: the template is unknown, lacks a context value, or its subject
                would disclose the child's identity.
        """
        self._check_context(template, context)
        addressed = self.recipients.addressing(template, context)
        if not addressed:
            return []
        if any(a.address for a in addressed):
            subject, text, html = self.render_one(template, context)
        else:  # nobody can receive it yet: the body waits for an address (`UNRENDERED`)
            subject, text, html = self.render_subject(template, context), UNRENDERED, UNRENDERED
        return [
            RenderedMessage(
                recipient_role=a.role,
                recipient=a.address or "",
                subject=subject,
                body_text=text,
                body_html=html,
                undeliverable=a.reason if not a.address else "",
            )
            for a in addressed
        ]

    def _check_context(self, template: str, context: Mapping[str, Any]) -> None:
        if not self.has_template(template):
            raise UnknownTemplate(template, self.template_names())
        extra = context.get("extra") or {}
        for key in TEMPLATE_EXTRAS.get(template, {}):
            # Checked up front: some (other_la) address the message rather than print in it.
            if key not in extra:
                raise MissingTemplateVariable(template, f"extra.{key}", "TEMPLATE_EXTRAS", None)

    def render_subject(self, template: str, context: Mapping[str, Any]) -> str:
        """Render only the subject line of `template`, for a message nobody can receive yet
        (shown by `cme outbox`). Its identity check (`_check_subject`) is made with its body,
        by `render_one`, when the message gets an address: before anyone could receive it.

        Raises:
            TemplateRenderError: the template is unknown or lacks a context value.
        """
        self._check_context(template, context)
        return " ".join(self._render_file(template, f"{template}.subject.j2", context).split())

    def render_one(self, template: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
        """Render `template` to `(subject, text, html)` without addressing it.

        Raises:
            TemplateRenderError: as for `render`.
        """
        self._check_context(template, context)
        subject = " ".join(self._render_file(template, f"{template}.subject.j2", context).split())
        text = wrap_text(_tidy(self._render_file(template, f"{template}.txt.j2", context)))
        html = self._render_file(template, f"{template}.html.j2", context)
        self._check_subject(template, f"{template}.subject.j2", subject, context)
        return subject, text, html

    def _render_file(self, template: str, file: str, context: Mapping[str, Any]) -> str:
        """Render one file. The context is used as given; only when rendering fails is it
        rendered again from a copy whose mappings know their dotted paths (`_with_paths`),
        so that the error names the full path of what is missing (`extra.other_la`)."""
        try:
            return self._env.get_template(file).render(context)
        except jinja2.TemplateError:
            pass
        try:
            return self._env.get_template(file).render(_with_paths(context))
        except _MissingValue as exc:
            raise MissingTemplateVariable(
                template, exc.variable, *_template_position(exc.__traceback__, file)
            ) from exc
        except jinja2.TemplateSyntaxError as exc:
            where = f"{exc.name or file}:{exc.lineno}"
            raise TemplateRenderError(template, f"{where}: {exc.message}") from exc
        except jinja2.TemplateError as exc:
            name, line = _template_position(exc.__traceback__, file)
            where = name if line is None else f"{name}:{line}"
            raise TemplateRenderError(template, f"{where}: {exc}") from exc

    def _check_subject(
        self, template: str, file: str, rendered: str, context: Mapping[str, Any]
    ) -> None:
        """Defence in depth: refuse a subject line that carries the child's identity.

        A marker counts only where the rendered line holds it more often than the template's
        literal text does, so a child whose surname is also a word of the fixed wording
        ("Day", "Case") is not a false alarm, while the name arriving through any context
        value (e.g. a `reason` that quotes it) is caught.
        """
        literal = self._literals.get(file)
        if literal is None:
            literal = _TAG.sub(" ", self._loader.get_source(self._env, file)[0])
            self._literals[file] = literal
        child = context.get("child") or {}
        case = context.get("case") or {}
        for field, pattern in _identity_patterns(child):
            if len(pattern.findall(rendered)) > len(pattern.findall(literal)):
                raise SubjectDisclosesIdentity(template, str(case.get("ref", "?")), field)


_SUFFIXES = TEMPLATE_SUFFIXES
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def _identity_patterns(child: Mapping[str, Any]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Regexes for the child's name, date of birth and UPN, with the field each stands for
    (compiled once per child: a catch-up renders many letters about the same few children)."""
    born = child.get("date_of_birth")
    return _compiled_patterns(
        str(child.get("forename") or "").strip(),
        str(child.get("surname") or "").strip(),
        born if isinstance(born, date) else None,
        str(child.get("upn") or "").strip(),
    )


@functools.lru_cache(maxsize=256)
def _compiled_patterns(
    forename: str, surname: str, born: date | None, upn: str
) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(_patterns({"forename": forename, "surname": surname}, born, upn))


def _patterns(
    names: Mapping[str, str], born: date | None, upn: str
) -> Iterator[tuple[str, re.Pattern[str]]]:
    for field in ("forename", "surname"):
        name = names[field]
        if name:
            yield field, re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
    if born is not None:
        forms = {
            born.isoformat(),
            format_long_date(born),
            f"{born.day} {born:%B %Y}",
            f"{born:%d/%m/%Y}",
            f"{born.day}/{born.month}/{born.year}",
        }
        for form in sorted(forms):
            yield "date of birth", re.compile(re.escape(form), re.IGNORECASE)
    if upn:
        yield "UPN", re.compile(re.escape(upn), re.IGNORECASE)


# --- strict undefined that knows the dotted path of what is missing --------------------------


class _MissingValue(jinja2.UndefinedError):
    """Raised by `_StrictUndefined`; carries the dotted path of the missing value."""

    def __init__(self, variable: str | None = None) -> None:
        self.variable = variable or "?"
        super().__init__(f"'{self.variable}' is undefined")


class _BadValue(jinja2.TemplateRuntimeError):
    """A filter got a value of the wrong kind (e.g. a naive datetime)."""


def _defined(value: Any) -> None:
    """Make a filter fail like any other use of a missing value (StrictUndefined raises on
    `str`), rather than with a confusing type error."""
    if isinstance(value, jinja2.Undefined):
        str(value)


class _Node(dict[str, Any]):
    """A context mapping that remembers where it sits (`case`, `event.evidence`)."""

    __slots__ = ("_cme_path",)

    def __init__(self, values: Mapping[str, Any], path: str) -> None:
        super().__init__(values)
        self._cme_path = path


def _with_paths(value: Any, path: str = "") -> Any:
    """Copy the context so that each nested mapping knows its dotted path."""
    if isinstance(value, Mapping):
        return _Node(
            {str(k): _with_paths(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()},
            path,
        )
    if isinstance(value, list | tuple):
        return [_with_paths(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


class _StrictUndefined(jinja2.StrictUndefined):
    """`StrictUndefined` whose error names the full path (`extra.other_la`), not "dict object"."""

    __slots__ = ()

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = jinja2.utils.missing,
        name: str | None = None,
        exc: type[jinja2.TemplateRuntimeError] = _MissingValue,
    ) -> None:
        super().__init__(hint, obj, name, _MissingValue)

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        parent = getattr(self._undefined_obj, "_cme_path", "")
        name = self._undefined_name
        if isinstance(name, str):
            return f"{parent}.{name}" if parent else name
        return f"{parent}[{name!r}]"


def _template_position(tb: TracebackType | None, fallback: str) -> tuple[str, int | None]:
    """The innermost template file and line in a traceback jinja2 has rewritten."""
    found: tuple[str, int | None] = (fallback, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (Path(filename).name, tb.tb_lineno)
        tb = tb.tb_next
    return found


# --- filters and globals ----------------------------------------------------------------------


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
    """A template's name in words (`TEMPLATE_TITLES`), or the name itself."""
    return TEMPLATE_TITLES.get(name, humanise(name))


def role_title(role: str) -> str:
    """A recipient role in words (`ROLE_TITLES`)."""
    return ROLE_TITLES.get(role, humanise(role))


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


if TYPE_CHECKING:

    def _implements_the_engine_port(renderer: TemplateRenderer) -> Renderer:
        return renderer  # mypy checks that TemplateRenderer satisfies engine.ports.Renderer
