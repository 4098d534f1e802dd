"""Typed provenance and scopes (issue 14): the stored JSON is unchanged, key for key and in order;
a scope is parsed in one place."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.errors import ContractBroken
from engine.provenance import _CORE, Pause, Provenance, Scope, counted_dict, state_scope

STORED: dict[str, Any] = {  # as engine.timers.project wrote it before the typed record
    "rule": "mash_acknowledgement",
    "title": "MASH acknowledges the escalation",
    "after": 1,
    "unit": "working_days",
    "counted_from": "state_entered",
    "anchor": "2025-11-07",
    "calendar": "Luton",
    "calendar_hash": "ab" * 32,
    "due_on": "2025-11-10",
    "provisional": False,
    "provisional_reason": "",
    "priority": "high",
    "condition": None,
    "due_time": "09:00",
    "pausable": False,
}


def _as_stored(value: dict[str, Any]) -> str:
    return json.dumps(value)  # order-sensitive, as the JSON text in SQLite is


def test_a_stored_provenance_reads_and_writes_back_exactly() -> None:
    paused = {**STORED, "pauses": [{"from": "2025-11-03", "to": "2025-11-05", "days": 2}]}
    legacy = {k: v for k, v in STORED.items() if k not in ("priority", "condition")}
    unknown = {**STORED, "note": "a key from a later version"}

    for stored in (STORED, paused, legacy, unknown):
        assert _as_stored(Provenance.from_dict(stored).as_dict()) == _as_stored(stored)


def test_a_new_provenance_writes_the_keys_project_always_wrote_in_that_order() -> None:
    fields = {k: v for k, v in STORED.items() if k != "pausable"}
    made = Provenance.counted(**fields, pausable=False)
    midnight = Provenance.counted(**{**fields, "due_time": None})

    assert _as_stored(made.as_dict()) == _as_stored(STORED)
    assert list(midnight.as_dict()) == [k for k in STORED if k not in ("due_time", "pausable")]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"pausable": True},
        {"due_time": None},
        {"due_time": None, "pausable": True, "provisional": True, "provisional_reason": "r"},
        {"pauses": (Pause("2025-11-03", "2025-11-05", 2),)},
        {"condition": "high_risk", "title": None},
    ],
)
def test_counted_dict_is_the_counted_provenance_as_stored(changes: dict[str, Any]) -> None:
    """The fast path of `project` writes exactly what the dataclass would, in its order."""
    fields = {**STORED, **changes}
    partial = {k: v for k, v in fields.items() if k not in ("title", "provisional_reason")}
    assert tuple(STORED)[:13] == _CORE  # the order counted_dict writes

    for given in (fields, partial):
        assert _as_stored(counted_dict(**given)) == _as_stored(
            Provenance.counted(**given).as_dict()
        )
    with pytest.raises(TypeError, match="present"):
        counted_dict(**fields, present=("rule",))  # type: ignore[call-arg]


def test_the_typed_fields_read_as_the_string_keys_did() -> None:
    read = Provenance.from_dict({**STORED, "pauses": [{"from": "2025-11-03", "to": "2025-11-05"}]})
    bare = Provenance.from_dict({})

    assert (read.after, read.unit, read.due_time, read.pausable) == (
        1,
        "working_days",
        "09:00",
        False,
    )
    assert read.pauses == (Pause("2025-11-03", "2025-11-05"),)
    assert str(read.due_day) == "2025-11-10"
    assert (bare.due_on, bare.due_day, bare.provisional, bare.pausable) == (
        None,
        None,
        False,
        True,
    )


def test_a_scope_is_a_state_or_the_workflow_and_nothing_else() -> None:
    assert Scope.parse("state:with_mash") == Scope("with_mash")
    assert Scope.parse("workflow") == Scope(None)
    assert str(Scope.parse("state:with_mash")) == state_scope("with_mash") == "state:with_mash"
    assert str(Scope(None)) == "workflow"
    with pytest.raises(ContractBroken, match="not 'statewith_mash'"):
        Scope.parse("statewith_mash")
