"""The work list gives exactly the order of the plain definition (high priority first, then
nearest pending deadline, cases with none after oldest first), for every filter, page size and
offset, whichever way it fills a page: each case's nearest deadline sorted by the database,
the walk over pending deadlines however small its batches, or the walk cut short and sorted."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text, update

from storage import worklist
from storage.casework import set_assignee
from storage.tables import timer_table
from storage.worklist import WorkFilter
from tests.web.conftest import Web, escalate, open_case

SCHOOL_B = {"id": "8212002", "name": "Other Academy"}


def _reference(web: Web, wanted: WorkFilter) -> list[int]:
    """Every open case the filter admits, in the defined order, by brute force."""
    with web.app.db.connect() as conn:
        cases = conn.execute(
            text(
                'SELECT id, priority, state, workflow, opened_at, facts FROM "case" '
                "WHERE closed_at IS NULL"
            )
        ).all()
        assignees: dict[int, str | None] = dict(
            conn.execute(text('SELECT id, assignee FROM "case"')).all()
        )
        due: dict[int, str] = dict(
            conn.execute(
                text(
                    "SELECT case_id, MIN(due_at) FROM timer WHERE status = 'pending' "
                    "GROUP BY case_id"
                )
            ).all()
        )
        late = {
            r[0]
            for r in conn.execute(
                text("SELECT case_id FROM timer WHERE status = 'pending' AND due_at <= :now"),
                {"now": web.app.clock.now().strftime("%Y-%m-%d %H:%M:%S.%f")},
            )
        }
    import json

    kept = []
    for case_id, priority, state, _workflow, opened_at, facts in cases:
        school = (json.loads(facts) if isinstance(facts, str) else facts).get("school", {})
        if wanted.state and state != wanted.state:
            continue
        if wanted.school and school.get("id") != wanted.school:
            continue
        if wanted.workflow and _workflow != wanted.workflow:
            continue
        if wanted.assignee and assignees.get(case_id) != wanted.assignee:
            continue
        if wanted.high_priority and priority != "high":
            continue
        if wanted.overdue_at is not None and case_id not in late:
            continue
        next_due = due.get(case_id)
        kept.append(
            ((priority != "high", next_due is None, next_due or "", opened_at, case_id), case_id)
        )
    return [case_id for _, case_id in sorted(kept)]


@pytest.fixture(params=["sorted", "walked", "walk cut short"])
def many(web: Web, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Web:
    monkeypatch.setattr(worklist, "FIRST_BATCH", 1)
    monkeypatch.setattr(worklist, "MAX_BATCH", 2)
    if request.param != "sorted":
        monkeypatch.setattr(worklist, "DIRECT_MAX", 0)
    if request.param == "walk cut short":
        monkeypatch.setattr(worklist, "WALK_MAX", 3)
    made: list[int] = []
    for i in range(9):
        child = {"forename": f"Kid{i}", "surname": "Example", "date_of_birth": "2014-01-01"}
        overrides: dict[str, Any] = {"child": child}
        if i % 3 == 0:
            overrides["risk_flags"] = ["looked_after"]  # high priority, escalated at once
        if i % 2:
            overrides["school"] = SCHOOL_B
        overrides["first_absence_date"] = f"2025-10-{10 + i:02d}"
        made.append(open_case(web.app, **overrides))
        web.clock.advance(timedelta(minutes=7))
    escalate(web.app, made[4])
    with web.app.db.begin() as conn:  # two cases with no pending deadline at all
        conn.execute(
            update(timer_table)
            .where(timer_table.c.case_id.in_([made[2], made[6]]))
            .values(status="cancelled")
        )
        for case_id in made[1::3]:
            set_assignee(conn, case_id, "ann")
    return web


@pytest.mark.parametrize(
    "wanted",
    [
        WorkFilter(),
        WorkFilter(high_priority=True),
        WorkFilter(school="8212002"),
        WorkFilter(state="escalated_to_mash"),
        WorkFilter(state="received"),
        WorkFilter(state="nonexistent"),
        WorkFilter(state="received", school="8212002"),
        WorkFilter(assignee="ann"),
        WorkFilter(workflow="school-referral", high_priority=True),
        WorkFilter(workflow="out-of-school-referral"),
    ],
    ids=[
        "all",
        "high",
        "school",
        "escalated",
        "received",
        "none",
        "received at school",
        "assigned",
        "chart and high",
        "other chart",
    ],
)
def test_every_page_is_a_slice_of_the_defined_order(many: Web, wanted: WorkFilter) -> None:
    expected = _reference(many, wanted)

    for limit in (1, 2, 3, 50):
        for offset in range(0, len(expected) + 2):
            page = [r.case.id for r in worklist.work(many.app.db, wanted, limit, offset)]
            assert page == expected[offset : offset + limit], (limit, offset)
    assert worklist.count(many.app.db, wanted) == len(expected)


@pytest.mark.parametrize("late_in_max", [1000, 0], ids=["few late", "many late"])
def test_overdue_follows_the_clock(
    many: Web, monkeypatch: pytest.MonkeyPatch, late_in_max: int
) -> None:
    monkeypatch.setattr(worklist, "LATE_IN_MAX", late_in_max)
    many.clock.advance(timedelta(days=2))
    wanted = WorkFilter(overdue_at=many.app.clock.now())
    expected = _reference(many, wanted)

    assert expected  # some deadline has passed by now
    for limit, offset in ((50, 0), (1, 0), (2, 1), (3, 2)):
        page = [r.case.id for r in worklist.work(many.app.db, wanted, limit, offset)]
        assert page == expected[offset : offset + limit], (limit, offset)
    assert worklist.count(many.app.db, wanted) == len(expected)
    at_school = replace(wanted, school=SCHOOL_B["id"])
    assert [r.case.id for r in worklist.work(many.app.db, at_school, 50)] == _reference(
        many, at_school
    )
