"""Reports and the primary reason for CME, for every door (CLI now; web and API later).

`monthly`, `annual`, `dfe_return` and `register` authorize, read the event log as of the
period's end and return the report document (`cme.reports.render` turns it into md, html, csv
or json). The register names children, so its every case is recorded in the access log;
the other reports hold no personal data. `set_primary_reason` records a case's primary reason
for CME (the DfE return's list for the academic year) as a `primary_reason_set` event, so the
reason has a history and a return of a past term keeps the reason of its time.

Bad input raises `Refused` (kind `BadInput`) naming the flag and the rule.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from cme.services.errors import Refused
from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from engine.ports import EventRecord

REASON_EVENT = "primary_reason_set"


def _bad(exc: Exception, flag: str | None = None) -> Refused:
    return Refused(str(exc), "BadInput", **({"flag": flag} if flag else {}))


def monthly(app: App, principal: Principal, month: str) -> dict[str, Any]:
    """The monthly service performance report for `month` (`YYYY-MM`, ended)."""
    from cme.reports import periods
    from cme.reports.build import performance_doc

    authorize(app, principal, "report.monthly", what="run the monthly report")
    try:
        period = periods.month(month, app.clock.now())
    except periods.PeriodInvalid as exc:
        raise _bad(exc, exc.flag) from None
    return performance_doc(app, "monthly", period)


def annual(app: App, principal: Principal, year: str, basis: str = "school") -> dict[str, Any]:
    """The annual report: the school year (Sep-Aug) or financial year (Apr-Mar) from `year`."""
    from cme.reports import periods
    from cme.reports.build import performance_doc

    authorize(app, principal, "report.annual", what="run the annual report")
    try:
        period = periods.year(year, basis, app.clock.now())
    except periods.PeriodInvalid as exc:
        raise _bad(exc, exc.flag) from None
    return performance_doc(app, "annual", period)


def dfe_return(
    app: App,
    principal: Principal,
    year: str,
    term: str,
    census: str | None = None,
    round_figures: bool = False,
) -> dict[str, Any]:
    """The DfE's termly CME return for `year` (`2025/26`) and `term`."""
    from cme.reports import periods
    from cme.reports.build import dfe_doc
    from engine.clock import local_date
    from workflows.dfe_return import TERMS, ReturnDataInvalid, collection_for

    authorize(app, principal, "report.dfe_return", what="run the DfE return")
    if term not in TERMS:
        raise Refused(
            f"--term: must be one of {', '.join(TERMS)} (got {term!r})", "BadInput", flag="--term"
        )
    try:
        year = periods.collection_year(year)
        collection = collection_for(year)
        day = periods.day(census, "--census-date") if census else collection.census_dates[term]
    except periods.PeriodInvalid as exc:
        raise _bad(exc, exc.flag) from None
    except ReturnDataInvalid as exc:
        raise Refused(f"--year: {exc}", "BadInput", flag="--year") from None
    if not collection.start <= day < date(collection.start.year + 1, 9, 1):
        raise Refused(
            f"--census-date: {day} is not in the academic year {year}",
            "BadInput",
            flag="--census-date",
        )
    if day >= local_date(app.clock.now()):
        raise Refused(
            f"--census-date: the census day {day} has not ended yet; the return counts the "
            "census day whole",
            "BadInput",
            flag="--census-date",
        )
    return dfe_doc(app, year, term, day, round_figures)


def register(app: App, principal: Principal, as_of: str | None = None) -> dict[str, Any]:
    """Every case open at `as_of` (default: now), with the child's details. Each case listed
    is recorded in the access log as read."""
    from cme.access import record_many
    from cme.reports import periods
    from cme.reports.build import register_doc

    authorize(app, principal, "report.register", what="read the register")
    now = app.clock.now()
    try:
        at = periods.moment(as_of, "--as-of") if as_of else now
    except periods.PeriodInvalid as exc:
        raise _bad(exc, exc.flag) from None
    if at > now:
        raise Refused("--as-of: cannot be in the future", "BadInput", flag="--as-of")
    doc = register_doc(app, at)
    ids = [int(c["case_id"]) for c in doc["figures"]["cases"]]
    record_many(app, principal.actor, ids, "report register", f"as of {doc['as_of']}")
    return doc


def set_primary_reason(
    app: App, principal: Principal, case_id: int, reason: str, note: str = ""
) -> EventRecord:
    """Record a case's primary reason for CME (a code of the DfE return's list for the
    academic year of today), with the reason it replaces."""
    from engine.audit import append_system_event
    from engine.clock import local_date
    from engine.text import TextRefused, clean
    from workflows.dfe_return import ReturnDataInvalid, academic_year_of, reasons_on

    authorize(app, principal, "case.reason", case_id)
    now = app.clock.now()
    try:
        reasons = reasons_on(local_date(now))
    except ReturnDataInvalid as exc:
        raise _bad(exc, "--reason") from None
    if reason not in reasons:
        raise Refused(
            f"--reason: unknown reason {reason!r} for {academic_year_of(local_date(now))} "
            f"(known: {', '.join(reasons)})",
            "BadInput",
            flag="--reason",
        )
    try:
        note = clean(note, 500) if note else ""
    except TextRefused as exc:
        raise Refused(f"--note: {exc}", "BadInput", flag="--note") from None
    engine = app.engine
    with engine.uow() as uow:
        case = uow.get_case(case_id)
        if case.closed_at is not None:
            raise Refused(
                f"Case {case.ref} is closed: its primary reason is kept as it was", "CaseClosed"
            )
        version = case.version
        previous = None
        for event in uow.events(case_id):
            if event.trigger == REASON_EVENT:
                previous = event.evidence.get("reason")
            elif event.seq == 1:
                previous = (event.evidence.get("facts") or {}).get("primary_reason")
        evidence = {
            "reason": reason,
            "collection_year": academic_year_of(local_date(now)),
            "replaces": previous,
            **({"note": note} if note else {}),
        }
        event = append_system_event(
            uow, case, REASON_EVENT, evidence, principal.who, principal.role, now
        )
        uow.update_case(case, expected_version=version)
        uow.commit()
    return event
