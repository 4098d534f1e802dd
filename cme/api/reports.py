"""`GET /reports` and `GET /reports/{name}`: the reports other systems may read.

`REPORTS` maps a report's name to the function that builds it through the application layer
(taking the app, the principal and the query parameters, returning its JSON). A name it does
not hold is a 404 problem (`UnknownReport`) listing the ones it does; a missing or unknown
parameter a 422 naming it; a build without the reports service a 501 (`ReportsUnavailable`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from cme.api.cases import as_json, problems
from cme.api.problems import Problem
from cme.services.errors import Refused
from cme.services.principal import Principal

if TYPE_CHECKING:
    from cme.bootstrap import App


@dataclass(frozen=True, slots=True)
class Report:
    """A report the API serves: the query parameters it takes (those in `required` must be
    given) and how they become one call of the reports service (`cme.services.reports`)."""

    params: tuple[str, ...]
    required: tuple[str, ...]
    build: Callable[[Any, "App", Principal, Mapping[str, str]], Any]


def _flag(query: Mapping[str, str], name: str) -> bool:
    return query.get(name, "").strip().lower() in ("1", "true", "yes")


REPORTS: dict[str, Report] = {
    "monthly": Report(("month",), ("month",), lambda s, a, p, q: s.monthly(a, p, q["month"])),
    "annual": Report(
        ("year", "basis"),
        ("year",),
        lambda s, a, p, q: s.annual(a, p, q["year"], q.get("basis", "school")),
    ),
    "dfe-return": Report(
        ("year", "term", "census_date", "round"),
        ("year", "term"),
        lambda s, a, p, q: s.dfe_return(
            a, p, q["year"], q["term"], q.get("census_date"), _flag(q, "round")
        ),
    ),
    "register": Report(("as_of",), (), lambda s, a, p, q: s.register(a, p, q.get("as_of"))),
}
"""name -> the report; each is built by the reports service, through its permissions."""
SERVICE = "cme.services.reports"


def _service() -> Any:
    """The reports service, if this build has it (None: not yet)."""
    import importlib

    try:
        return importlib.import_module(SERVICE)
    except ModuleNotFoundError:
        return None


def _build(application: "App", principal: Principal, name: str, query: Mapping[str, str]) -> Any:
    report = REPORTS[name]
    missing = [p for p in report.required if not query.get(p)]
    unknown = sorted(set(query) - set(report.params))
    if missing or unknown:
        rules = [(m, "is required") for m in missing] + [
            (u, "is not a parameter") for u in unknown
        ]
        detail = "; ".join(f"{f}: {r}" for f, r in rules)
        raise Refused(detail, "BadInput", field=rules[0][0], rule=rules[0][1])
    service = _service()
    if service is None:
        return Problem(501, "ReportsUnavailable", f"this server cannot build reports yet ({name})")
    return report.build(service, application, principal, query)


def report_router(application: "App", caller: Callable[..., Principal]) -> APIRouter:
    """The report routes."""
    router = APIRouter(tags=["reports"])
    Caller = Annotated[Principal, Depends(caller)]  # noqa: N806 - a type

    @router.get(
        "/reports",
        response_model=None,
        summary="The names of the reports this server can build",
        responses={200: {"model": list[str]}, **problems()},
    )
    def report_names(principal: Caller) -> Response:
        return as_json(200, sorted(REPORTS) if _service() is not None else [])

    @router.get(
        "/reports/{name}",
        response_model=None,
        summary="One report, its parameters as query parameters",
        responses={200: {"model": dict[str, Any]}, **problems(403, 404, 422, 501)},
    )
    def report(
        name: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")],
        request: Request,
        principal: Caller,
    ) -> Response:
        if name not in REPORTS:
            known = ", ".join(sorted(REPORTS))
            unknown = Problem(
                404,
                "UnknownReport",
                f"there is no report named '{name}' (reports: {known})",
                {"reports": sorted(REPORTS)},
            )
            return unknown.response()
        built = _build(application, principal, name, dict(request.query_params))
        if isinstance(built, Problem):
            return built.response()
        return as_json(200, built)

    return router
