"""The shipped charts load, carry content-hash versions, and broken charts are refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import workflows
from engine import DefinitionError, parse_definition
from engine.loader import load_definition_file

SHIPPED = {
    "school-referral.yaml": "school-referral",
    "out-of-school-referral.yaml": "out-of-school-referral",
}

# The smallest valid chart; each broken variant below changes one thing in it.
# Line numbers (1-based) are noted on the right for the refusals that cite them.
TINY = """\
schema: 1
workflow: tiny
title: A tiny chart
initial: open
roles: [caseworker]
states:
  open:
    title: Open
  done:
    title: Done
    final: true
    outcomes: [finished]
triggers:
  - id: finish
    from: open
    to: done
    outcome: finished
    roles: [caseworker]
"""
#   line  7: `open:`              line  8: `title: Open` (the open state's mapping)
#   line 10: `title: Done` (done) line 14: `- id: finish` (the trigger's mapping)


def refusal(text: str) -> tuple[str, int | None, str, str]:
    """(file, line, path, reason) of the DefinitionError parsing `text` raises."""
    with pytest.raises(DefinitionError) as e:
        parse_definition(text, "x.yaml", workflows.known())
    return e.value.source, e.value.line, e.value.path, e.value.reason


def test_the_shipped_chart_files_are_the_two_charts() -> None:
    assert [p.name for p in workflows.definition_files()] == sorted(SHIPPED)


@pytest.mark.parametrize(("file", "workflow"), sorted(SHIPPED.items()))
def test_every_shipped_chart_loads_with_the_registered_rules(file: str, workflow: str) -> None:
    definition = load_definition_file(workflows.HERE / file, workflows.known())

    assert (definition.workflow, definition.initial) == (workflow, "received")


@pytest.mark.parametrize("file", sorted(SHIPPED))
def test_a_charts_version_is_the_sha256_of_its_file(file: str) -> None:
    path: Path = workflows.HERE / file

    definition = load_definition_file(path, workflows.known())

    assert definition.version == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("file", sorted(SHIPPED))
def test_loading_a_chart_twice_gives_the_same_version(file: str) -> None:
    first = load_definition_file(workflows.HERE / file, workflows.known())

    second = load_definition_file(workflows.HERE / file, workflows.known())

    assert second.version == first.version


def test_changing_only_a_comment_gives_a_new_version() -> None:
    before = parse_definition(TINY, "x.yaml", workflows.known())

    after = parse_definition("# a comment\n" + TINY, "x.yaml", workflows.known())

    assert after.version != before.version


def test_the_tiny_chart_is_valid() -> None:
    definition = parse_definition(TINY, "x.yaml", workflows.known())

    assert (tuple(definition.states), tuple(definition.triggers)) == (
        ("open", "done"),
        ("finish",),
    )


def test_a_trigger_to_an_unknown_state_is_refused_naming_file_line_and_path() -> None:
    text = TINY.replace("to: done", "to: nowhere")

    assert refusal(text) == (
        "x.yaml",
        14,
        "triggers[0] (finish).to",
        "unknown state 'nowhere' in 'to'",
    )


def test_a_trigger_from_an_unknown_state_is_refused() -> None:
    text = TINY.replace("from: open", "from: opened")

    assert refusal(text) == (
        "x.yaml",
        14,
        "triggers[0] (finish).from",
        "unknown state 'opened' in 'from'",
    )


def test_an_unreachable_state_is_refused_naming_the_state() -> None:
    text = TINY.replace("triggers:", "  limbo:\n    title: Limbo\ntriggers:")

    source, _, path, reason = refusal(text)

    assert (source, path, reason) == (
        "x.yaml",
        "states.limbo",
        "state 'limbo' cannot be reached from 'open'",
    )


def test_an_unreachable_state_is_refused_at_its_own_line() -> None:
    # `limbo:` is line 13 and its mapping (`title: Limbo`) line 14, as other state errors cite.
    text = TINY.replace("triggers:", "  limbo:\n    title: Limbo\ntriggers:")

    assert refusal(text)[1] == 14


DEAD_END = TINY.replace(
    "triggers:\n",
    "  stuck:\n    title: Stuck\ntriggers:\n"
    "  - id: get_stuck\n    from: open\n    to: stuck\n    roles: [caseworker]\n",
)
# `stuck:` is line 13, its mapping line 14.


def test_a_dead_end_state_is_refused() -> None:
    source, _, path, reason = refusal(DEAD_END)

    assert (source, path, reason) == (
        "x.yaml",
        "states.stuck",
        "state 'stuck' is a dead end: no trigger leaves it",
    )


def test_a_dead_end_state_is_refused_at_its_own_line() -> None:
    assert refusal(DEAD_END)[1] == 14


def test_an_unknown_guard_is_refused_listing_the_known_ones() -> None:
    text = TINY.replace(
        "    roles: [caseworker]\n", "    guards: [no_such_guard]\n    roles: [caseworker]\n"
    )

    assert refusal(text) == (
        "x.yaml",
        14,
        "triggers[0] (finish).guards",
        f"unknown guard 'no_such_guard' (known: {', '.join(sorted(workflows.RULES.guards))})",
    )


def test_a_timer_on_a_final_state_is_refused() -> None:
    text = TINY.replace(
        "    outcomes: [finished]\n",
        "    outcomes: [finished]\n    timers:\n"
        "      - {name: chase, after: 1, unit: school_days, from: state_entered, notify: [x]}\n",
    )

    assert refusal(text) == (
        "x.yaml",
        10,
        "states.done.timers",
        "a final state cannot start timers",
    )


def test_an_unknown_key_is_refused_listing_the_allowed_ones() -> None:
    text = TINY.replace("    title: Open\n", "    title: Open\n    colour: red\n")

    assert refusal(text) == (
        "x.yaml",
        8,
        "states.open",
        "unknown key 'colour' (allowed: final, notify, outcomes, timers, title)",
    )


def test_an_unknown_top_level_key_is_refused() -> None:
    text = TINY + "colour: red\n"

    assert refusal(text) == (
        "x.yaml",
        1,
        "",
        "unknown key 'colour' (allowed: deadlines, fields, initial, intake, pause_roles, "
        "priority, roles, schema, states, timers, title, triggers, workflow)",
    )


def test_the_error_message_reads_file_line_path_and_reason() -> None:
    text = TINY.replace("to: done", "to: nowhere")

    with pytest.raises(DefinitionError) as e:
        parse_definition(text, "x.yaml", workflows.known())

    assert str(e.value) == "x.yaml:14: at triggers[0] (finish).to unknown state 'nowhere' in 'to'"
