"""Workflow definitions: the process chart as frozen data.

A definition is loaded from YAML by `engine.loader`; its version is the sha256 of the file's
bytes. Attribute docstrings below are the reference for the YAML fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

ANY_OPEN = "ANY_OPEN"
"""Trigger source sentinel: every non-final state. Cannot collide with a snake_case state id."""


SAME = "SAME"
"""Trigger target sentinel: the case stays in its state (no exit, no entry, timers run on)."""
OUTCOME_FIELD = "case_outcome"
"""The evidence field a closing trigger takes its outcome from (unless the trigger fixes it)."""


class FieldType(StrEnum):
    """The types an evidence field may have."""

    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"
    INTEGER = "integer"
    CHOICE = "choice"
    CHOICES = "choices"
    EMAIL = "email"


class Unit(StrEnum):
    """How a timer counts."""

    SCHOOL_DAYS = "school_days"
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"


@dataclass(frozen=True, slots=True)
class FieldDef:
    """An evidence field a caseworker fills in."""

    name: str
    type: FieldType
    title: str
    choices: tuple[str, ...] = ()
    """For `choice`/`choices`: the allowed values."""
    allow_future: bool = False
    """Dates and times record what happened, so by default they may not lie in the future."""
    max_length: int = 2000
    """For `text`: the longest value accepted."""


@dataclass(frozen=True, slots=True)
class EvidenceSlot:
    """A field a trigger asks for, and whether it must be given."""

    field: FieldDef
    required: bool


@dataclass(frozen=True, slots=True)
class TimerDef:
    """A deadline a state (or a group of states) starts.

    Exactly one of `trigger` (applied by `system:timer` when due) or `notify` (a reminder: the
    templates are sent and a `deadline_reached` event is recorded, the state does not change).
    """

    name: str
    """The deadline's id (`ctf_upload_due`); settings may override `after` by this id."""
    title: str
    after: int
    unit: Unit
    counted_from: str
    """`state_entered`, `case_opened`, or a date fact of the case (`first_absence_date`)."""
    counted_from_else: tuple[str, ...] = ()
    """Date facts to count from, in order, when the case lacks `counted_from` (YAML: `from:
    [first_absence_date, leave_end_date]`): a leave-of-absence case has no first day of absence."""
    high_priority_after: int | None = None
    """A shorter count for high-priority cases (PROCESS.md: 5 school days, 2 if high risk)."""
    when: str | None = None
    """A guard name checked when the timer falls due; if it blocks, the timer is void."""
    trigger: str | None = None
    notify: tuple[str, ...] = ()
    while_in: tuple[str, ...] = ()
    """Workflow-wide timers: run while the case is in any of these states."""
    pausable: bool = True
    """False for a date fixed by law (the end of compulsory school age): a paused clock holds
    it back while paused, but resuming does not move it, so it fires at once if it passed."""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class StateDef:
    """A situation a case can be in."""

    id: str
    title: str
    final: bool = False
    notify: tuple[str, ...] = ()
    """Templates rendered into the outbox whenever the state is entered."""
    timers: tuple[TimerDef, ...] = ()
    outcomes: tuple[str, ...] = ()
    """For final states: the outcomes a case may close with."""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class TriggerDef:
    """Something a person or the system does that moves a case."""

    id: str
    title: str
    sources: tuple[str, ...]
    target: str
    evidence: tuple[EvidenceSlot, ...] = ()
    guards: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    """Templates rendered when this trigger is applied (besides the target state's)."""
    sets_facts: tuple[str, ...] = ()
    """Evidence fields copied onto the case's facts (where rules and reports read them)."""
    outcome: str | None = None
    """A fixed outcome for a closing trigger; otherwise an `outcome` evidence field gives it."""
    automatic_when: str | None = None
    """Applied by `system:rule` right after the case enters a source state, if this guard holds."""
    line: int | None = None

    @property
    def internal(self) -> bool:
        """Whether the case stays in its state (`to: SAME`)."""
        return self.target == SAME

    def target_from(self, state: str) -> str:
        """The state this trigger leads to from `state`."""
        return state if self.internal else self.target

    @property
    def required_fields(self) -> tuple[str, ...]:
        """Names of the evidence fields that must be given."""
        return tuple(s.field.name for s in self.evidence if s.required)


@dataclass(frozen=True, slots=True)
class WorkflowDefinition:
    """One process chart, validated, with its content-hash version."""

    workflow: str
    title: str
    initial: str
    states: Mapping[str, StateDef]
    triggers: Mapping[str, TriggerDef]
    fields: Mapping[str, FieldDef]
    roles: tuple[str, ...]
    timers: tuple[TimerDef, ...] = ()
    """Workflow-wide timers (each with `while_in`)."""
    pause_roles: tuple[str, ...] = ()
    """Roles that may pause and resume a case's clock."""
    intake: str | None = None
    """The registered intake rule that validates a referral and opens the case."""
    priority_rule: str | None = None
    """The registered rule that derives a case's priority from its facts."""
    version: str = ""
    """sha256 of the source text."""
    source: str = ""
    """The YAML text the definition was loaded from (stored with each version)."""
    source_name: str = field(default="", compare=False)

    @property
    def short_version(self) -> str:
        """The first 12 hex digits of the version, as shown to people."""
        return self.version[:12]

    def is_final(self, state: str) -> bool:
        """Whether `state` ends the case."""
        return self.states[state].final

    def open_states(self) -> tuple[str, ...]:
        """Every non-final state, in file order."""
        return tuple(s.id for s in self.states.values() if not s.final)

    def is_system_only(self, trigger: str) -> bool:
        """Whether only the system (timers, rules) fires `trigger`."""
        return self.triggers[trigger].roles == ("system",)

    def triggers_from(self, state: str) -> list[TriggerDef]:
        """The triggers whose sources include `state`, in file order."""
        return [t for t in self.triggers.values() if state in t.sources]

    def timers_of(self, state: str) -> tuple[TimerDef, ...]:
        """The state's own timers."""
        return self.states[state].timers
