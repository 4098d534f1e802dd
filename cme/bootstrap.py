"""The composition root: builds the engine from settings, with storage, calendar and mail.

The only place that knows every package. A CLI command, the scheduler, tests and (later) the web
application and HTTP API all get the same `App`, so no logic lives only in the CLI.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine as Database

import workflows
from cme.settings import Settings, SettingsInvalid, load_settings
from engine import (
    Actor,
    Clock,
    DefinitionRegistry,
    Engine,
    EngineSettings,
    MessageTrail,
    SystemClock,
)
from engine.clock import local_date
from engine.definition import WorkflowDefinition
from engine.errors import DefinitionError, SchemaError
from engine.loader import load_definition_file, parse_definition
from engine.ports import CaseRecord, EventRecord, RenderedMessage, Renderer, WorkingCalendar
from notifications.catalogue import template_names
from storage import queries
from storage.database import make_engine
from storage.schema import HEAD, KNOWN, current_revision
from storage.unit_of_work import SqlUnitOfWork
from workflows import letters

if TYPE_CHECKING:
    # Imported where used: the calendar (and `holidays`) when a deadline is counted, the
    # renderer (and jinja2) when a message is rendered; reading a case does neither.
    from engine.calendar import CalendarSet
    from notifications.rendering import TemplateRenderer


class CalendarChooser:
    """Counts each case's deadlines on its school's calendar, or the authority's."""

    def __init__(self, calendars: Callable[[], CalendarSet]) -> None:
        self.calendars = calendars  # loaded on first use: reading a case needs no calendar

    def for_case(self, case: CaseRecord) -> WorkingCalendar:
        """The calendar of the case's school (by id), else the authority's."""
        school = case.facts.get("school") or {}
        school_id = school.get("id") if isinstance(school, dict) else None
        return self.calendars().for_school(school_id)


class RendererOnDemand:
    """The engine's `Renderer`, building the real one on the first message (jinja2 loads then):
    reading a case renders nothing."""

    def __init__(self, renderer: Callable[[], Renderer]) -> None:
        self.renderer = renderer

    def has_template(self, template: str) -> bool:
        """Whether a template of that name exists."""
        return self.renderer().has_template(template)

    def wants(self, template: str) -> bool:
        """Whether anyone could receive `template`."""
        return self.renderer().wants(template)

    def render(self, template: str, context: Mapping[str, Any]) -> list[RenderedMessage]:
        """Render `template` with `context`; one message per recipient role."""
        return self.renderer().render(template, context)


def _iso(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


class ContextBuilder:
    """Builds the one context shape every template gets (notifications/rendering.py); the
    template-specific `extra` part is what the charts declare (`workflows.letters`).

    The case, child and authority parts of the last context are kept and given again to the
    next one for the same case while nothing they show has changed: an unaddressed message is
    followed at once by the CMEO's alert about it, on the same case in the same state.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._last: tuple[tuple[Any, ...], dict[str, Any]] | None = None

    def __call__(
        self,
        case: CaseRecord,
        definition: WorkflowDefinition,
        event: EventRecord,
        child: Mapping[str, Any],
        deadline: Mapping[str, Any] | None,
        trail: MessageTrail,
    ) -> dict[str, Any]:
        trigger = definition.triggers.get(event.trigger)
        common = self._common(case, definition, child)
        return {
            "case": common["case"],
            "child": common["child"],
            "event": {
                "trigger": event.trigger,
                "trigger_title": trigger.title if trigger else event.trigger.replace("_", " "),
                "actor": event.actor,
                "at": event.at,
                "evidence": dict(event.evidence),
            },
            "deadline": None
            if deadline is None
            else {
                "name": deadline.get("name", deadline.get("rule")),
                "title": deadline.get("title", ""),
                "due_on": _iso(deadline.get("due_on")),
                "school_days": deadline.get("after")
                if deadline.get("unit") == "school_days"
                else None,
                "provisional": bool(deadline.get("provisional")),
                "provisional_reason": deadline.get("provisional_reason") or "",
            },
            "authority": common["authority"],
            "extra": letters.extra_values(
                letters.LetterSource(case, definition, event, trail, self.settings.deadlines)
            ),
        }

    def _common(
        self, case: CaseRecord, definition: WorkflowDefinition, child: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The case, child and authority parts: the last ones when they were built from the
        same definition and equal case columns, facts and child (see the class docstring)."""
        key = (
            definition,
            case.id,
            case.workflow,
            case.state,
            case.priority,
            case.opened_at,
            dict(case.facts),
            dict(child),
        )
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        common = self._build_common(case, definition, child)
        self._last = (key, common)
        return common

    def _build_common(
        self, case: CaseRecord, definition: WorkflowDefinition, child: Mapping[str, Any]
    ) -> dict[str, Any]:
        facts = case.facts
        school = facts.get("school") or {}
        if not isinstance(school, dict):
            school = {"name": str(school)}
        flags = list(facts.get("risk_flags") or [])
        address = child.get("address")
        if isinstance(address, dict):
            address = ", ".join(str(v) for v in address.values())
        return {
            "case": {
                "ref": case.ref,
                "workflow": case.workflow,
                "workflow_title": definition.title,
                "state": case.state,
                "state_title": definition.states[case.state].title,
                "priority": case.priority,
                "opened_on": local_date(case.opened_at),
                "school": school.get("id") if school else None,
                "school_name": school.get("name") if school else None,
                "first_absence_date": _iso(facts.get("first_absence_date")),
                "leave_end_date": _iso(facts.get("leave_end_date")),
                "risk_flags": flags,
                "risk_descriptions": letters.risk_descriptions(flags),
                "reason": facts.get("reason", ""),
            },
            "child": {
                "forename": child.get("forename", ""),
                "surname": child.get("surname", ""),
                "date_of_birth": _iso(child.get("date_of_birth")),
                "upn": child.get("upn"),
                "address": address,
            },
            "authority": {
                "name": self.settings.authority_name,
                "cme_contact_name": self.settings.cme_contact_name,
                "cme_contact_email": self.settings.cme_contact_email,
                "cme_contact_phone": self.settings.cme_contact_phone,
            },
        }


@dataclass
class App:
    """Everything a front end needs, built once per process."""

    settings: Settings
    clock: Clock
    pooled: bool = True

    @cached_property
    def db(self) -> Database:
        """The database engine."""
        return make_engine(
            self.settings.database_url, self.settings.sqlite_synchronous, pooled=self.pooled
        )

    @cached_property
    def calendars(self) -> CalendarSet:
        """The authority's calendar file."""
        from engine.calendar import load_calendar_file

        return load_calendar_file(self.settings.calendar)

    @cached_property
    def renderer(self) -> TemplateRenderer:
        """Templates and recipients by role."""
        from notifications.errors import RecipientsFileError
        from notifications.recipients import Recipients, load_recipients_file
        from notifications.rendering import TemplateRenderer

        s = self.settings
        from cme.readiness import recipient_sources

        try:
            extra = load_recipients_file(s.recipients_file) if s.recipients_file else Recipients()
        except RecipientsFileError as exc:
            raise SettingsInvalid(f"CME_RECIPIENTS_FILE: {' '.join(str(exc).split())}") from None
        recipients = Recipients(
            cmeo=s.cmeo_email,
            mash=s.mash_email,
            ehe_officer=s.ehe_email,
            manager=s.manager_email,
            schools=extra.schools,
            las=extra.las,
            sources=recipient_sources(s),
        )
        return TemplateRenderer(recipients)

    def definition_files(self) -> list[Path]:
        """The chart files in use."""
        if self.settings.workflows_dir is not None:
            return sorted(Path(self.settings.workflows_dir).glob("*.yaml"))
        return workflows.definition_files()

    @cached_property
    def definitions(self) -> list[WorkflowDefinition]:
        """The current charts, validated against the rules and templates."""
        known = workflows.known(template_names())  # the renderer's, without loading jinja2
        return [load_definition_file(p, known) for p in self.definition_files()]

    @cached_property
    def registry(self) -> DefinitionRegistry:
        """Current definitions, plus every stored version cases are pinned to."""
        known = workflows.known()

        def stored(version: str) -> WorkflowDefinition | None:
            found = queries.definition_source(self.db, version)
            if found is None:
                return None
            return parse_definition(found["source"], f"stored version {version[:12]}", known)

        return DefinitionRegistry(self.definitions, fallback=stored)

    @cached_property
    def engine(self) -> Engine:
        """The workflow engine, wired."""
        return Engine(
            lambda: SqlUnitOfWork(self.db),
            self.clock,
            self.registry,
            workflows.RULES,
            CalendarChooser(lambda: self.calendars),
            renderer=RendererOnDemand(lambda: self.renderer),
            context_builder=ContextBuilder(self.settings),
            settings=EngineSettings(
                deadline_overrides=self.checked_deadlines(),
                working_day_starts=self.settings.working_day_starts,
                failure_alert="delivery_failed",
            ),
        )

    def checked_deadlines(self) -> dict[str, int]:
        """`CME_DEADLINES`, every id checked against the charts in use (issue 13 item 7)."""
        from cme.settings_rules import unknown_deadlines

        known: dict[str, bool] = {}
        for d in self.definitions:
            for timer in (*d.timers, *(t for s in d.states.values() for t in s.timers)):
                known[timer.name] = known.get(timer.name, False) or (
                    timer.high_priority_after is not None
                )
        problem = unknown_deadlines(self.settings.deadlines, known)
        if problem is not None:
            raise SettingsInvalid(problem)
        return dict(self.settings.deadlines)

    def check_schema(self, auto_init: bool = True) -> None:
        """Refuse a newer schema; create a missing one (a fresh database); ask for `cme init`
        when the schema is older than this code."""
        current = current_revision(self.db)
        if current is None and auto_init:
            from storage.migrate import upgrade  # Alembic loads only when it has work to do

            upgrade(self.db)
            print("note: created a new database schema (cme init)", file=sys.stderr)  # noqa: T201
        elif current is not None and current not in KNOWN:
            raise SchemaError(
                f"the database schema ({current}) is newer than this version of "
                "cme knows: upgrade cme before using this database"
            )
        elif current is not None and current != HEAD:
            raise SchemaError(
                f"the database schema ({current}) is older than this code "
                f"({HEAD}): run `cme init` to upgrade it"
            )
        self.store_definitions()

    def store_definitions(self) -> None:
        """Keep the source of every current definition version with the cases."""
        now = self.clock.now()
        for d in self.definitions:
            queries.store_definition(self.db, d.version, d.workflow, d.source, now)

    def actor(self, name: str | None, role: str | None) -> Actor:
        """The person acting on the CLI: the account bound to the login, else (no accounts)
        the flag, CME_ACTOR or the login name; never `system` (`cme.services.identity`)."""
        from cme.services.identity import cli_principal

        return cli_principal(self, name, role).actor


def build_app(
    settings: Settings | None = None, clock: Clock | None = None, pooled: bool = True
) -> App:
    """Build the application from the environment (`pooled=False` for one short command)."""
    return App(settings or load_settings(), clock or SystemClock(), pooled)


__all__ = ["App", "DefinitionError", "SchemaError", "build_app"]
