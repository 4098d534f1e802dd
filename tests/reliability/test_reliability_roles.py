"""Roles: every role tries every trigger of both charts, from a state the trigger leaves.

Only the roles the YAML lists for a trigger get past the role check (they succeed, or are
refused for another reason: evidence, a guard); every other role gets `ActorNotPermitted` and
nothing is written. Auditors and administrators fire nothing; an auditor reads everything.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import workflows
from engine import Actor, DefinitionRegistry, Engine, WorkflowDefinition
from engine.audit import replay, verify_chain
from engine.calendar import load_calendar_file
from engine.errors import ActorNotPermitted, TransitionRefused
from engine.testing import FakeClock, InMemoryStore, RecordingRenderer, SingleCalendar
from tests.workflows.conftest import START, Desk

ROLES = ("caseworker", "cmeo", "ehe_officer", "mash", "auditor", "admin")
WORKFLOWS = ("school-referral", "out-of-school-referral")


@pytest.fixture(scope="module")
def definitions() -> dict[str, WorkflowDefinition]:
    """The shipped charts, by workflow id."""
    return {d.workflow: d for d in workflows.load_workflows()}


@pytest.fixture(scope="module")
def make_desk(definitions: dict[str, WorkflowDefinition]) -> Callable[[], Desk]:
    """Fresh in-memory engines on the Luton calendar (as tests/workflows/conftest.py builds)."""
    calendar = load_calendar_file(workflows.DEFAULT_CALENDAR).for_school(None)

    def build() -> Desk:
        store, clock, renderer = InMemoryStore(), FakeClock(START), RecordingRenderer()
        engine = Engine(
            store.unit_of_work,
            clock,
            DefinitionRegistry(definitions.values()),
            workflows.RULES,
            SingleCalendar(calendar),
            renderer=renderer,
            context_builder=lambda case, d, ev, child, dl, trail: {"case": {"ref": case.ref}},
        )
        return Desk(engine, store, clock, renderer, definitions)

    return build


@pytest.fixture
def desk(make_desk: Callable[[], Desk]) -> Desk:
    """A fresh in-memory engine."""
    return make_desk()


def _cases(definitions: dict[str, WorkflowDefinition]) -> list[tuple[str, str, str]]:
    """(workflow, trigger, a source state) for every trigger of both charts."""
    return [(w, t.id, t.sources[0]) for w in WORKFLOWS for t in definitions[w].triggers.values()]


def _case_in(desk: Desk, workflow: str, state: str) -> int:
    """A case of `workflow` put straight into `state` (a role test, not a journey)."""
    opened = desk.open_school() if workflow == "school-referral" else desk.open_out_of_school()
    case_id = opened.case.id
    desk.store.cases[case_id].state = state
    return case_id


def test_every_role_against_every_trigger(
    make_desk: Callable[[], Desk], definitions: dict[str, WorkflowDefinition]
) -> None:
    """Permitted roles pass the role check; the others are refused by it, writing nothing."""
    outcomes: dict[tuple[str, str, str], str] = {}
    for workflow, trigger, source in _cases(definitions):
        allowed = definitions[workflow].triggers[trigger].roles
        desk = make_desk()
        case_id = _case_in(desk, workflow, source)
        for role in ROLES:
            before = desk.snapshot(case_id)
            try:
                desk.engine.apply(case_id, trigger, {}, Actor(f"{role}.user", role))
            except ActorNotPermitted:
                outcome = "not permitted"
                assert role not in allowed, f"{workflow}/{trigger}: {role} refused"
                assert desk.snapshot(case_id) == before
            except TransitionRefused:
                outcome = "refused for another reason"
                assert desk.snapshot(case_id) == before
            else:
                outcome = "applied"
                desk = make_desk()  # a refusal writes nothing; a success needs a fresh case
                case_id = _case_in(desk, workflow, source)
            if role not in allowed:
                assert outcome == "not permitted", f"{workflow}/{trigger}: {role} got {outcome}"
            outcomes[(workflow, trigger, role)] = outcome
    for role in ("auditor", "admin"):
        fired = [k for k, v in outcomes.items() if k[2] == role and v != "not permitted"]
        assert fired == [], f"{role} may fire nothing: {fired}"
    # each role the charts name for casework gets past the role check somewhere
    for role in ("caseworker", "cmeo", "ehe_officer", "mash"):
        assert any(v != "not permitted" for k, v in outcomes.items() if k[2] == role), role


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_no_chart_lets_auditor_or_admin_fire_a_trigger(
    definitions: dict[str, WorkflowDefinition], workflow: str
) -> None:
    """The YAML itself: no trigger lists `auditor` or `admin`."""
    offending = [
        (t.id, role)
        for t in definitions[workflow].triggers.values()
        for role in ("auditor", "admin")
        if role in t.roles
    ]
    assert offending == []


def test_an_auditor_reads_and_replays_but_changes_nothing(
    desk: Desk, definitions: dict[str, WorkflowDefinition]
) -> None:
    """get, actions (every one marked as not for this role), history, replay: yes; apply: no."""
    auditor = Actor("ann.auditor", "auditor")
    case_id = desk.open_school().case.id
    desk.to_enquiries(case_id)
    before = desk.snapshot(case_id)

    case = desk.engine.get(case_id)
    actions = desk.engine.actions(case_id, auditor)
    events = desk.events(case_id)
    replayed = replay(definitions["school-referral"], events)

    assert case.state == "enquiries" and replayed.state == "enquiries"
    assert verify_chain(case_id, events) is None and replayed.problems == []
    assert actions and all(
        a.blocked_by and a.blocked_by[0].startswith("role: 'auditor' may not") for a in actions
    )
    for action in actions:
        with pytest.raises(ActorNotPermitted):
            desk.engine.apply(case_id, action.trigger, {}, auditor)
    assert desk.snapshot(case_id) == before
