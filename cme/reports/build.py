"""Each report as a document (`render.py` turns it into md, html, csv or json): read the
history up to the period's end, compute the figures, say the moment they hold at.

The only moment in a document is its stated `as_of` (the period's end, the census day's end,
or the register's moment): nothing depends on when the report is run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cme.reports.history import History, read_history
from cme.reports.periods import Period

if TYPE_CHECKING:
    from cme.bootstrap import App
    from engine.definition import WorkflowDefinition

TITLES = {
    "monthly": "Monthly service performance report",
    "annual": "Annual report",
    "register": "Register of children missing education",
    "dfe-return": "DfE termly return: children missing education",
}


def definitions(app: App) -> list[WorkflowDefinition]:
    """Every version of every chart a case ever ran on (stored), and the current ones: the
    events of a past period were written under the versions of their time."""
    from storage.audit import definition_versions

    found = {d.version: d for d in app.registry.workflows()}
    for current in list(found.values()):
        for version in definition_versions(app.db, current.workflow):
            if version not in found:
                found[version] = app.registry.compiled(version).definition
    return [found[v] for v in sorted(found)]


def finals(app: App) -> frozenset[str]:
    """Every state any chart version treats as final."""
    return frozenset(s.id for d in definitions(app) for s in d.states.values() if s.final)


def counted_triggers(app: App) -> frozenset[str]:
    """The triggers whose steps reports count: closing, reopening, escalating to MASH, MASH's
    acknowledgement, and changing the risk flags (the system events are added by
    `read_history`)."""
    from cme.reports.history import ESCALATED, WITH_MASH

    ends = finals(app)
    found = set()
    for d in definitions(app):
        for t in d.triggers.values():
            sources = set(t.sources)
            if (
                t.target in ends
                or sources & ends
                or t.target == ESCALATED
                or (ESCALATED in sources and t.target == WITH_MASH)
                or "risk_flags" in t.sets_facts
            ):
                found.add(t.id)
    return frozenset(found)


def _history(app: App, until: datetime) -> History:
    return read_history(app.db, until, finals(app), counted_triggers(app))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _doc(
    report: str, period: Period | None, as_of: datetime, figures: Any, title: str = ""
) -> dict[str, Any]:
    return {
        "report": report,
        "title": title or TITLES[report],
        "period": (
            {
                "label": period.label,
                "first": period.first.isoformat(),
                "last": period.last.isoformat(),
            }
            if period
            else None
        ),
        "as_of": _stamp(as_of),
        "figures": figures,
    }


def _trailing_months(period: Period, count: int = 12) -> list[Period]:
    first = period.first.replace(day=1)
    for _ in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return Period("", first, period.last).months()[-count:]


def performance_doc(app: App, report: str, period: Period) -> dict[str, Any]:
    """The monthly report (charts over the 12 months to its end) or the annual one (its
    months)."""
    from cme.reports.figures import performance

    history = _history(app, period.end)
    months = _trailing_months(period) if report == "monthly" else period.months()
    calendar = app.calendars.for_school(None)
    figures = performance(history, app.db, period, calendar, months)
    return _doc(report, period, period.end, figures, f"{TITLES[report]}: {period.label}")


def register_doc(app: App, at: datetime) -> dict[str, Any]:
    """Every case open at `at`, with the child's details."""
    from cme.reports.dfe import register

    history = _history(app, at)
    return _doc("register", None, at, register(history, app.db, at))


def dfe_doc(
    app: App, year: str, term: str, census: date | None, round_figures: bool
) -> dict[str, Any]:
    """The termly return for `year` (`2025/26`) and `term`; `census` overrides the data
    file's census date (it must be in the collection year)."""
    from cme.reports.dfe import dfe_return
    from engine.clock import start_of_local_day
    from workflows.dfe_return import collection_for

    collection = collection_for(year)
    day = census or collection.census_dates[term]
    at = start_of_local_day(day + timedelta(days=1))
    history = _history(app, at)
    figures = dfe_return(history, app.db, collection, term, day, round_figures)
    title = f"{TITLES['dfe-return']}, {term} {year}"
    return _doc("dfe-return", Period(f"{term} {year}", day, day), at, figures, title)
