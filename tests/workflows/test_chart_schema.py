"""workflows/workflow.schema.json describes the chart files: its keys are the loader's keys at
every level the loader checks (engine/loader.py's `*_KEYS`), its enums are the engine's, and
every shipped chart validates against it.

When a chart field is added to the loader, these tests name the key and where to add it in
the schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import workflows
from engine import loader
from engine.definition import FieldType, Unit

CHARTS = Path(workflows.__file__).parent
SCHEMA_FILE = CHARTS / "workflow.schema.json"
SHOWN = "workflows/workflow.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))

# Each level the loader checks keys at: (where in a chart, the loader's constant, the path to
# the level's object schema, followed from the top through each `$ref`).
STATE = ("properties", "states", "additionalProperties")
LEVELS = [
    ("the top level", "TOP_KEYS", ()),
    ("fields.<name>", "FIELD_KEYS", ("properties", "fields", "additionalProperties")),
    ("states.<id>", "STATE_KEYS", STATE),
    ("deadlines.<name>", "DEADLINE_KEYS", ("properties", "deadlines", "additionalProperties")),
    ("states.<id>.timers[]", "TIMER_KEYS", (*STATE, "properties", "timers", "items")),
    ("timers[]", "WORKFLOW_TIMER_KEYS", ("properties", "timers", "items")),
    ("triggers[]", "TRIGGER_KEYS", ("properties", "triggers", "items")),
]


def resolve(node: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    """The node a `$ref` points at (within this file), and where it is."""
    where = ""
    while "$ref" in node:
        where = node["$ref"].removeprefix("#")
        node = SCHEMA
        for part in where.strip("/").split("/"):
            node = node[part]
    return node, where


def level(path: tuple[str, ...]) -> tuple[Mapping[str, Any], str]:
    """The object schema at `path`, and a name for it a reader can find in the file."""
    node, where = resolve(SCHEMA)
    walked = ""
    for step in path:
        node, where = resolve(node[step])
        walked += f"/{step}"
    return node, where or walked  # "": the top level


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_every_level_the_loader_checks_is_in_the_schema() -> None:
    constants = {name for name in vars(loader) if name.endswith("_KEYS")}
    covered = {constant for _, constant, _ in LEVELS}
    assert constants <= covered, (
        f"engine/loader.py checks keys with {sorted(constants - covered)}, which "
        "tests/workflows/test_chart_schema.py (LEVELS) does not map to a level of "
        f"{SHOWN}: add the level to the schema and to LEVELS"
    )


@pytest.mark.parametrize(("where", "constant", "path"), LEVELS, ids=[w for w, _, _ in LEVELS])
def test_the_schema_accepts_exactly_the_keys_the_loader_accepts(
    where: str, constant: str, path: tuple[str, ...]
) -> None:
    accepted: set[str] = getattr(loader, constant)
    node, name = level(path)
    in_schema = set(node.get("properties", {}))
    problems = [
        f"{where}: key '{key}' is accepted by engine/loader.py ({constant}) but missing from "
        f"{SHOWN} (add it under {name}/properties)"
        for key in sorted(accepted - in_schema)
    ] + [
        f"{where}: key '{key}' is in {SHOWN} ({name}/properties) but "
        f"engine/loader.py ({constant}) refuses it"
        for key in sorted(in_schema - accepted)
    ]
    if node.get("additionalProperties") is not False:
        problems.append(
            f"{where}: {name or '/'} must set additionalProperties: false (as the loader)"
        )
    assert not problems, "\n".join(problems)


def test_the_required_keys_at_the_top_are_the_loaders() -> None:
    assert set(SCHEMA["required"]) == set(loader.REQUIRED_TOP)


def test_the_schemas_enums_are_the_engines() -> None:
    field, _ = level(("properties", "fields", "additionalProperties"))
    assert set(field["properties"]["type"]["enum"]) == {t.value for t in FieldType}
    for path in (LEVELS[3][2], LEVELS[4][2], LEVELS[5][2]):
        timer, name = level(path)
        assert set(timer["properties"]["unit"]["enum"]) == {u.value for u in Unit}, name


@pytest.mark.parametrize("chart", sorted(p.name for p in CHARTS.glob("*.yaml")))
def test_each_shipped_chart_validates_against_the_schema(chart: str) -> None:
    document = yaml.safe_load((CHARTS / chart).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(SCHEMA)

    errors = [
        f"{chart}: at {'.'.join(str(p) for p in e.absolute_path) or 'the top'}: {e.message}"
        for e in validator.iter_errors(document)
    ]

    assert not errors, "\n".join(errors)


def test_a_key_the_loader_refuses_is_refused_by_the_schema_too() -> None:
    document = yaml.safe_load((CHARTS / "school-referral.yaml").read_text(encoding="utf-8"))
    document["states"]["received"]["colour"] = "red"

    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document))

    assert [list(e.absolute_path) for e in errors] == [["states", "received"]]
    assert "colour" in errors[0].message
