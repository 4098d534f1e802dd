"""The small chart and rules the contract suite drives: every engine behaviour that touches the
unit of work, and nothing of the law, so a chart change elsewhere cannot move these tests.

- `received` starts a state timer that fires a trigger (`escalate`, blocked while the case is
  on hold: the timer is then void with the guard's reason), a reminder with a `when` rule
  (void once a note is on the case) and, with `visiting`, a workflow-wide deadline.
- `begin_visits` needs evidence (a date), `close` a guard (a note on the case), `add_note`
  stays in its state (no timers move) and records a fact.
"""

from __future__ import annotations

from engine.loader import parse_definition
from engine.ports import GuardContext
from engine.rules import Rules

CHART = """
schema: 1
workflow: contract-test
title: The contract suite's chart
initial: received
roles: [cmeo, manager, system]
pause_roles: [cmeo]
fields:
  note: {type: text, title: A note}
  seen_on: {type: date, title: The day the child was seen}
  case_outcome: {type: choice, title: Outcome, choices: [done]}
timers:
  - name: case_stalled
    after: 10
    unit: school_days
    from: case_opened
    while_in: [received, visiting]
    notify: [stalled]
states:
  received:
    title: Received
    notify: [opened]
    timers:
      - name: start_escalation
        after: 3
        unit: school_days
        from: state_entered
        trigger: escalate
      - name: nudge
        after: 1
        unit: working_days
        from: state_entered
        when: no_note_yet
        notify: [nudge]
  visiting:
    title: Visiting
    timers:
      - name: visit_overdue
        after: 5
        unit: calendar_days
        from: state_entered
        trigger: escalate
  escalated:
    title: Escalated
    notify: [escalated]
  closed:
    title: Closed
    final: true
    outcomes: [done]
triggers:
  - id: begin_visits
    from: received
    to: visiting
    evidence: [seen_on]
    roles: [cmeo]
    notify: [visits_begun]
  - id: add_note
    from: ANY_OPEN
    to: SAME
    evidence: [note]
    sets_facts: [note]
    roles: [cmeo]
  - id: escalate
    from: [received, visiting]
    to: escalated
    guards: [not_on_hold]
    roles: [cmeo, system]
  - id: close
    from: ANY_OPEN
    to: closed
    evidence: [case_outcome]
    guards: [has_note]
    roles: [cmeo, manager]
"""

RULES = Rules()


@RULES.guard("not_on_hold")
def not_on_hold(context: GuardContext) -> str | None:
    """Blocks while the case's note says it is on hold."""
    return "the case is on hold" if context.case.facts.get("note") == "hold" else None


@RULES.guard("has_note")
def has_note(context: GuardContext) -> str | None:
    """Blocks until a note is on the case."""
    return None if context.case.facts.get("note") else "a note must be recorded first"


@RULES.guard("no_note_yet")
def no_note_yet(context: GuardContext) -> str | None:
    """Blocks (the nudge is no longer needed) once a note is on the case."""
    return "a note was recorded" if context.case.facts.get("note") else None


DEFINITION = parse_definition(CHART, "contract-test.yaml")
