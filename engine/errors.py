"""The engine's exception tree.

Every exception the engine (and the application around it) raises on purpose is an
`EngineError`. Refusals are answers for a caseworker; they are raised before anything is
written. A `ContractBroken` is not a refusal but a bug in the caller. Where callers catch a
built-in exception, the class subclasses it too (marked "also")::

    EngineError
    ├── DefinitionError        bad chart or calendar at load time: file, line, rule
    ├── CalendarInvalid        also ValueError: a calendar with no terms, or terms that end
    │                          before they start or overlap
    ├── CalendarNotCovering    a due date falls past every loaded term; no fallback allowed
    ├── CaseNotFound
    ├── ConcurrentUpdate       optimistic lock lost: reload and retry; nothing written
    ├── SchemaError            the database schema is missing, older or newer than this code
    ├── ValueRefused           also ValueError: one value breaks its field's rule (the message
    │   │                      is the rule; EvidenceInvalid gathers them per field)
    │   └── TextRefused        a text breaks a text rule (control or invisible characters,
    │                          length)
    ├── StoredValueUnreadable  also ValueError: a stored date or time cannot be read back
    ├── UnauditableValue       also TypeError: a value the audit chain cannot seal (a float)
    ├── HeaderUnreadable       also ValueError: a stored event's columns are not five texts
    │                          (verify names the event as changed)
    ├── ContractBroken         also ValueError: a caller broke the engine's contract (a naive
    │                          time, a negative day count, a timer without its id): a bug
    └── TransitionRefused      expected, for a caseworker to read; nothing written
        ├── TriggerNotAvailable    not allowed from the current state
        ├── EvidenceInvalid        names the field and the rule
        ├── GuardsFailed           lists every blocking rule, not just the first
        ├── ActorNotPermitted      the actor's role may not fire the trigger
        ├── OpeningRefused         a referral that cannot open a case (field and rule)
        ├── ClockRefused           a pause or resume that cannot be done
        └── StoredValueInvalid     a value stored on the case cannot be read: named, not a
                                   traceback

Messages carry case references, never a child's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class DefinitionError(EngineError):
    """A workflow definition or calendar file is invalid."""

    def __init__(self, source: str, reason: str, line: int | None = None, path: str = "") -> None:
        self.source, self.reason, self.line, self.path = source, reason, line, path
        where = source if line is None else f"{source}:{line}"
        at = f" at {path}" if path else ""
        super().__init__(f"{where}:{at} {reason}" if at else f"{where}: {reason}")


class CalendarInvalid(EngineError, ValueError):
    """A calendar cannot be built from these terms (none, reversed, or overlapping)."""


class CalendarNotCovering(EngineError):
    """A date falls outside every loaded term and the caller asked for no fallback."""


class CaseNotFound(EngineError):
    """No case has that id."""

    def __init__(self, case_id: int) -> None:
        self.case_id = case_id
        super().__init__(f"no case with id {case_id}")


class ConcurrentUpdate(EngineError):
    """Somebody else changed the case since it was read. Nothing was written."""

    def __init__(
        self, case_ref: str, expected: int, found: int, by: str = "", what: str = ""
    ) -> None:
        self.case_ref, self.expected, self.found, self.by, self.what = (
            case_ref,
            expected,
            found,
            by,
            what,
        )
        detail = f" by {by} ({what})" if by else ""
        super().__init__(
            f"Case {case_ref} was changed{detail} since you read it (version {expected}, "
            f"now {found}). Nothing was written: reload the case and try again."
        )


class SchemaError(EngineError):
    """The database schema is missing, older or newer than this code."""


class ValueRefused(EngineError, ValueError):
    """One value breaks its field's rule (the message is the rule)."""


class TextRefused(ValueRefused):
    """A value breaks a text rule (the message is the rule)."""


class StoredValueUnreadable(EngineError, ValueError):
    """A stored date or time cannot be read back (written by an older version, or edited)."""

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(f"cannot read the stored date and time {str(value)[:60]!r}")


class UnauditableValue(EngineError, TypeError):
    """A value the audit chain cannot seal: a float has no single canonical text."""


class HeaderUnreadable(EngineError, ValueError):
    """A stored event's header columns are not five texts (someone wrote past the triggers)."""


class ContractBroken(EngineError, ValueError):
    """A caller broke the engine's contract: a bug to fix, never a refusal to show."""


class TransitionRefused(EngineError):
    """A trigger was refused. Nothing was written."""


class TriggerNotAvailable(TransitionRefused):
    """The trigger is not allowed from the case's current state."""

    def __init__(self, case_ref: str, trigger: str, state: str, allowed: Sequence[str]) -> None:
        self.case_ref, self.trigger, self.state, self.allowed = (
            case_ref,
            trigger,
            state,
            tuple(allowed),
        )
        options = ", ".join(self.allowed) or "none (the case is closed)"
        super().__init__(
            f"Case {case_ref}: '{trigger}' is not possible from state '{state}'. "
            f"Possible now: {options}."
        )


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One evidence field and the rule its value breaks."""

    field: str
    rule: str


class EvidenceInvalid(TransitionRefused):
    """Evidence is missing or does not meet its field's rule."""

    def __init__(self, trigger: str, problems: Sequence[FieldProblem]) -> None:
        self.trigger, self.problems = trigger, tuple(problems)
        lines = "\n".join(f"  - {p.field}: {p.rule}" for p in self.problems)
        super().__init__(f"Evidence for '{trigger}' is not valid:\n{lines}")


@dataclass(frozen=True, slots=True)
class Block:
    """A guard that blocks a trigger, and why, in words a caseworker reads."""

    guard: str
    reason: str


class GuardsFailed(TransitionRefused):
    """One or more rules block the trigger."""

    def __init__(self, case_ref: str, trigger: str, blocks: Sequence[Block]) -> None:
        self.case_ref, self.trigger, self.blocks = case_ref, trigger, tuple(blocks)
        reasons = "\n".join(f"  - {b.guard}: {b.reason}" for b in self.blocks)
        super().__init__(f"Case {case_ref}: cannot {trigger.replace('_', ' ')}:\n{reasons}")


class ActorNotPermitted(TransitionRefused):
    """The actor's role may not fire this trigger."""

    def __init__(self, case_ref: str, trigger: str, role: str, allowed: Sequence[str]) -> None:
        self.case_ref, self.trigger, self.role, self.allowed = (
            case_ref,
            trigger,
            role,
            tuple(allowed),
        )
        super().__init__(
            f"Case {case_ref}: role '{role}' may not {trigger.replace('_', ' ')} "
            f"(allowed: {', '.join(self.allowed)})."
        )


class OpeningRefused(TransitionRefused):
    """A referral cannot open a case; each problem names the field and the rule."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p.field}: {p.rule}" for p in self.problems)
        super().__init__(f"The referral cannot open a case:\n{lines}")


class ClockRefused(TransitionRefused):
    """A pause or resume that cannot be done (already paused, not paused, closed)."""


class StoredValueInvalid(TransitionRefused):
    """A value stored on the case cannot be read back (issue 13 item 3): the step is refused,
    naming the case, the field and the value, instead of failing with a traceback."""

    def __init__(self, case_ref: str, field: str, value: object, where: str) -> None:
        self.case_ref, self.field, self.value, self.where = case_ref, field, value, where
        super().__init__(
            f"Case {case_ref}: the stored {field} {str(value)[:60]!r} ({where}) cannot be read "
            "as a date and time, so this step cannot be judged. Nothing was written; report "
            "the case to the system administrator (the audit history keeps the value as "
            "recorded)."
        )
