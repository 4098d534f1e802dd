"""The web application: `create_app(app)` builds the FastAPI application on a `cme` App.

The App (`cme.bootstrap.build_app`: settings, database, clock, engine) is the same one the CLI
and the scheduler use; every page acts through the application layer (`cme.services`) as the
signed-in `Principal`. Routers live in `cme/web/routes/<name>.py`, each exposing `router`, and
are included here, one line each (`ROUTERS`).
"""

from __future__ import annotations

import logging
import secrets
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from cme.services.errors import IdentityRefused, NotPermitted, ServiceRefusal
from cme.web.auth import SignInRequired, clear_session_cookie
from cme.web.security import CsrfRefused, SecurityHeaders, check_csrf, header_pairs
from cme.web.templating import render
from engine.errors import ActorNotPermitted, CaseNotFound, ConcurrentUpdate, TransitionRefused

if TYPE_CHECKING:
    from cme.bootstrap import App

log = logging.getLogger("cme.web")

STATIC_DIR = Path(__file__).parent / "static"
"""Built by `make assets` (GOV.UK Frontend, MOJ Frontend, cme's own); not committed."""

ROUTERS = (
    "cme.web.routes.signin",
    "cme.web.oidc",
    "cme.web.routes.queue",
    "cme.web.routes.mash",
    "cme.web.routes.manager",
    "cme.web.routes.casework",
    "cme.web.routes.case",  # after the others: `/cases/{ref}` would catch `/cases/<word>`
    "cme.web.routes.audit",
)
"""Each module's `router`, in this order (a helper adding pages adds one line)."""


def create_app(cme: App | None = None) -> FastAPI:
    """The web application on `cme` (default: built from the environment, as the CLI is)."""
    if cme is None:
        from cme.bootstrap import build_app

        cme = build_app()
    web = FastAPI(
        title="cme",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(check_csrf)],
    )
    web.state.cme = cme
    for name in ROUTERS:
        web.include_router(import_module(name).router)
    from cme.api import create_api

    web.mount("/api/v1", create_api(cme))  # the HTTP API: same process, same services
    if not (STATIC_DIR / "govuk").is_dir():
        log.warning("web assets not built (%s): run `make assets`", STATIC_DIR)
    web.mount("/assets", StaticFiles(directory=STATIC_DIR, check_dir=False), name="assets")
    _handlers(web)
    web.add_middleware(SecurityHeaders)
    proxies = cme.settings.web_trusted_proxies
    if proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        web.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies.split(","))
    return web


def error_page(
    request: Request, status: int, title: str, *lines: str, headers: dict[str, str] | None = None
) -> Response:
    """A GOV.UK-style error page (no internals: no trace, no exception text unless given)."""
    response = render(request, "error.html", {"title": title, "lines": lines}, status)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


TITLES = {
    400: "There is a problem with this request",
    401: "Sign in to continue",
    403: "You cannot do this",
    404: "Page not found",
    405: "You cannot do this",
    409: "Someone else changed this case",
}


def _handlers(web: FastAPI) -> None:
    @web.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired) -> Response:
        target = "/sign-in/role" if exc.role_needed else "/sign-in"
        if request.method in ("GET", "HEAD"):
            where = request.url.path
            query = f"?next={quote(where)}" if where not in ("/", "/sign-in") else ""
            if exc.reason == "expired":
                query += ("&" if query else "?") + "expired=1"
            response: Response = RedirectResponse(target + query, status_code=303)
        else:
            response = error_page(
                request,
                401,
                TITLES[401],
                "You are not signed in, or you were signed out because you had not used the "
                "service for a while. Nothing was changed.",
            )
        if not exc.role_needed:
            clear_session_cookie(request, response)
        return response

    @web.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        log.warning("form refused: missing or wrong CSRF token on %s", request.url.path)
        return error_page(
            request,
            403,
            "This form could not be accepted",
            "The form had expired or did not come from this service. Nothing was changed.",
            "Go back, reload the page and try again.",
        )

    @web.exception_handler(NotPermitted)
    async def not_permitted(request: Request, exc: NotPermitted) -> Response:
        return error_page(request, 403, TITLES[403], str(exc), "Nothing was changed.")

    @web.exception_handler(IdentityRefused)
    async def identity_refused(request: Request, exc: IdentityRefused) -> Response:
        return error_page(request, 403, TITLES[403], str(exc), "Nothing was changed.")

    @web.exception_handler(CaseNotFound)
    async def case_not_found(request: Request, exc: CaseNotFound) -> Response:
        return error_page(request, 404, "Case not found", "Check the case reference.")

    @web.exception_handler(ConcurrentUpdate)
    async def concurrent(request: Request, exc: ConcurrentUpdate) -> Response:
        return error_page(request, 409, TITLES[409], str(exc))

    @web.exception_handler(TransitionRefused)
    async def refused_step(request: Request, exc: TransitionRefused) -> Response:
        status = 403 if isinstance(exc, ActorNotPermitted) else 400
        title = TITLES[403] if status == 403 else "This step could not be taken"
        return error_page(request, status, title, str(exc), "Nothing was changed.")

    @web.exception_handler(ServiceRefusal)
    async def refused(request: Request, exc: ServiceRefusal) -> Response:
        return error_page(request, 400, TITLES[400], str(exc), "Nothing was changed.")

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):  # a path no API route matched: a problem
            from cme.api import problems

            return await problems.handle(request, exc)
        status = exc.status_code
        lines = {
            404: ("If you typed the web address, check it is correct.",),
            405: ("This address does not take that kind of request.",),
        }.get(status, (str(exc.detail),) if status < 500 else ())
        return error_page(request, status, TITLES.get(status, "Sorry, there is a problem"), *lines)

    @web.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return error_page(
            request, 400, TITLES[400], "Check the address or the form and try again."
        )

    @web.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("web request failed: %s %s", request.method, request.url.path, exc_info=exc)
        # this handler runs outside the middleware (Starlette's ServerErrorMiddleware is the
        # outermost layer), so the page gets its security headers here
        nonce = getattr(request.state, "csp_nonce", None) or secrets.token_urlsafe(16)
        request.state.csp_nonce = nonce
        headers = dict(header_pairs(nonce, request.url.scheme == "https"))
        try:
            return error_page(
                request,
                500,
                "Sorry, there is a problem with the service",
                "Try again later. What you were doing may not have been saved: check before "
                "trying again.",
                headers=headers,
            )
        except Exception:  # noqa: BLE001 - the page itself failed (e.g. no database): plain text
            from starlette.responses import PlainTextResponse

            return PlainTextResponse(
                "Sorry, there is a problem with the service. Try again later.",
                status_code=500,
                headers=headers,
            )
