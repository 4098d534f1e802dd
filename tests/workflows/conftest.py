"""Fixtures for the definition tests: the shipped charts on an engine built from the fakes.

Every test gets a fresh `Desk`: an engine over an `InMemoryStore`, a `FakeClock` set to
Monday 3 Nov 2025 09:00 (the first day of Luton's autumn 2 term, after the 27-31 Oct half
term), the Luton 2025/26 calendar and a `RecordingRenderer`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

import workflows
from engine import Actor, Applied, DefinitionRegistry, Engine, WorkflowDefinition
from engine.calendar import SchoolCalendar, load_calendar_file
from engine.clock import LOCAL_ZONE
from engine.ports import CaseRecord, EventRecord, OutboxMessage, TimerRecord
from engine.testing import FakeClock, InMemoryStore, RecordingRenderer, SingleCalendar

START = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
"""Monday 3 Nov 2025, 09:00 GMT: the first school day after Luton's autumn half term."""

CMEO = Actor("alice", "cmeo")


def school_referral(**changes: Any) -> dict[str, Any]:
    """A valid chart 2 referral: a Luton school reports a pupil absent since Mon 29 Sep 2025."""
    referral: dict[str, Any] = {
        "child": {
            "forename": "Sam",
            "surname": "Example",
            "date_of_birth": "2014-05-01",
            "upn": "H801200001001",
        },
        "school": {"id": "8212001", "name": "Example Primary"},
        "first_absence_date": "2025-09-29",
        "reason": "did not return after the weekend",
        "risk_flags": [],
        "referrer": {
            "name": "Ms Head",
            "organisation": "Example Primary",
            "email": "head@example.sch.uk",
        },
    }
    referral.update(changes)
    return referral


def out_of_school_referral(**changes: Any) -> dict[str, Any]:
    """A valid chart 1 referral: another authority refers a child on no roll."""
    referral: dict[str, Any] = {
        "child": {"forename": "Alex", "surname": "Example", "date_of_birth": "2013-02-10"},
        "reason": "moved into Luton, not on any school roll",
        "risk_flags": [],
        "referrer": {"name": "Mr Officer", "organisation": "Bedford Borough Council"},
        "parents": ["Pat Example"],
    }
    referral.update(changes)
    return referral


def local(text: str) -> datetime:
    """A Europe/London wall-clock time, `YYYY-MM-DDTHH:MM`, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_ZONE)


@dataclass
class Snapshot:
    """Everything an apply could write for one case."""

    case: CaseRecord
    events: list[EventRecord]
    timers: dict[int, TimerRecord]
    outbox: list[OutboxMessage]


@dataclass
class Desk:
    """An engine on the fakes, with the steps the tests take most often."""

    engine: Engine
    store: InMemoryStore
    clock: FakeClock
    renderer: RecordingRenderer
    definitions: Mapping[str, WorkflowDefinition]

    school_referral = staticmethod(school_referral)
    out_of_school_referral = staticmethod(out_of_school_referral)

    def at(self, text: str) -> None:
        """Move the clock to a local (Europe/London) time, `YYYY-MM-DDTHH:MM`."""
        self.clock.set(local(text))

    def open_school(self, **changes: Any) -> Applied:
        """Open a chart 2 case on `school_referral(**changes)`."""
        return self.engine.open_case("school-referral", school_referral(**changes), CMEO)

    def open_out_of_school(self, **changes: Any) -> Applied:
        """Open a chart 1 case on `out_of_school_referral(**changes)`."""
        return self.engine.open_case(
            "out-of-school-referral", out_of_school_referral(**changes), CMEO
        )

    def do(self, case_id: int, trigger: str, actor: Actor = CMEO, /, **evidence: Any) -> Applied:
        """Apply `trigger` with evidence given as the CLI gives it (strings); the first three
        are positional only, so no evidence field can be taken for one of them."""
        return self.engine.apply(case_id, trigger, evidence, actor)

    def state(self, case_id: int) -> str:
        """The stored state of a case."""
        return self.engine.get(case_id).state

    def events(self, case_id: int) -> list[EventRecord]:
        """The committed events of a case."""
        return list(self.store.events[case_id])

    def pending(self, case_id: int) -> dict[str, str]:
        """Pending timers of a case: name -> due day (local)."""
        return {
            t.name: t.provenance["due_on"]
            for t in self.store.timers.values()
            if t.case_id == case_id and t.status == "pending"
        }

    def templates(self, case_id: int) -> list[str]:
        """Templates queued in the outbox for a case, in order."""
        return [m.template for m in self.store.outbox if m.case_id == case_id]

    def snapshot(self, case_id: int) -> Snapshot:
        """A deep copy of everything stored for the case."""
        return Snapshot(
            copy.deepcopy(self.store.cases[case_id]),
            copy.deepcopy(self.store.events[case_id]),
            copy.deepcopy(self.store.timers),
            copy.deepcopy(self.store.outbox),
        )

    @contextmanager
    def nothing_written(self, case_id: int) -> Iterator[None]:
        """Assert that the block (a refusal) leaves the case exactly as it was."""
        before = self.snapshot(case_id)
        yield
        assert self.snapshot(case_id) == before

    # -- the common walks, on the Luton calendar ---------------------------------------------
    def to_enquiries(self, case_id: int) -> None:
        """received -> enquiries: the school's enquiry of its staff on the first day of
        absence, and the LA's by telephone on Mon 3 Nov (two kinds, by both, over 35 days
        for the default first day of absence, Mon 29 Sep)."""
        self.do(case_id, "begin_enquiries")
        self.school_enquiry(case_id)
        self.enquiry(case_id, "2025-11-03")

    def enquiry(
        self,
        case_id: int,
        made_on: str,
        method: str = "telephone",
        made_by: str = "la",
        summary: str = "rang every number held; no answer",
    ) -> Applied:
        """Record an enquiry (by the LA, by telephone, unless told otherwise)."""
        return self.do(
            case_id,
            "record_enquiry",
            enquiry_method=method,
            made_by=made_by,
            made_on=made_on,
            summary=summary,
        )

    def school_enquiry(self, case_id: int, made_on: str | None = None) -> Applied:
        """The school's own enquiry of its staff, on the first day of absence (or the day
        leave ended) unless told otherwise: with `to_enquiries`, two kinds by both parties."""
        if made_on is None:
            case = self.engine.get(case_id)
            made_on = (
                case.facts.get("first_absence_date")
                or case.facts.get("leave_end_date")
                or case.opened_at.astimezone(LOCAL_ZONE).date().isoformat()
            )
        return self.enquiry(
            case_id,
            made_on,
            method="school_staff",
            made_by="school",
            summary="asked the class teacher and the SENCO",
        )

    def three_visits(self, case_id: int) -> None:
        """Visits in the morning (Mon 3), afternoon (Tue 4) and evening (Wed 5 Nov)."""
        self.at("2025-11-03T10:00")
        self.do(
            case_id,
            "record_first_visit",
            visited_at="2025-11-03T09:30",
            officer="Bob Visitor",
            outcome="no_contact",
        )
        self.at("2025-11-04T15:00")
        self.do(
            case_id,
            "record_second_visit",
            visited_at="2025-11-04T14:00",
            officer="Bob Visitor",
            outcome="no_contact",
        )
        self.at("2025-11-05T19:00")
        self.do(
            case_id,
            "record_third_visit",
            visited_at="2025-11-05T18:30",
            officer="Bob Visitor",
            outcome="no_contact",
        )

    def to_housing_check(self, case_id: int, housing_result: str = "no_trace") -> None:
        """enquiries -> three visits -> housing check recorded on Thu 6 Nov 10:00."""
        self.three_visits(case_id)
        self.at("2025-11-06T10:00")
        self.do(case_id, "check_housing", checked_on="2025-11-06", housing_result=housing_result)


@pytest.fixture(scope="session")
def definitions() -> dict[str, WorkflowDefinition]:
    """The shipped charts, by workflow id."""
    return {d.workflow: d for d in workflows.load_workflows()}


@pytest.fixture(scope="session")
def calendar() -> SchoolCalendar:
    """Luton's 2025/26 calendar (half terms 27-31 Oct, 16-20 Feb, 25-29 May)."""
    return load_calendar_file(workflows.DEFAULT_CALENDAR).for_school(None)


@pytest.fixture(scope="session")
def make_desk(
    definitions: dict[str, WorkflowDefinition], calendar: SchoolCalendar
) -> Callable[[], Desk]:
    """Builds a fresh desk (stateless, so property tests may call it once per example)."""

    def build() -> Desk:
        store = InMemoryStore()
        clock = FakeClock(START)
        renderer = RecordingRenderer()
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
    """A fresh engine on the fakes, the clock at Mon 3 Nov 2025 09:00."""
    return make_desk()


@pytest.fixture
def engine(desk: Desk) -> Engine:
    """The desk's engine."""
    return desk.engine


@pytest.fixture
def store(desk: Desk) -> InMemoryStore:
    """The desk's store."""
    return desk.store


@pytest.fixture
def clock(desk: Desk) -> FakeClock:
    """The desk's clock."""
    return desk.clock
