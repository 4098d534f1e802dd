"""The contract, across units of work: concurrent writers, and one journey that must leave the
same record on every backend as on the in-memory one (the SQL unit of work is the reference;
the in-memory one was fixed where they differed)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest

from engine.audit import OPEN_TRIGGER, append_system_event
from engine.errors import CaseNotFound, ConcurrentUpdate
from tests.contract.conftest import CMEO, START, Backend, MemoryBackend, Rig, make_rig

ONE_WRITER = (
    "SQLite has one writer at a time (every writing transaction begins IMMEDIATE): a second "
    "writer waits for the first to finish, so two cannot interleave in one thread"
)


def interleaving(rig: Rig) -> None:
    if rig.backend.name == "sqlite":
        pytest.skip(ONE_WRITER)


def test_the_later_of_two_writers_of_one_case_is_refused_and_writes_nothing(rig: Rig) -> None:
    interleaving(rig)
    case_id = rig.open().case.id

    with rig.backend.unit_of_work() as late:
        case = late.get_case(case_id)
        rig.do(case_id, "add_note", note="first")  # another writer commits meanwhile
        append_system_event(late, case, "correction", {"n": 1}, "bob", "cmeo", START)
        late.update_case(case, expected_version=1)
        with pytest.raises(ConcurrentUpdate) as conflict:
            late.commit()

    assert (conflict.value.expected, conflict.value.found) == (1, 2)
    assert (conflict.value.by, conflict.value.what) == ("alice", "add_note")
    assert rig.triggers(case_id) == [OPEN_TRIGGER, "add_note"]
    assert rig.backend.case(case_id).facts["note"] == "first"


def test_writers_of_different_cases_both_commit(rig: Rig) -> None:
    interleaving(rig)
    first, second = rig.open().case.id, rig.open().case.id

    with rig.backend.unit_of_work() as uow:
        case = uow.get_case(first)
        append_system_event(uow, case, "correction", {"n": 1}, "bob", "cmeo", START)
        uow.update_case(case, expected_version=1)
        rig.do(second, "add_note", note="meanwhile")
        uow.commit()

    assert rig.triggers(first) == [OPEN_TRIGGER, "correction"]
    assert rig.triggers(second) == [OPEN_TRIGGER, "add_note"]
    assert rig.backend.case(second).facts["note"] == "meanwhile"


def test_an_unknown_case_is_not_found(rig: Rig) -> None:
    case = rig.open().case
    missing = case.id + 1000

    with rig.backend.unit_of_work() as uow:
        with pytest.raises(CaseNotFound):
            uow.get_case(missing)
        case.id = missing
        with pytest.raises(CaseNotFound):
            uow.update_case(case, expected_version=1)


def journey(rig: Rig) -> list[int]:
    """Two cases through every kind of write: steps, refusal, pause, resume, timers, close."""
    first, second = rig.open().case.id, rig.open(school="8212001").case.id
    rig.later(hours=1)
    rig.do(first, "add_note", note="rang the family")
    rig.do(first, "begin_visits", seen_on="2025-11-03")
    rig.engine.pause_clock(second, "child in hospital", CMEO)
    rig.later(days=1)
    rig.engine.fire_due_timers()
    rig.engine.resume_clock(second, CMEO)
    rig.later(days=10)
    rig.engine.fire_due_timers()
    rig.do(second, "add_note", note="hold")
    rig.engine.record(first, "correction", {"note": "typo"}, CMEO, ("corrected",))
    rig.later(days=20)
    rig.engine.fire_due_timers()
    return [first, second]


def transcript(backend: Backend, case_ids: list[int]) -> dict[str, Any]:
    """Everything stored for the cases, less the row ids of timers and messages."""
    return {
        str(case_id): {
            "case": asdict(backend.case(case_id)),
            "events": [asdict(e) for e in backend.events(case_id)],
            "timers": [asdict(t) | {"id": None} for t in backend.timers(case_id)],
            "outbox": [asdict(m) | {"id": None} for m in backend.outbox(case_id)],
        }
        for case_id in case_ids
    }


def test_one_journey_leaves_the_same_record_as_in_memory(rig: Rig) -> None:
    reference = make_rig(MemoryBackend())

    ours = transcript(rig.backend, journey(rig))
    theirs = transcript(reference.backend, journey(reference))

    assert ours == theirs
    assert len(ours["1"]["events"]) > 4 and len(ours["2"]["timers"]) >= 3
