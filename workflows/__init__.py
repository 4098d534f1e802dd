"""The CME domain: the process charts as YAML and the rules they name.

`load_workflows()` loads every chart shipped here, validated against the registered rules.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from engine.definition import WorkflowDefinition
from engine.loader import Known, load_definition_file
from workflows import (  # noqa: F401 - importing a rules module registers its guards
    ehe,
    enquiries,
    escalation,
    removal_grounds,
    school_age_end,
    term_dates,
)
from workflows.rules import RULES

HERE = Path(__file__).parent
CALENDARS = HERE / "calendars"
DEFAULT_CALENDAR = CALENDARS / "luton.yaml"


def definition_files() -> list[Path]:
    """The shipped chart files."""
    return sorted(HERE.glob("*.yaml"))


def known(templates: Collection[str] | None = None) -> Known:
    """What a chart may name: the registered rules and (when given) the templates."""
    return Known(
        guards=RULES.guards,
        templates=templates,
        intakes=RULES.intakes,
        priority_rules=RULES.priority_rules,
    )


def load_workflows(templates: Collection[str] | None = None) -> list[WorkflowDefinition]:
    """Load and validate every shipped chart."""
    return [load_definition_file(p, known(templates)) for p in definition_files()]


__all__ = ["CALENDARS", "DEFAULT_CALENDAR", "RULES", "known", "load_workflows"]
