"""The contract, for cases: opening, steps, optimistic locking, refusals, the outbox, history.

Every test runs on the in-memory unit of work, on SQLite and on PostgreSQL (`backend`).
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.audit import OPEN_TRIGGER, append_system_event
from engine.errors import (
    ActorNotPermitted,
    ConcurrentUpdate,
    EngineError,
    EvidenceInvalid,
    GuardsFailed,
    TriggerNotAvailable,
)
from engine.ports import GENESIS_HASH, UnitOfWork
from engine.verify import verify_chain
from tests.contract.conftest import CMEO, MANAGER, START, Rig


def test_opening_a_case_writes_its_first_event_its_timers_and_its_message(rig: Rig) -> None:
    opened = rig.open()
    case_id = opened.case.id

    case = rig.backend.case(case_id)
    events = rig.backend.events(case_id)
    assert (case.state, case.version, case.priority) == ("received", 1, "standard")
    assert case.opened_at == case.state_entered_at == case.updated_at == START
    assert case.facts == {"reason": "absent"} and case.closed_at is None
    assert [(e.seq, e.trigger, e.from_state, e.to_state) for e in events] == [
        (1, OPEN_TRIGGER, "", "received")
    ]
    assert events[0].prev_hash == GENESIS_HASH and case.head_hash == events[0].hash
    assert events == [opened.event] and verify_chain(case_id, events) is None
    assert rig.pending(case_id) == {
        "nudge": "2025-11-04",
        "start_escalation": "2025-11-06",
        "case_stalled": "2025-11-17",
    }
    assert [(m.template, m.event_seq, m.status) for m in rig.backend.outbox(case_id)] == [
        ("opened", 1, "pending")
    ]
    assert opened.case == case


def test_each_step_extends_the_chain_moves_the_head_and_the_version(rig: Rig) -> None:
    case_id = rig.open().case.id
    rig.later(hours=1)
    noted = rig.do(case_id, "add_note", note="rang the family")
    rig.later(hours=1)
    moved = rig.do(case_id, "begin_visits", seen_on="2025-11-03")

    case = rig.backend.case(case_id)
    events = rig.backend.events(case_id)
    assert [(e.seq, e.trigger, e.from_state, e.to_state) for e in events] == [
        (1, OPEN_TRIGGER, "", "received"),
        (2, "add_note", "received", "received"),
        (3, "begin_visits", "received", "visiting"),
    ]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert verify_chain(case_id, events) is None
    assert (case.state, case.version, case.head_hash) == ("visiting", 3, events[-1].hash)
    assert case.facts["note"] == "rang the family"
    assert case.state_entered_at == moved.event.at != noted.event.at
    assert events[1:] == [noted.event, moved.event]
    assert moved.case == case and noted.case.version == 2


def test_a_stale_version_is_a_conflict_naming_who_and_nothing_is_written(rig: Rig) -> None:
    case_id = rig.open().case.id
    rig.do(case_id, "add_note", note="first")
    before = rig.backend.snapshot(case_id)

    with pytest.raises(ConcurrentUpdate) as conflict:
        rig.engine.apply(case_id, "add_note", {"note": "second"}, CMEO, expected_version=1)

    assert (conflict.value.case_ref, conflict.value.expected, conflict.value.found) == (
        rig.backend.case(case_id).ref,
        1,
        2,
    )
    assert (conflict.value.by, conflict.value.what) == ("alice", "add_note")
    assert rig.backend.snapshot(case_id) == before


def test_a_unit_of_work_that_writes_under_a_stale_version_writes_nothing(rig: Rig) -> None:
    case_id = rig.open().case.id
    rig.do(case_id, "add_note", note="first")
    before = rig.backend.snapshot(case_id)

    with pytest.raises(ConcurrentUpdate) as conflict, rig.backend.unit_of_work() as uow:
        case = uow.get_case(case_id)
        append_system_event(uow, case, "correction", {"note": "x"}, "bob", "cmeo", START)
        uow.update_case(case, expected_version=1)
        uow.commit()

    assert (conflict.value.expected, conflict.value.found, conflict.value.by) == (1, 2, "alice")
    assert rig.backend.snapshot(case_id) == before


REFUSALS: list[Any] = [
    pytest.param("fly", {}, CMEO, TriggerNotAvailable, id="illegal-trigger"),
    pytest.param("begin_visits", {"seen_on": "2025-11-03"}, MANAGER, ActorNotPermitted, id="role"),
    pytest.param("begin_visits", {"seen_on": "yesterday"}, CMEO, EvidenceInvalid, id="evidence"),
    pytest.param("begin_visits", {}, CMEO, EvidenceInvalid, id="missing-evidence"),
    pytest.param("close", {"case_outcome": "done"}, CMEO, GuardsFailed, id="guard"),
]


@pytest.mark.parametrize(("trigger", "evidence", "actor", "refusal"), REFUSALS)
def test_a_refusal_writes_nothing(
    rig: Rig, trigger: str, evidence: dict[str, Any], actor: Any, refusal: type[EngineError]
) -> None:
    case_id = rig.open().case.id
    before = rig.backend.snapshot(case_id)
    rig.later(days=1)

    with pytest.raises(refusal):
        rig.engine.apply(case_id, trigger, evidence, actor)

    assert rig.backend.snapshot(case_id) == before


def test_a_guard_refusal_names_every_blocking_rule(rig: Rig) -> None:
    case_id = rig.open().case.id
    rig.do(case_id, "add_note", note="hold")

    with pytest.raises(GuardsFailed) as refused:
        rig.do(case_id, "escalate")

    assert [(b.guard, b.reason) for b in refused.value.blocks] == [
        ("not_on_hold", "the case is on hold")
    ]


def test_messages_are_written_with_their_event(rig: Rig) -> None:
    case_id = rig.open().case.id
    rig.later(hours=2)
    moved = rig.do(case_id, "begin_visits", seen_on="2025-11-03")

    rows = rig.backend.outbox(case_id)
    assert [(m.template, m.event_seq, m.status, m.created_at) for m in rows] == [
        ("opened", 1, "pending", START),
        ("visits_begun", moved.event.seq, "pending", moved.event.at),
    ]
    assert [m.subject for m in rows] == [
        f"{moved.case.ref}: opened",
        f"{moved.case.ref}: visits_begun",
    ]
    assert all(m.id is not None and m.next_attempt_at == m.created_at for m in rows)
    assert [m.template for m in moved.messages] == ["visits_begun"]


def test_a_message_and_its_event_commit_together_or_not_at_all(rig: Rig) -> None:
    case_id = rig.open().case.id
    before = rig.backend.snapshot(case_id)

    def fail(uow: UnitOfWork) -> None:
        raise RuntimeError("the outcome could not be marked")

    with pytest.raises(RuntimeError):
        rig.engine.record(case_id, "correction", {"note": "x"}, CMEO, ("corrected",), fail)
    assert rig.backend.snapshot(case_id) == before

    event = rig.engine.record(case_id, "correction", {"note": "x"}, CMEO, ("corrected",))
    assert rig.triggers(case_id)[-1] == "correction"
    assert [(m.template, m.event_seq) for m in rig.backend.outbox(case_id)][-1] == (
        "corrected",
        event.seq,
    )


def test_a_unit_of_work_reads_its_own_writes_and_leaving_it_uncommitted_undoes_them(
    rig: Rig,
) -> None:
    case_id = rig.open().case.id
    before = rig.backend.snapshot(case_id)

    with rig.backend.unit_of_work() as uow:
        case = uow.get_case(case_id)
        event = append_system_event(uow, case, "correction", {"n": 1}, "bob", "cmeo", START)
        uow.update_case(case, expected_version=1)
        assert uow.events(case_id)[-1] == event
        assert uow.get_case(case_id).version == 2
        assert uow.get_case(case_id) is not uow.get_case(case_id)  # a copy each time

    assert rig.backend.snapshot(case_id) == before


def test_history_reads_the_committed_chain_in_order(rig: Rig) -> None:
    case_id = rig.open().case.id
    for n in range(3):
        rig.later(minutes=5)
        rig.do(case_id, "add_note", note=f"note {n}")

    with rig.backend.unit_of_work() as uow:
        history = uow.events(case_id)
        assert uow.events(case_id + 1000) == []
    assert history == rig.backend.events(case_id)
    assert [e.seq for e in history] == [1, 2, 3, 4]
    assert [e.evidence.get("note") for e in history[1:]] == ["note 0", "note 1", "note 2"]
