"""A chart's cross-references, once built: every state reachable, every open state has a way
out, final states have no timers, a timer's trigger leaves its state, outcomes are declared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.chart_reader import ChartReader
from engine.definition import (
    OUTCOME_FIELD,
    SAME,
    FieldDef,
    FieldType,
    StateDef,
    TimerDef,
    WorkflowDefinition,
)
from engine.errors import DefinitionError


class GraphChecks(ChartReader):
    """The checks over the whole built definition."""

    def check_outcome(
        self,
        target: StateDef,
        outcome: Any,
        fields: Mapping[str, FieldDef],
        evidence_names: set[str],
        spec: Any,
        path: str,
    ) -> None:
        if not target.final:
            if outcome is not None:
                raise self.fail("only a trigger into a final state has an 'outcome'", spec, path)
            return
        if outcome is not None:
            if outcome not in target.outcomes:
                raise self.fail(
                    f"outcome '{outcome}' is not one of {target.id}'s outcomes",
                    spec,
                    f"{path}.outcome",
                )
            return
        if OUTCOME_FIELD not in evidence_names:
            raise self.fail(
                f"a trigger into final state '{target.id}' needs a fixed 'outcome' or "
                f"a '{OUTCOME_FIELD}' evidence field",
                spec,
                path,
            )
        extra = set(fields[OUTCOME_FIELD].choices) - set(target.outcomes)
        if fields[OUTCOME_FIELD].type is not FieldType.CHOICE or extra:
            raise self.fail(
                f"the '{OUTCOME_FIELD}' field must be a choice among {target.id}'s outcomes",
                spec,
                path,
            )

    def check_graph(self, d: WorkflowDefinition, raw: Any) -> None:
        if d.states[d.initial].final:
            raise self.fail("the initial state cannot be final", raw, "initial")
        reached, frontier = {d.initial}, [d.initial]
        while frontier:
            current = frontier.pop()
            for t in d.triggers_from(current):
                if t.target != SAME and t.target not in reached:
                    reached.add(t.target)
                    frontier.append(t.target)
        for sid, state in d.states.items():
            if sid not in reached:
                raise self.fail(
                    f"state '{sid}' cannot be reached from '{d.initial}'",
                    raw["states"][sid],
                    f"states.{sid}",
                )
            if not state.final and not any(
                t.target not in (sid, SAME) for t in d.triggers_from(sid)
            ):
                raise self.fail(
                    f"state '{sid}' is a dead end: no trigger leaves it",
                    raw["states"][sid],
                    f"states.{sid}",
                )
            for timer in state.timers:
                self.check_timer_trigger(d, timer, (sid,))
        for timer in d.timers:
            for s in timer.while_in:
                if s not in d.states or d.states[s].final:
                    raise self.fail(
                        f"while_in names '{s}', which is not an open state",
                        raw,
                        f"timers.{timer.name}",
                    )
            self.check_timer_trigger(d, timer, timer.while_in)

    def check_timer_trigger(
        self, d: WorkflowDefinition, timer: TimerDef, states: tuple[str, ...]
    ) -> None:
        if timer.trigger is None:
            return
        trigger = d.triggers.get(timer.trigger)
        if trigger is None:
            raise DefinitionError(
                self.source,
                f"timer '{timer.name}' fires unknown trigger '{timer.trigger}'",
                timer.line,
            )
        for state in states:
            if state not in trigger.sources:
                raise DefinitionError(
                    self.source,
                    f"timer '{timer.name}' fires '{timer.trigger}', which cannot leave '{state}'",
                    timer.line,
                )
        if "system" not in trigger.roles:
            raise DefinitionError(
                self.source,
                f"timer '{timer.name}' fires '{timer.trigger}', "
                "which the 'system' role may not fire",
                timer.line,
            )
