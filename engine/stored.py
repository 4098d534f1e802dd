"""What the engine reads back from a case to judge new evidence (issue 13 item 3).

`window_for` gives the earliest plausible date for a step's evidence (the child's birth, a
year before the first day of absence). `unreadable` names the case, field and value when a
stored date or time cannot be read back (a value an older version wrote), so the step is
refused with a message rather than a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.definition import FieldType, TriggerDef
from engine.evidence import EvidenceWindow, StoredValueUnreadable, evidence_window
from engine.ports import CaseRecord, EventRecord, UnitOfWork

_DATED = (FieldType.DATE, FieldType.DATETIME)


def window_for(uow: UnitOfWork, case: CaseRecord, trigger: TriggerDef) -> EvidenceWindow | None:
    """The case's evidence window, if `trigger` asks for a date or time (else None)."""
    if not any(slot.field.type in _DATED for slot in trigger.evidence):
        return None
    child = uow.child(case.child_id) if case.child_id is not None else {}
    return evidence_window(case.facts, child)


def where_stored(
    error: StoredValueUnreadable, history: Sequence[EventRecord], facts: Mapping[str, Any]
) -> tuple[str, object, str]:
    """(field, value, where) of a stored value that cannot be read: which field of which event,
    or which fact of the case, for `StoredValueInvalid`."""
    for event in reversed(history):
        for name, value in event.evidence.items():
            if value == error.value:
                return name, value, f"event {event.seq}, {event.trigger}"
    for name, value in facts.items():
        if value == error.value:
            return name, value, "a fact of the case"
    return "value", error.value, "on the case"
