"""`GET /reports` and `GET /reports/{name}`: the reports other systems may read.

`REPORTS` maps a report's name to the function that builds it through the application layer
(taking the app, the principal and the query parameters, returning its JSON). A name it does
not hold is a 404 problem (`UnknownReport`) listing the ones it does.
"""

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from cme.api.cases import as_json, problems
from cme.api.problems import Problem
from cme.services.principal import Principal

if TYPE_CHECKING:
    from cme.bootstrap import App

Report = Callable[["App", "Principal", Mapping[str, str]], Any]
REPORTS: dict[str, Report] = {}
"""name -> the report's builder (one service call)."""


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
        return as_json(200, sorted(REPORTS))

    @router.get(
        "/reports/{name}",
        response_model=None,
        summary="One report, its parameters as query parameters",
        responses={200: {"model": dict[str, Any]}, **problems(403, 404, 422)},
    )
    def report(
        name: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")],
        request: Request,
        principal: Caller,
    ) -> Response:
        build = REPORTS.get(name)
        if build is None:
            known = ", ".join(sorted(REPORTS)) or "none yet"
            unknown = Problem(
                404,
                "UnknownReport",
                f"there is no report named '{name}' (reports: {known})",
                {"reports": sorted(REPORTS)},
            )
            return unknown.response()
        return as_json(200, build(application, principal, dict(request.query_params)))

    return router
