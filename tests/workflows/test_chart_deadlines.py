"""Charts declare each deadline once (issue 14): `deadlines:` at the top, `- {deadline: NAME}`
in a state. The shipped charts compile to the same definitions as when every timer was written
out in full (tests/workflows/charts_written_out/, the charts before the change), apart from the
version (the file's hash) and line numbers."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import workflows
from engine.errors import DefinitionError
from engine.loader import load_definition_file, parse_definition
from tests.workflows.test_chart_schema import SCHEMA

WRITTEN_OUT = Path(__file__).parent / "charts_written_out"
FILE_ONLY = {"line", "version", "source", "source_name"}


def compiled(value: Any) -> Any:
    """A definition as plain data, without what only says where it came from."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: compiled(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in FILE_ONLY
        }
    if isinstance(value, dict):
        return {k: compiled(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [compiled(v) for v in value]
    return value


@pytest.mark.parametrize("chart", ["school-referral.yaml", "out-of-school-referral.yaml"])
def test_a_chart_with_declared_deadlines_compiles_as_when_written_out(chart: str) -> None:
    known = workflows.known()
    declared = load_definition_file(Path(workflows.__file__).parent / chart, known)
    written_out = load_definition_file(WRITTEN_OUT / chart, known)

    assert "{deadline: case_stalled}" in declared.source
    assert "deadline:" not in written_out.source
    assert declared.version != written_out.version  # a new version: new cases pin to it
    assert compiled(declared) == compiled(written_out)


def test_each_shipped_chart_writes_case_stalled_out_once() -> None:
    for chart in workflows.definition_files():
        text = chart.read_text(encoding="utf-8")
        assert text.count("title: Case has not moved") == 1, chart.name


CHART = """
schema: 1
workflow: tiny
title: Tiny
initial: open
roles: [cmeo]
deadlines:
  stalled: {after: 5, unit: school_days, from: state_entered, notify: [case_stalled]}
states:
  open:
    title: Open
    timers:
      - TIMER
  done: {title: Done, final: true, outcomes: [closed]}
triggers:
  - {id: close, from: [open], to: done, roles: [cmeo], outcome: closed}
"""


DECLARED = "  stalled: {after: 5, unit: school_days, from: state_entered, notify: [case_stalled]}"


def _parse(timer: str, deadlines: str | None = None) -> Any:
    text = CHART.replace("TIMER", timer)
    if deadlines is not None:
        text = text.replace(DECLARED, deadlines)
    return parse_definition(text, "tiny.yaml")


def test_a_timer_names_a_declared_deadline() -> None:
    timer = _parse("{deadline: stalled}").states["open"].timers[0]

    assert (timer.name, timer.title, timer.after, timer.notify) == (
        "stalled",
        "stalled",
        5,
        ("case_stalled",),
    )


@pytest.mark.parametrize(
    ("timer", "deadlines", "message"),
    [
        ("{deadline: stuck}", None, "unknown deadline 'stuck' (declared in 'deadlines': stalled)"),
        ("{deadline: stalled, after: 3}", None, "'after' is given by deadline 'stalled'"),
        ("{deadline: stalled, name: other}", None, "'name' is given by deadline 'stalled'"),
        (
            "{name: other, after: 1, unit: school_days, from: state_entered, notify: [x]}",
            None,
            "deadline 'stalled' is declared but no timer uses it",
        ),
        (
            "{deadline: stalled}",
            "  stalled: {after: 5, unit: school_days, from: state_entered, colour: red}",
            "unknown key 'colour'",
        ),
    ],
)
def test_a_deadline_used_wrongly_is_refused_naming_it(
    timer: str, deadlines: str | None, message: str
) -> None:
    with pytest.raises(DefinitionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _parse(timer, deadlines)


def test_the_schema_refuses_a_timer_that_both_names_a_deadline_and_is_written_out() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    good = yaml.safe_load(CHART.replace("TIMER", "{deadline: stalled}"))
    both = yaml.safe_load(CHART.replace("TIMER", "{deadline: stalled, name: stalled}"))
    neither = yaml.safe_load(CHART.replace("TIMER", "{title: Stalled}"))

    assert list(validator.iter_errors(good)) == []
    assert [list(e.absolute_path) for e in validator.iter_errors(both)] == [
        ["states", "open", "timers", 0]
    ]
    assert [list(e.absolute_path) for e in validator.iter_errors(neither)] == [
        ["states", "open", "timers", 0]
    ]
