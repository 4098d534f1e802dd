"""The charts' letters declare their own context (issue 14): `workflows.letters` says what the
`extra` part holds; the composition root knows no state or trigger name."""

from __future__ import annotations

import ast
from pathlib import Path

import workflows
from engine.chain import SYSTEM_EVENTS
from workflows import letters

ROOT = Path(__file__).resolve().parents[2]


def _names_in_charts() -> set[str]:
    names: set[str] = set()
    for definition in workflows.load_workflows():
        names |= set(definition.states) | set(definition.triggers)
    return names


def _string_literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def test_the_composition_root_names_no_state_or_trigger_of_the_charts() -> None:
    named = _string_literals(ROOT / "cme" / "bootstrap.py") & _names_in_charts()

    assert named == set()


def test_the_letters_name_only_states_and_triggers_the_charts_have() -> None:
    """A renamed state or trigger would silently drop a letter's values: the names the letters
    test against must exist in the charts."""
    declared = {letters.REMOVED_STATE, letters.REMOVAL_TRIGGER}

    assert declared <= _names_in_charts()
    assert letters.DELIVERY_FAILED_TRIGGER in SYSTEM_EVENTS  # the engine's, not a chart's


def test_every_declared_extra_is_a_named_function_of_this_module() -> None:
    assert [f.__module__ for f in letters.EXTRAS] == ["workflows.letters"] * len(letters.EXTRAS)
    assert len({f.__name__ for f in letters.EXTRAS}) == len(letters.EXTRAS)
