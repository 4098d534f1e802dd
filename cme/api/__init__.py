"""The HTTP API for other council systems: its own FastAPI application, mounted at `/api/v1`
by the web application (`mounted` does the same for a test or a bare server).

A door like the CLI: a bearer token establishes the principal (`cme.services.tokens`), each
route calls one service, and refusals are problem details (`cme.api.problems`). The OpenAPI
document, served at `/api/v1/openapi.json`, names the paths with their `/api/v1` prefix and is
kept in `docs/openapi.json` (`python -m cme.api.openapi` writes it; a test fails on drift).
"""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from cme.api import problems
from cme.services.errors import Refused
from cme.services.principal import Principal

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from cme.bootstrap import App

PREFIX = "/api/v1"
TITLE = "cme HTTP API"
VERSION = "1"
DESCRIPTION = (
    "Open, read and advance children-missing-education cases from other council systems. "
    "Authenticate with `Authorization: Bearer TOKEN` (`cme token create`). Errors are RFC "
    "9457 problem details. See docs/api.md."
)


def create_api(application: "App", limiter: Any = None) -> FastAPI:
    """The API application on `application`, to mount at `/api/v1`.

    Args:
        application: the cme App (its settings give the rate limit).
        limiter: a `cme.api.security.RateLimiter` (tests pass one with a fake clock); None:
            one from `CME_API_RATE_PER_MINUTE` and `CME_API_BURST`.
    """
    from cme.api.cases import case_router
    from cme.api.reports import report_router
    from cme.api.security import RateLimiter
    from cme.services import tokens

    settings = application.settings
    rate = limiter or RateLimiter(settings.api_rate_per_minute, settings.api_burst)
    bearer = HTTPBearer(
        auto_error=False, description="A token from `cme token create NAME --role ROLE`."
    )

    def caller(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        principal = tokens.principal_for(
            application, credentials.credentials if credentials else None
        )
        wait = rate.take(principal.who)
        if wait:
            raise problems.RateLimited(wait)
        return principal

    def single_valued(request: Request) -> None:
        """A query parameter given twice is refused, never read as its last value."""
        seen: set[str] = set()
        for name, _ in request.query_params.multi_items():
            if name in seen:
                raise Refused(f"{name}: given more than once", "RequestInvalid", field=name)
            seen.add(name)

    api = FastAPI(
        dependencies=[Depends(single_valued)],
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        root_path_in_servers=False,
    )
    from cme.services.errors import ServiceRefusal
    from engine.errors import EngineError

    expected = (ServiceRefusal, EngineError, problems.RateLimited)
    for exc in (Exception, HTTPException, RequestValidationError, *expected):
        api.add_exception_handler(exc, problems.handle)
    api.include_router(case_router(application, caller))
    api.include_router(report_router(application, caller))
    api.openapi = lambda: document(api)  # type: ignore[method-assign]
    return api


def document(api: FastAPI) -> dict[str, Any]:
    """The OpenAPI document: paths under `/api/v1`, problems as `application/problem+json`."""
    if api.openapi_schema is None:
        schema = get_openapi(
            title=api.title,
            version=api.version,
            openapi_version=api.openapi_version,
            description=api.description,
            routes=api.routes,
        )
        schema["paths"] = {PREFIX + p: item for p, item in schema["paths"].items()}
        for item in schema["paths"].values():
            for operation in item.values():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        response["content"] = {
                            problems.MEDIA_TYPE: content.pop("application/json")
                        }
        api.openapi_schema = schema
    return api.openapi_schema


def mounted(api: FastAPI) -> "Starlette":
    """`api` mounted at `/api/v1` in a bare application (tests; a server of the API alone)."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    # A path the mount cannot match (a newline in it, say) is answered here: as a problem too.
    handlers = {HTTPException: problems.handle}
    return Starlette(routes=[Mount(PREFIX, app=api)], exception_handlers=handlers)


__all__ = ["PREFIX", "create_api", "mounted"]
