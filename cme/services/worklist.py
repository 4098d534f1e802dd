"""The work list (the web's "My work" page; any door may show it): open cases filtered by tab
(all, high priority, overdue, MASH escalation in trouble), state, workflow and school, and
searched by name, UPN, case reference or school; high priority first, then the nearest
deadline. Each row carries the child's name and age, the school, the state's title, the next
deadline in words (`cme.services.wording`) and the assignee when the read model has one.

Every case listed is a read, kept in the access log (`cases`); the search text is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from cme.services.errors import Refused

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from cme.services.wording import DeadlineWords
    from engine.definition import WorkflowDefinition
    from storage.read_models import QueueRow
    from storage.worklist import WorkFilter

Tab = Literal["all", "high", "overdue", "escalation"]
TABS: dict[Tab, str] = {
    "all": "All open cases",
    "high": "High priority",
    "overdue": "Overdue",
    "escalation": "MASH not told or not answering",
}
PAGE_SIZE = 50
MAX_NAME = 200
"""The longest account name (`cme.services.accounts`)."""
NOT_ASSIGNED = "-"
"""`WorkQuery.assignee` for the cases nobody is assigned to."""


@dataclass(frozen=True, slots=True)
class WorkQuery:
    """What the person asked for (every field optional)."""

    tab: Tab = "all"
    state: str | None = None
    workflow: str | None = None
    school: str | None = None
    search: str | None = None
    page: int = 1
    assignee: str | None = None
    """An account's name: its cases; `NOT_ASSIGNED`: those of nobody."""


@dataclass(frozen=True, slots=True)
class WorkRow:
    """One case in the list."""

    case_id: int
    ref: str
    child_name: str | None
    age: int | None
    school: str | None
    workflow: str
    state: str
    state_title: str
    priority: str
    next_deadline: DeadlineWords | None
    escalation: str | None
    assignee: str | None = None
    removal: DeadlineWords | None = None
    """For a case in a state it may be removed from roll from: the day the school-day rule
    allows it, while that is still to come (`wording.removal_words`)."""


@dataclass(frozen=True, slots=True)
class WorkPage:
    """A page of the list, the count on each tab, and the choices the filters offer."""

    rows: list[WorkRow]
    counts: dict[str, int]
    total: int
    query: WorkQuery
    states: list[tuple[str, str]] = field(default_factory=list)
    """`(state id, title)` of every chart's states (the state filter)."""
    workflows: list[tuple[str, str]] = field(default_factory=list)
    schools: list[tuple[str, str]] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    """Every account open cases are assigned to (the "assigned to" filter)."""

    @property
    def pages(self) -> int:
        """How many pages the current tab has."""
        return max(1, -(-self.total // PAGE_SIZE))


def _troubled(app: App) -> list[int]:
    from cme.escalation import ESCALATED, escalation_marks
    from storage.worklist import escalation_candidates

    candidates = escalation_candidates(app.db, ESCALATED)
    marks = escalation_marks(app, candidates)
    return [case_id for case_id, mark in marks.items() if mark is not None]


def _filter(app: App, query: WorkQuery, tab: Tab, troubled: list[int] | None) -> WorkFilter:
    from dataclasses import replace

    from cme.services.queue import parse_search
    from storage.worklist import WorkFilter

    base = WorkFilter(
        state=query.state or None,
        workflow=query.workflow or None,
        school=query.school or None,
        search=parse_search(query.search) if query.search is not None else None,
        assignee=query.assignee if query.assignee not in (None, "", NOT_ASSIGNED) else None,
        unassigned=query.assignee == NOT_ASSIGNED,
    )
    if tab == "high":
        return replace(base, high_priority=True)
    if tab == "overdue":
        return replace(base, overdue_at=app.clock.now())
    if tab == "escalation":
        return replace(base, case_ids=troubled or [])
    return base


def work_page(app: App, principal: Principal, query: WorkQuery | None = None) -> WorkPage:
    """One page of the work list and the count on every tab; the cases listed are logged.

    Raises:
        SearchRefused: an empty or over-long search.
        Refused: an unknown tab, state or workflow (field `tab`, `state`, `workflow`).
    """
    from cme.access import record_many
    from storage import worklist

    query = query or WorkQuery()
    _check(app, query)
    troubled = _troubled(app)
    # each tab's cases by priority, counted once: the tabs show them, the page fills from them
    per_tab = {
        tab: worklist.by_priority(app.db, _filter(app, query, tab, troubled))
        for tab in ("all", "overdue", "escalation")
    }
    per_tab["high"] = {"high": per_tab["all"]["high"]}
    counts: dict[str, int] = {tab: sum(per_tab[tab].values()) for tab in TABS}
    wanted = _filter(app, query, query.tab, troubled)
    offset = (max(1, query.page) - 1) * PAGE_SIZE
    found = worklist.work(app.db, wanted, PAGE_SIZE, offset, per_tab[query.tab])
    rows = _rows(app, found, troubled)
    record_many(app, principal.actor, [r.case_id for r in rows], "cases")
    return WorkPage(
        rows,
        counts,
        counts[query.tab],
        query,
        states=_states(app),
        workflows=[(d.workflow, d.title) for d in app.definitions],
        schools=_schools(app),
        assignees=worklist.assignees(app.db),
    )


SCHOOLS_FOR = 300.0
"""Seconds the school filter's list is kept before it is read again (reading it walks every
open case)."""
_SCHOOLS: dict[int, tuple[float, list[tuple[str, str]]]] = {}


def _schools(app: App) -> list[tuple[str, str]]:
    """The schools open cases name, read at most every `SCHOOLS_FOR` seconds per database."""
    import time

    from storage.worklist import schools

    key, now = id(app.db), time.monotonic()
    kept = _SCHOOLS.get(key)
    if kept is None or now - kept[0] > SCHOOLS_FOR:
        kept = _SCHOOLS[key] = (now, schools(app.db))
    return kept[1]


def _check(app: App, query: WorkQuery) -> None:
    if query.tab not in TABS:
        raise Refused(f"tab: '{query.tab}' is not one of {', '.join(TABS)}", field="tab")
    if query.workflow and query.workflow not in {d.workflow for d in app.definitions}:
        raise Refused(f"workflow: '{query.workflow}' is not a chart in use", field="workflow")
    if query.state and query.state not in {s for s, _ in _states(app)}:
        raise Refused(f"state: '{query.state}' is not a state of any chart", field="state")
    for name, value, what in (
        ("assignee", query.assignee, "an account's name"),
        ("school", query.school, "a school's id"),
    ):
        if value and (len(value) > MAX_NAME or not value.isprintable()):
            raise Refused(f"{name}: {what}, at most {MAX_NAME} printable characters", field=name)


def _states(app: App) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for d in app.definitions:
        for name, state in d.states.items():
            if not state.final:
                seen.setdefault(name, state.title)
    return list(seen.items())


def _rows(app: App, found: list[QueueRow], troubled: list[int]) -> list[WorkRow]:
    from cme.escalation import escalation_marks
    from cme.services.views import child_summary
    from cme.services.wording import deadline_words, removal_words
    from engine.clock import local_date
    from storage.worklist import pending_timers
    from workflows.rules import removal_allowed_from

    queue_rows = found
    now = app.clock.now()
    today = local_date(now)
    pending = pending_timers(app.db, [r.case.id for r in queue_rows])
    marks = escalation_marks(
        app, [(r.case.id, r.case.state) for r in queue_rows if r.case.id in set(troubled)]
    )
    rows = []
    for row in queue_rows:
        case = row.case
        definition = app.registry.compiled(case.definition_hash).definition
        removal = None
        if _removable(definition, case.state) and (
            allowed := removal_allowed_from(case.facts, app.engine.calendars.for_case(case))
        ):
            removal = removal_words(allowed, today)
        timers = pending[case.id]
        child = child_summary(row.child, case.facts, today)
        rows.append(
            WorkRow(
                case_id=case.id,
                ref=case.ref,
                child_name=child.name,
                age=child.age,
                school=child.school_name or child.school_id,
                workflow=case.workflow,
                state=case.state,
                state_title=definition.states[case.state].title,
                priority=case.priority,
                next_deadline=deadline_words(timers[0], now) if timers else None,
                escalation=marks.get(case.id),
                assignee=row.assignee,
                removal=removal,
            )
        )
    return rows


REMOVAL_RULE = "removal_ground_met"
"""The guard that counts the school days before removal from roll (workflows.rules)."""


def _removable(definition: WorkflowDefinition, state: str) -> bool:
    """Whether a step out of `state` removes from roll once enough school days have passed."""
    return any(REMOVAL_RULE in t.guards for t in definition.triggers_from(state))
