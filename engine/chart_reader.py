"""Reading a chart file: the keys each level accepts, a YAML loader that keeps line numbers,
the registries names are checked against (`Known`), and `ChartReader`, the checks every part of
the loader (engine/loader.py, engine/chart_timers.py, engine/chart_checks.py) shares: each error
reads `file:line: at path: reason`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import yaml

from engine.definition import (
    ANY_OPEN,
    SAME,
)
from engine.errors import DefinitionError

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
WORKFLOW_ID = re.compile(r"^[a-z][a-z0-9-]*$")
ANCHORS = ("state_entered", "case_opened")

TOP_KEYS = {
    "schema",
    "workflow",
    "title",
    "initial",
    "intake",
    "priority",
    "roles",
    "fields",
    "deadlines",
    "timers",
    "states",
    "triggers",
    "pause_roles",
}
REQUIRED_TOP = ("schema", "workflow", "title", "initial", "roles", "states", "triggers")
MAX_CHART_BYTES = 1024 * 1024
"""A chart is some 20 KB of YAML; a file over 1 MiB is not one."""
FIELD_KEYS = {"type", "title", "choices", "allow_future", "max_length"}
STATE_KEYS = {"title", "final", "notify", "timers", "outcomes"}
DEADLINE_KEYS = {
    "title",
    "after",
    "unit",
    "from",
    "high_priority_after",
    "when",
    "trigger",
    "notify",
    "pausable",
}
"""A deadline declared once under the top-level `deadlines:` (its name is its key)."""
TIMER_KEYS = DEADLINE_KEYS | {"name", "deadline"}
"""A timer: written out in full, or `deadline: NAME` (a declared deadline, nothing repeated)."""
WORKFLOW_TIMER_KEYS = TIMER_KEYS | {"while_in"}
TRIGGER_KEYS = {
    "id",
    "title",
    "from",
    "to",
    "evidence",
    "optional",
    "guards",
    "roles",
    "notify",
    "sets_facts",
    "outcome",
    "automatic_when",
}


class _Lined(dict[str, Any]):
    """A mapping that remembers the line it started on."""

    line: int = 0


class _LinedList(list[Any]):
    line: int = 0


_SafeBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x


class _LineLoader(_SafeBase):  # type: ignore[misc]
    """SafeLoader that keeps 1-based line numbers on mappings and sequences."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Lined:
    keys: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in keys:
            raise DefinitionError("", f"duplicate key '{key}'", line=key_node.start_mark.line + 1)
        keys.add(key)
    mapping = _Lined({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})
    mapping.line = node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _LinedList:
    seq = _LinedList(loader.construct_sequence(node, deep=True))
    seq.line = node.start_mark.line + 1
    return seq


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


@dataclass(frozen=True, slots=True)
class Known:
    """What the loader may check names against; `None` skips that check."""

    guards: Collection[str] | None = None
    templates: Collection[str] | None = None
    intakes: Collection[str] | None = None
    priority_rules: Collection[str] | None = None


class ChartReader:
    """A chart being read: its source name and text, what names are checked against, and the
    deadlines declared once (`deadlines:`) with those a timer used."""

    def __init__(self, source: str, text: str, known: Known) -> None:
        self.source, self.text, self.known = source, text, known
        self.deadlines: dict[str, _Lined] = {}
        self.used: set[str] = set()

    def fail(self, reason: str, node: Any = None, path: str = "") -> DefinitionError:
        return DefinitionError(self.source, reason, getattr(node, "line", None) or None, path)

    def keys(
        self, node: Any, allowed: set[str], path: str, required: Collection[str] = ()
    ) -> None:
        if not isinstance(node, dict):
            raise self.fail("expected a mapping", node, path)
        unknown = sorted(set(node) - allowed)
        if unknown:
            raise self.fail(
                f"unknown key '{unknown[0]}' (allowed: {', '.join(sorted(allowed))})", node, path
            )
        for key in required:
            if key not in node:
                raise self.fail(f"missing required key '{key}'", node, path)

    def names(
        self, node: Any, value: Any, path: str, pattern: re.Pattern[str] = SNAKE
    ) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise self.fail("expected a name or a list of names", node, path)
        for item in items:
            if not pattern.match(item) and item not in (ANY_OPEN, SAME):
                raise self.fail(f"'{item}' is not a snake_case name", node, path)
        return tuple(items)

    def text_of(self, node: Any, key: str, path: str, default: str | None = None) -> str:
        value = node.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"'{key}' must be a non-empty string", node, path)
        return value

    def list_of(self, node: Any, key: str) -> list[Any]:
        value = node.get(key) or []
        if not isinstance(value, list):
            raise self.fail(f"'{key}' must be a list", node, key)
        return value

    def check_registered(
        self, name: Any, known: Collection[str] | None, what: str, node: Any, path: str
    ) -> None:
        if name is None:
            return
        if not isinstance(name, str):
            raise self.fail(f"{what} must be a name", node, path)
        if known is not None and name not in known:
            raise self.fail(
                f"unknown {what} '{name}' (known: {', '.join(sorted(known))})", node, path
            )

    def check_templates(self, names: tuple[str, ...], node: Any, path: str) -> None:
        if self.known.templates is None:
            return
        for name in names:
            if name not in self.known.templates:
                raise self.fail(f"unknown template '{name}'", node, path)
