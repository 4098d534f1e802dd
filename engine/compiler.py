"""WorkflowDefinition -> a `transitions` machine. The only module that builds one.

One machine per definition version, shared by every case: a case is never bound to it. The
engine wraps a case's state in a throwaway token and fires the event unbound (LIBRARIES.md §1.1).
`transitions` answers one question only: is this trigger legal from this state? Evidence and
guards are checked by the engine first, because `transitions` reports a failed condition with a
silent False.
"""

from __future__ import annotations

from typing import Any

from transitions import Machine, MachineError

from engine.definition import TriggerDef, WorkflowDefinition


def machine_kwargs(definition: WorkflowDefinition) -> dict[str, Any]:
    """Arguments for `transitions.Machine`, with its dangerous defaults switched off."""
    return {
        "model": None,
        "states": list(definition.states),
        "transitions": [
            {"trigger": t.id, "source": list(t.sources), "dest": None if t.internal else t.target}
            for t in definition.triggers.values()
        ],
        "initial": definition.initial,
        "auto_transitions": False,  # to_<state>() would skip every guard
        "send_event": True,
        "ignore_invalid_triggers": False,
    }


class _Token:
    """The throwaway model an event is fired on."""

    def __init__(self, state: str) -> None:
        self.state = state


class CompiledWorkflow:
    """A definition and its shared machine."""

    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self.machine = Machine(**machine_kwargs(definition))
        self._next: dict[tuple[str, str], str | None] = {}
        self._automatic: dict[str, tuple[TriggerDef, ...]] = {}

    def next_state(self, state: str, trigger: str) -> str | None:
        """The state `trigger` leads to from `state`, or None if it is not legal there.

        The machine decides once per (state, trigger); its transitions carry no conditions
        (guards are the engine's), so the answer never changes and is kept.
        """
        key = (state, trigger)
        if key not in self._next:
            self._next[key] = self._ask_machine(state, trigger)
        return self._next[key]

    def automatic_from(self, state: str) -> tuple[TriggerDef, ...]:
        """The rule-driven triggers from `state` (`automatic_when`), in file order; kept per
        state, as the definition never changes (every fired timer asks after its step)."""
        found = self._automatic.get(state)
        if found is None:
            found = self._automatic[state] = tuple(
                t for t in self.definition.triggers_from(state) if t.automatic_when
            )
        return found

    def _ask_machine(self, state: str, trigger: str) -> str | None:
        event = self.machine.events.get(trigger)
        if event is None:
            return None
        token = _Token(state)
        try:
            event.trigger(token)
        except MachineError:
            return None
        return token.state
