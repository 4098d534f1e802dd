"""A known set of cases across June 2025 - January 2026, built with a fake clock, that the
report tests assert figure by figure.

Children: A (UPN, female, born 2014-05-01) has four cases (episodes): two in 2024/25, C1 in
September and C3 in October-November 2025. E (no UPN: name and date of birth) has two cases in
2024/25. B, C, D and F have one case each. Dates are local (Europe/London).

| case | child | route | opened | what happens |
| --- | --- | --- | --- | --- |
| P1 | A | school | 2025-06-02 | closed 2025-06-20 (not_cme) |
| P2 | A | school | 2025-07-01 | closed 2025-07-10 (located_and_returned) |
| P3 | E | out-of-school | 2025-06-10 | closed 2025-06-30 (not_cme) |
| P4 | E | school | 2025-08-01 | closed 2025-09-05 (on_roll_elsewhere) |
| C1 | A | school | 2025-09-15 | reason at intake; closed 2025-09-25 (not_cme) |
| C2 | B | out-of-school | 2025-09-22 | reason set 2025-10-01; corrected 2025-12-02 |
| C3 | A | school | 2025-10-20 | enquiries 10-21; notice on time 11-10; closed 11-20 |
| C4 | C | school | 2025-11-03 | reason `other`; MASH 11-04 10:00, acknowledged 15:00, back 11-06;|
|    |   |        |            | notice late 11-18; risk `runaway` 11-24; migrated 2025-12-03 |
| C5 | D | out-of-school | 2025-11-10 | paused 11-12; resumed and closed 2025-12-04 |
| C6 | F | school | 2025-12-05 | no reason |
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import workflows
from cme.bootstrap import App
from cme.services import cases, reports
from cme.services.migration import migrate
from cme.services.principal import Principal
from engine.clock import LOCAL_ZONE
from engine.testing import FakeClock
from tests.support import school_referral

CMEO = Principal("Ann Officer", "cmeo", "cli")
WORKER = Principal("Cal Worker", "caseworker", "cli")
MASH = Principal("Mo Mash", "mash", "cli")
ADMIN = Principal("Ada Admin", "admin", "cli")
AUDITOR = Principal("Aud Itor", "auditor", "cli")


def local(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=LOCAL_ZONE).astimezone(UTC)


def child(forename: str, surname: str, born: str, **more: Any) -> dict[str, Any]:
    return {"forename": forename, "surname": surname, "date_of_birth": born, **more}


CHILD_A = child("Sam", "Testchild", "2014-05-01", upn="H801200001001", gender="female")
CHILD_B = child("Pat", "Example", "2012-03-10", gender="male")
CHILD_C = child("Alex", "Example", "2016-01-15")
CHILD_D = child("Jo", "Sample", "2011-06-01", gender="male")
CHILD_E = child("Kim", "Other", "2013-09-09", gender="female")
CHILD_F = child("Lee", "Fourth", "2015-04-20", gender="female")


@dataclass
class World:
    """The apps (before and after the chart migration) and the case ids."""

    app: App
    clock: FakeClock
    ids: dict[str, int]
    migrated_app: App | None = None

    @property
    def current(self) -> App:
        return self.migrated_app or self.app


def school(kid: dict[str, Any], absent: str, **more: Any) -> dict[str, Any]:
    return school_referral(child=kid, first_absence_date=absent, **more)


def out_of_school(kid: dict[str, Any], **more: Any) -> dict[str, Any]:
    referral = school_referral(child=kid, **more)
    del referral["school"], referral["first_absence_date"]
    referral["referrer"] = {"name": "Ms Health", "organisation": "Health visiting"}
    return referral


class Builder:
    def __init__(self, app: App, clock: FakeClock) -> None:
        self.app, self.clock = app, clock
        self.ids: dict[str, int] = {}

    def at(self, moment: datetime) -> Builder:
        self.clock.set(moment)
        return self

    def open(self, name: str, workflow: str, referral: dict[str, Any]) -> None:
        opened = cases.open_case(self.app, CMEO, workflow, referral)
        self.ids[name] = opened.view.case.id

    def step(
        self, name: str, trigger: str, evidence: dict[str, Any], who: Principal = CMEO
    ) -> None:
        cases.advance(self.app, who, self.ids[name], trigger, evidence)

    def close(self, name: str, outcome: str) -> None:
        self.step(name, "close_case", {"case_outcome": outcome, "closure_reason": "evidence seen"})


def build_until_november(app: App, clock: FakeClock) -> World:
    b = Builder(app, clock)
    sr, oos = "school-referral", "out-of-school-referral"
    b.at(local(2025, 6, 2)).open("P1", sr, school(CHILD_A, "2025-05-19"))
    b.at(local(2025, 6, 10)).open("P3", oos, out_of_school(CHILD_E))
    b.at(local(2025, 6, 20)).close("P1", "not_cme")
    b.at(local(2025, 6, 30)).close("P3", "not_cme")
    b.at(local(2025, 7, 1)).open("P2", sr, school(CHILD_A, "2025-06-23"))
    b.at(local(2025, 7, 10)).close("P2", "located_and_returned")
    b.at(local(2025, 8, 1)).open("P4", sr, school(CHILD_E, "2025-07-14"))
    b.at(local(2025, 9, 5)).close("P4", "on_roll_elsewhere")
    b.at(local(2025, 9, 15)).open(
        "C1", sr, school(CHILD_A, "2025-09-03", primary_reason="application_awaiting_outcome")
    )
    b.at(local(2025, 9, 22)).open("C2", oos, out_of_school(CHILD_B))
    b.at(local(2025, 9, 25)).close("C1", "not_cme")
    b.at(local(2025, 10, 1))
    reports.set_primary_reason(app, CMEO, b.ids["C2"], "moved_abroad_believed")
    b.at(local(2025, 10, 20)).open("C3", sr, school(CHILD_A, "2025-10-13"))
    b.at(local(2025, 10, 21)).step("C3", "begin_enquiries", {}, WORKER)
    b.at(local(2025, 11, 3)).open("C4", sr, school(CHILD_C, "2025-10-20", primary_reason="other"))
    b.at(local(2025, 11, 4)).step("C4", "raise_concern", {"concern": "bruise", "raised_by": "GP"})
    b.at(local(2025, 11, 4, 15)).step("C4", "mash_acknowledged", {"acknowledged_by": "M"}, MASH)
    b.at(local(2025, 11, 6)).step(
        "C4", "return_from_mash", {"mash_decision": "return_to_cme_casework"}, MASH
    )
    b.at(local(2025, 11, 10))
    app.engine.fire_due_timers()  # C3's four-week notice, due today: sent on time
    b.open("C5", oos, out_of_school(CHILD_D))
    b.at(local(2025, 11, 12))
    cases.pause(app, CMEO, b.ids["C5"], "awaiting a police check")
    b.at(local(2025, 11, 18))
    app.engine.fire_due_timers()  # C4's four-week notice, due yesterday: sent late
    b.at(local(2025, 11, 20)).close("C3", "located_and_returned")
    b.at(local(2025, 11, 24)).step("C4", "update_risk", {"risk_flags": ["runaway"]}, WORKER)
    return World(app, clock, b.ids)


def december(world: World, app_factory: Callable[..., App], db_url: str, tmp_path: Path) -> None:
    """This month's activity: a correction, a chart migration, a resumed and closed case, a
    new case."""
    app, clock = world.app, world.clock
    clock.set(local(2025, 12, 2))
    reports.set_primary_reason(app, CMEO, world.ids["C2"], "temporary_accommodation")
    source = next(p for p in workflows.definition_files() if p.name == "school-referral.yaml")
    folder = tmp_path / "charts"
    folder.mkdir()
    changed = re.sub(r"(?<![\w-])enquiries(?![\w-])", "enquiries_made", source.read_text())
    (folder / "school-referral.yaml").write_text(changed)
    (folder / "out-of-school-referral.yaml").write_text(
        next(
            p for p in workflows.definition_files() if p.name == "out-of-school-referral.yaml"
        ).read_text()
    )
    clock.set(local(2025, 12, 3))
    new = app_factory(db_url, clock, workflows_dir=str(folder))
    version = new.registry.current("school-referral").version
    migrate(new, ADMIN, "school-referral", version[:12], {"enquiries": "enquiries_made"})
    world.migrated_app = new
    b = Builder(new, clock)
    b.ids = world.ids
    clock.set(local(2025, 12, 4))
    cases.resume(new, CMEO, world.ids["C5"])
    b.close("C5", "not_cme")
    b.at(local(2025, 12, 5)).open("C6", "school-referral", school(CHILD_F, "2025-12-01"))


@pytest.fixture
def world(db_url: str, app_factory: Callable[..., App]) -> World:
    clock = FakeClock(local(2025, 6, 2))
    application = app_factory(db_url, clock)
    return build_until_november(application, clock)
