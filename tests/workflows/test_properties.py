"""Invariants of random walks on the shipped charts (Hypothesis).

A walk opens a case and then, step by step, moves the clock on and either fires a trigger
(usually one possible from the current state, sometimes any; evidence mostly plausible, visit
times in the recent past, sometimes junk), or fires the due timers. Refusals are ignored: they
must write nothing, and the invariants must hold after every step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from engine import Actor, TransitionRefused, replay, verify_chain
from engine.clock import LOCAL_ZONE, local_date
from engine.definition import FieldDef, FieldType, TriggerDef

if TYPE_CHECKING:
    from tests.workflows.conftest import Desk

WORKFLOWS = ["school-referral", "out-of-school-referral"]
FLAGS = ["runaway", "looked_after", "ehc_plan", "child_protection_plan"]
WALK = settings(max_examples=60, deadline=None)


def plausible(field: FieldDef, desk: Desk) -> st.SearchStrategy[Any]:
    """A value a caseworker might give for `field` now."""
    now = desk.clock.now()
    match field.type:
        case FieldType.DATE:
            today = local_date(now)
            return st.integers(0, 10).map(lambda n: (today - timedelta(days=n)).isoformat())
        case FieldType.DATETIME:
            return st.integers(0, 6 * 60).map(
                lambda n: (
                    (now - timedelta(minutes=n)).astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")
                )
            )
        case FieldType.CHOICE:
            return st.sampled_from(field.choices)
        case FieldType.CHOICES:
            return st.lists(st.sampled_from(field.choices), min_size=1, max_size=3).map(",".join)
        case FieldType.BOOL:
            return st.sampled_from(["yes", "no"])
        case _ if field.name == "file_name":
            return st.sampled_from(["8212001_CTF_XXXXXXX_001.xml", "8212001_CTF_8232001_001.xml"])
        case _ if field.name == "other_la":
            return st.sampled_from(["823", "821", "8a3"])
        case _:
            return st.text("abcdefgh ", min_size=1, max_size=12)


def junk() -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.text(max_size=6), st.integers(-3, 3))


def evidence_for(data: st.DataObject, trigger: TriggerDef, desk: Desk) -> dict[str, Any]:
    evidence: dict[str, Any] = {}
    for slot in trigger.evidence:
        kind = data.draw(st.sampled_from(["plausible"] * 12 + ["junk", "omit"]))
        if kind == "plausible":
            evidence[slot.field.name] = data.draw(plausible(slot.field, desk))
        elif kind == "junk":
            evidence[slot.field.name] = data.draw(junk())
    if data.draw(st.integers(0, 19)) == 0:
        evidence["unexpected"] = "x"
    return evidence


PROGRESS = {
    "begin_enquiries",
    "begin_database_search",
    "record_database_search",
    "record_enquiry",
    "record_first_visit",
    "record_second_visit",
    "record_third_visit",
    "check_housing",
    "remove_from_roll",
    "record_ctf_upload",
}


def weight(trigger: TriggerDef, state: str, endings: set[str]) -> int:
    if trigger.id in PROGRESS:
        return 20
    return 1 if trigger.target_from(state) in endings else 2


def written(desk: Desk, case_id: int) -> tuple[int, int, int, int]:
    """How much is stored: the case version, its events, all timers and all messages."""
    return (
        desk.store.cases[case_id].version,
        len(desk.store.events[case_id]),
        len(desk.store.timers),
        len(desk.store.outbox),
    )


def head_start(desk: Desk, case_id: int, workflow: str, depth: str) -> None:
    """Walk the chart's main line (Mon 3-Thu 6 Nov) so random steps also start deep in it."""
    if depth == "none":
        return
    try:
        if workflow == "out-of-school-referral":
            desk.do(case_id, "begin_database_search")
            desk.do(
                case_id,
                "record_database_search",
                searched_on="2025-11-03",
                search_result="no_record",
                contacted_on="2025-11-03",
                enters_cme="yes",
            )
        desk.to_enquiries(case_id)
        if depth == "housing_check":
            desk.to_housing_check(case_id)
    except TransitionRefused:
        pass  # e.g. a child protection plan sent the case to MASH on opening


def random_walk(desk: Desk, data: st.DataObject) -> Iterator[int]:
    """Open a case, then take random steps; yield the case id after opening and each step."""
    workflow = data.draw(st.sampled_from(WORKFLOWS))
    flags = data.draw(st.lists(st.sampled_from(FLAGS), unique=True, max_size=1))
    referral = (
        desk.school_referral(risk_flags=flags)
        if workflow == "school-referral"
        else desk.out_of_school_referral(risk_flags=flags)
    )
    case_id = desk.engine.open_case(workflow, referral, Actor("alice", "cmeo")).case.id
    definition = desk.definitions[workflow]
    endings = {"escalated_to_mash", *(s for s in definition.states if definition.is_final(s))}
    yield case_id
    head_start(
        desk, case_id, workflow, data.draw(st.sampled_from(["none", "enquiries", "housing_check"]))
    )
    yield case_id
    for _ in range(data.draw(st.integers(1, 20))):
        desk.clock.advance(timedelta(minutes=data.draw(st.integers(0, 10 * 60))))
        kind = data.draw(st.sampled_from(["next"] * 6 + ["any", "tick"]))
        if kind == "tick":
            desk.engine.fire_due_timers()
            yield case_id
            continue
        state = desk.store.cases[case_id].state
        possible = [
            t for t in definition.triggers_from(state) if not definition.is_system_only(t.id)
        ]
        if kind == "next" and possible:
            # Weighted so that walks get down the chart (visits, removal, CTF, outcomes)
            # rather than closing or escalating in their first few steps.
            pool = [t for t in possible for _ in range(weight(t, state, endings))]
        else:
            pool = list(definition.triggers.values())
        trigger = data.draw(st.sampled_from(pool))
        roles = list(trigger.roles)
        role = data.draw(st.sampled_from(roles * 4 + ["auditor"]))
        before = written(desk, case_id)
        try:
            desk.engine.apply(
                case_id, trigger.id, evidence_for(data, trigger, desk), Actor("someone", role)
            )
        except TransitionRefused:
            assert written(desk, case_id) == before, "a refusal wrote something"
        yield case_id


def observed(desk: Desk, case_id: int) -> dict[str, Any]:
    """The stored case beside what its recorded chain says about it."""
    case = desk.store.cases[case_id]
    events = desk.store.events[case_id]
    definition = desk.definitions[case.workflow]
    rebuilt = replay(definition, events)
    return {
        "stored": (case.state, case.version, case.facts, case.outcome, case.head_hash),
        "replayed": (
            rebuilt.state,
            rebuilt.version,
            rebuilt.facts,
            rebuilt.outcome,
            rebuilt.head_hash,
        ),
        "replay problems": rebuilt.problems,
        "broken link": verify_chain(case_id, events),
        "state is declared": case.state in definition.states,
        "number of events": len(events),
        "version": case.version,
        "outcome fits the state": (
            case.outcome in definition.states[case.state].outcomes
            if definition.is_final(case.state)
            else case.outcome is None
        ),
    }


@WALK
@given(data=st.data())
def test_after_every_step_the_stored_case_is_what_its_verified_chain_replays_to(
    make_desk: Callable[[], Desk], data: st.DataObject
) -> None:
    desk = make_desk()
    for case_id in random_walk(desk, data):
        seen = observed(desk, case_id)

        assert seen == {
            **seen,
            "replayed": seen["stored"],
            "replay problems": [],
            "broken link": None,
            "state is declared": True,
            "number of events": seen["version"],
            "outcome fits the state": True,
        }
        event(f"reached {seen['stored'][0]}")


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_changing_any_recorded_event_breaks_the_chain_at_that_event(
    make_desk: Callable[[], Desk], data: st.DataObject
) -> None:
    desk = make_desk()
    case_id = list(random_walk(desk, data))[-1]
    events = desk.store.events[case_id]
    index = data.draw(st.integers(0, len(events) - 1))
    tampered = list(events)
    tampered[index] = replace(events[index], evidence={**events[index].evidence, "x": "1"})

    broken = verify_chain(case_id, tampered)

    assert ((broken.seq, broken.problem) if broken else None) == (
        index + 1,
        "the event's content does not match its hash",
    )
