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

Beside it: the filters, titles and text layout (notifications/filters.py), the context's `extra`
keys (notifications/extras.py) and the strict undefined that names a missing value
(notifications/strict.py); this module re-exports their public names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from engine.ports import UNRENDERED, RenderedMessage, Renderer
from notifications.catalogue import TEMPLATE_SUFFIXES, template_names
from notifications.catalogue import TEMPLATES_DIR as TEMPLATES_DIR  # where the templates live
from notifications.errors import (
    MissingTemplateVariable,
    SubjectDisclosesIdentity,
    TemplateRenderError,
    UnknownTemplate,
)
from notifications.extras import OPTIONAL_EXTRAS, TEMPLATE_EXTRAS
from notifications.filters import (
    ROLE_TITLES,
    TEMPLATE_TITLES,
    TEXT_WIDTH,
    _tidy,
    evidence_rows,
    format_actor,
    format_count,
    format_local_time,
    format_long_date,
    format_time_on,
    humanise,
    local_date,
    role_title,
    template_title,
    wrap_text,
)
from notifications.recipients import Addressing, Recipients
from notifications.strict import (
    _MissingValue,
    _StrictUndefined,
    _template_position,
    _with_paths,
)
from notifications.subjects import SubjectLines

__all__ = [
    "OPTIONAL_EXTRAS",
    "ROLE_TITLES",
    "TEMPLATE_EXTRAS",
    "TEMPLATE_TITLES",
    "TEXT_WIDTH",
    "TemplateRenderer",
    "evidence_rows",
    "format_actor",
    "format_count",
    "format_local_time",
    "format_long_date",
    "format_time_on",
    "humanise",
    "local_date",
    "role_title",
    "template_title",
    "wrap_text",
]


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
        self._templates: dict[str, jinja2.Template] = {}
        self._addressed: dict[str, tuple[Recipients, tuple[Addressing, ...]]] = {}
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
        self._subjects = SubjectLines(
            self._env,
            self._template,
            lambda file, context: self._render_file(
                file.removesuffix(".subject.j2"), file, context
            ),
            pure=(template_title, role_title),
        )

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
        addressed = self._addressing(template, context)
        if not addressed:
            return []
        if any(a.address for a in addressed):
            subject, text, html = self.render_one(template, context)
        else:  # nobody can receive it yet: the body waits for an address (`UNRENDERED`)
            subject, text, html = self._subject(template, context), UNRENDERED, UNRENDERED
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

    def _addressing(self, template: str, context: Mapping[str, Any]) -> list[Addressing]:
        """`Recipients.addressing`, kept per template when no role of it depends on the case
        (`Recipients.case_free`), for as long as the renderer has the same (frozen) recipients:
        a catch-up addresses the same MASH letter and CMEO alert thousands of times."""
        recipients = self.recipients
        kept = self._addressed.get(template)
        if kept is not None and kept[0] is recipients:
            return list(kept[1])
        addressed = recipients.addressing(template, context)
        if recipients.case_free(template):
            self._addressed[template] = (recipients, tuple(addressed))
        return addressed

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
        return self._subject(template, context)

    def _subject(self, template: str, context: Mapping[str, Any]) -> str:
        """The subject line, its wording worked out once and filled in (`SubjectLines`)."""
        return " ".join(self._subjects.render(f"{template}.subject.j2", context).split())

    def render_one(self, template: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
        """Render `template` to `(subject, text, html)` without addressing it.

        Raises:
            TemplateRenderError: as for `render`.
        """
        self._check_context(template, context)
        subject = self._subject(template, context)
        text = wrap_text(_tidy(self._render_file(template, f"{template}.txt.j2", context)))
        html = self._render_file(template, f"{template}.html.j2", context)
        self._check_subject(template, f"{template}.subject.j2", subject, context)
        return subject, text, html

    def _render_file(self, template: str, file: str, context: Mapping[str, Any]) -> str:
        """Render one file. The context is used as given; only when rendering fails is it
        rendered again from a copy whose mappings know their dotted paths (`_with_paths`),
        so that the error names the full path of what is missing (`extra.other_la`)."""
        try:
            return self._template(file).render(context)
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

    def _template(self, file: str) -> jinja2.Template:
        """The loaded template, its globals made one dict once: jinja2 keeps them as a
        `ChainMap` over the environment's and merges it again on every render (half the
        cost of a subject line). Templates and globals do not change under a running process."""
        found = self._templates.get(file)
        if found is None:
            found = self._env.get_template(file)
            found.globals = dict(found.globals)
            self._templates[file] = found
        return found

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


if TYPE_CHECKING:

    def _implements_the_engine_port(renderer: TemplateRenderer) -> Renderer:
        return renderer  # mypy checks that TemplateRenderer satisfies engine.ports.Renderer
