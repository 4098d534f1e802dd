"""The registry of named rules a definition may cite: guards, intakes, priority rules.

Guards are Python functions, never expressions in YAML: rules about children are typed, tested
and reviewed as code. A domain package registers its rules here; the engine looks them up by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.errors import ContractBroken
from engine.ports import Guard, Priority


@dataclass(frozen=True, slots=True)
class Intake:
    """A referral accepted: the child's identity, and the facts the case starts with."""

    child: dict[str, Any]
    facts: dict[str, Any]


IntakeRule = Callable[[Mapping[str, Any], datetime], Intake]
"""Validates a referral at `now`; raises `OpeningRefused` naming every field and rule."""
PriorityRule = Callable[[Mapping[str, Any]], Priority]


@dataclass
class Rules:
    """Named rules, registered by a domain package (see `workflows.rules`)."""

    guards: dict[str, Guard] = field(default_factory=dict)
    intakes: dict[str, IntakeRule] = field(default_factory=dict)
    priority_rules: dict[str, PriorityRule] = field(default_factory=dict)

    def guard(self, name: str) -> Callable[[Guard], Guard]:
        """Decorator registering a guard under `name`."""

        def register(fn: Guard) -> Guard:
            if name in self.guards:
                raise ContractBroken(f"guard '{name}' registered twice")
            self.guards[name] = fn
            return fn

        return register

    def intake(self, name: str) -> Callable[[IntakeRule], IntakeRule]:
        """Decorator registering an intake rule under `name`."""

        def register(fn: IntakeRule) -> IntakeRule:
            self.intakes[name] = fn
            return fn

        return register

    def priority(self, name: str) -> Callable[[PriorityRule], PriorityRule]:
        """Decorator registering a priority rule under `name`."""

        def register(fn: PriorityRule) -> PriorityRule:
            self.priority_rules[name] = fn
            return fn

        return register
