"""Property (Hypothesis), on a real SQLite file: for random sequences of steps and ticks, the
stored case equals the replay of its stored chain after every step (every prefix), the chain
verifies, and a refused step writes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cme.bootstrap import App
from engine import Actor, TransitionRefused
from engine.audit import opening_version, replay
from engine.clock import LOCAL_ZONE, local_date
from engine.definition import FieldDef, FieldType
from engine.testing import FakeClock
from storage import queries
from storage.audit import verify_chains
from tests.support import make_app, school_referral

FLAGS = ["runaway", "ehc_plan", "child_protection_plan"]


def plausible(field: FieldDef, now: Any) -> st.SearchStrategy[Any]:
    """A value a caseworker might give for `field` now."""
    match field.type:
        case FieldType.DATE:
            return st.integers(0, 5).map(
                lambda n: (local_date(now) - timedelta(days=n)).isoformat()
            )
        case FieldType.DATETIME:
            return st.integers(0, 300).map(
                lambda n: (
                    (now - timedelta(minutes=n)).astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")
                )
            )
        case FieldType.CHOICE:
            return st.sampled_from(field.choices)
        case FieldType.CHOICES:
            return st.lists(st.sampled_from(field.choices), min_size=1, max_size=2).map(",".join)
        case FieldType.BOOL:
            return st.sampled_from(["yes", "no"])
        case _:
            return st.text("abcdef ", min_size=1, max_size=8)


def observed(app: App, case_id: int) -> tuple[tuple[Any, ...], tuple[Any, ...], list[str]]:
    case = app.engine.get(case_id)
    events = queries.events(app.db, case_id)

    def definition(version: str) -> Any:
        return app.registry.compiled(version).definition

    rebuilt = replay(
        definition(opening_version(case.definition_hash, events)), events, None, definition
    )
    return (
        (case.state, case.version, case.facts, case.outcome, case.head_hash),
        (rebuilt.state, rebuilt.version, rebuilt.facts, rebuilt.outcome, rebuilt.head_hash),
        rebuilt.problems,
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_on_sqlite_replay_equals_the_stored_case_after_every_step(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    app = make_app(f"sqlite:///{folder}/{uuid.uuid4().hex}.db")
    clock = app.clock
    assert isinstance(clock, FakeClock)
    try:
        flags = data.draw(st.lists(st.sampled_from(FLAGS), unique=True, max_size=1))
        case_id = app.engine.open_case(
            "school-referral", school_referral(risk_flags=flags), Actor("alice", "cmeo")
        ).case.id
        definition = app.registry.current("school-referral")
        prefixes = []
        for _ in range(data.draw(st.integers(1, 12))):
            clock.advance(timedelta(minutes=data.draw(st.integers(0, 3 * 24 * 60))))
            if data.draw(st.integers(0, 4)) == 0:
                app.engine.fire_due_timers()
            else:
                state = app.engine.get(case_id).state
                possible = [
                    t
                    for t in definition.triggers_from(state)
                    if not definition.is_system_only(t.id)
                ]
                if not possible:
                    break
                trigger = data.draw(st.sampled_from(possible))
                evidence = {
                    s.field.name: data.draw(plausible(s.field, clock.now()))
                    for s in trigger.evidence
                    if s.required or data.draw(st.booleans())
                }
                before = app.engine.get(case_id).version
                try:
                    app.engine.apply(case_id, trigger.id, evidence, Actor("bob", trigger.roles[0]))
                except TransitionRefused:
                    assert app.engine.get(case_id).version == before, "a refusal wrote something"
            stored, replayed, problems = observed(app, case_id)
            prefixes.append(stored[1])

            assert (replayed, problems) == (stored, [])
        assert verify_chains(app.db).broken == []
        assert prefixes == sorted(prefixes)
    finally:
        app.db.dispose()
