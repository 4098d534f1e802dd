"""Who is signed in: FastAPI dependencies every router uses.

- `current_principal` (use as `principal: Principal = Depends(current_principal)`): the
  signed-in account's `Principal(who, role, door="web", account=...)`. The role is the session's
  (the account's only role, or the one chosen on the role picker among the account's roles);
  nothing in the request can name another. With no live session, `SignInRequired` (the app
  answers it with a redirect to the sign-in page, or 401 for a non-GET request).
- `optional_principal`: the same, or None (pages shown signed in or not, like errors).
- `cme_app`: the `cme.bootstrap.App` the web application was built with (settings, database,
  clock, engine).

The session cookie (`cme_session`) holds a random token; the database keeps only its hash
(`cme.services.signin`). It is HttpOnly, SameSite=Lax, and Secure when the request came over
HTTPS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request, Response

from cme.services.principal import Principal
from cme.web.security import SESSION_COOKIE

if TYPE_CHECKING:
    from cme.bootstrap import App


class SignInRequired(Exception):
    """No live session (none, ended, idle too long): `reason` as `SessionInvalid` says."""

    def __init__(self, reason: str = "none", role_needed: bool = False) -> None:
        self.reason, self.role_needed = reason, role_needed
        super().__init__(reason)


def cme_app(request: Request) -> App:
    """The application the web pages act through."""
    found: App = request.app.state.cme
    return found


def _token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def current_principal(request: Request) -> Principal:
    """The signed-in principal (cached for the request).

    Raises:
        SignInRequired: no live session, or no role chosen yet.
    """
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    from cme.services.signin import SessionInvalid, session_state

    try:
        state = session_state(cme_app(request), _token(request))
    except SessionInvalid as exc:
        raise SignInRequired(exc.reason) from None
    principal = state.principal
    if principal is None:
        raise SignInRequired("none", role_needed=True)
    request.state.principal = principal
    request.state.roles = state.account.roles
    return principal


def optional_principal(request: Request) -> Principal | None:
    """The signed-in principal, or None."""
    try:
        return current_principal(request)
    except SignInRequired:
        return None


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """Hand a new session's token to the browser."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    """Forget the session's token in the browser."""
    response.delete_cookie(
        SESSION_COOKIE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
