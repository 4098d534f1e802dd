"""What the engine returns and is configured with: `Applied`, `Action`, `TickReport`, the
message trail a template may read, and `EngineSettings` (re-exported by engine.apply)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from engine.clock import WORKING_DAY_STARTS
from engine.definition import WorkflowDefinition
from engine.ports import CaseRecord, EventRecord, OutboxMessage, TimerRecord


@dataclass(frozen=True, slots=True)
class MessageTrail:
    """What a message may also tell besides its event: the case's history and new deadlines.

    A re-sent escalation says why the case was first escalated and when; a letter asking for
    an answer says by when (the deadline the event just started).
    """

    history: Callable[[], Sequence[EventRecord]]
    """The case's events up to and including the one sending the message (read on demand)."""
    started: Sequence[TimerRecord] = ()
    """The deadlines the event started, e.g. MASH's acknowledgement."""


ContextBuilder = Callable[
    [
        CaseRecord,
        WorkflowDefinition,
        EventRecord,
        Mapping[str, Any],
        Mapping[str, Any] | None,
        MessageTrail,
    ],
    dict[str, Any],
]
"""Builds a template's context: (case, definition, event, child, deadline, trail) -> dict."""


@dataclass(frozen=True, slots=True)
class EvidenceField:
    """An evidence field as `actions` lists it."""

    name: str
    type: str
    title: str
    required: bool
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """A trigger possible from the case's state, and every rule that blocks it now."""

    trigger: str
    title: str
    to: str
    evidence: tuple[EvidenceField, ...]
    blocked_by: tuple[str, ...]
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Applied:
    """What one apply did."""

    case: CaseRecord
    event: EventRecord
    timers_started: tuple[TimerRecord, ...] = ()
    timers_cancelled: int = 0
    messages: tuple[OutboxMessage, ...] = ()
    followed_by: tuple[Applied, ...] = ()


@dataclass
class TickReport:
    """What one pass over due timers did."""

    fired: int = 0
    void: int = 0
    reminders: int = 0
    conflicts: int = 0
    """Timers whose case another worker changed meanwhile: left pending for the next pass."""
    details: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Per-deployment knobs the engine reads."""

    deadline_overrides: Mapping[str, int] = field(default_factory=dict)
    """Deadline id (or `id.high_priority`) -> days, overriding the chart's default."""
    guard_settings: Mapping[str, Any] = field(default_factory=dict)
    working_day_starts: time = WORKING_DAY_STARTS
    """The local time a working day begins: working-day deadlines fall due then."""
    failure_alert: str | None = None
    """The template that alerts the CMEO when a notification cannot be addressed (cme:
    `delivery_failed`); None: the failure is recorded on the case without an alert."""
