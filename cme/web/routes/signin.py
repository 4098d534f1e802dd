"""Signing in and out, and choosing a role (`cme.services.signin` does the work).

GET/POST `/sign-in` (fields "Username" and "Password", button "Sign in"), GET/POST
`/sign-in/role` (the role picker, for an account holding several roles), POST `/sign-out`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from cme.web.auth import clear_session_cookie, cme_app, set_session_cookie
from cme.web.security import SESSION_COOKIE
from cme.web.templating import render

router = APIRouter()

HOME = "/cases"


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return HOME
    if value.startswith("/sign-in") or any(ord(c) < 0x20 for c in value):
        return HOME
    return value


@router.get("/sign-in")
def sign_in_form(
    request: Request, next: str | None = None, expired: str | None = None
) -> Response:
    """The sign-in form."""
    notice = (
        "You were signed out because you had not used the service for a while."
        if expired
        else None
    )
    return render(
        request, "sign_in.html", {"next": safe_next(next), "notice": notice, "principal": None}
    )


@router.post("/sign-in")
def sign_in(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the username and password; start a session, or show the form again."""
    from cme.services.signin import SignInRefused, sign_in

    app = cme_app(request)
    errors = []
    if not username.strip():
        errors.append({"text": "Enter your username", "href": "#username", "field": "username"})
    if not password:
        errors.append({"text": "Enter your password", "href": "#password", "field": "password"})
    if not errors:
        try:
            signed = sign_in(app, username, password, "web")
        except SignInRefused as refused:
            errors.append({"text": str(refused), "href": "#username", "field": "username"})
        else:
            target = safe_next(next)
            if signed.role is None:
                target = "/sign-in/role?next=" + target
            response: Response = RedirectResponse(target, status_code=303)
            set_session_cookie(request, response, signed.token)
            return response
    return render(
        request,
        "sign_in.html",
        {"errors": errors, "username": username, "next": safe_next(next), "principal": None},
        status_code=400,
    )


@router.get("/sign-in/role")
def role_form(request: Request, next: str | None = None) -> Response:
    """The role picker: the signed-in account's roles."""
    from cme.services.signin import SessionInvalid, session_state

    try:
        state = session_state(cme_app(request), request.cookies.get(SESSION_COOKIE))
    except SessionInvalid:
        return RedirectResponse("/sign-in", status_code=303)
    return render(
        request,
        "choose_role.html",
        {
            "account_roles": state.account.roles,
            "current": state.session.role,
            "next": safe_next(next),
            "principal": state.principal,
            "roles": state.account.roles,
        },
    )


@router.post("/sign-in/role")
def choose_role(
    request: Request, role: Annotated[str, Form()] = "", next: Annotated[str, Form()] = ""
) -> Response:
    """Act in the role chosen (one of the account's, else refused)."""
    from cme.services.signin import SessionInvalid, choose_role, session_state

    app = cme_app(request)
    token = request.cookies.get(SESSION_COOKIE)
    try:
        state = session_state(app, token)
    except SessionInvalid:
        return RedirectResponse("/sign-in", status_code=303)
    if not role:
        errors = [
            {
                "text": "Select the role you are working in",
                "href": f"#role-{state.account.roles[0]}",
            }
        ]
        return render(
            request,
            "choose_role.html",
            {
                "errors": errors,
                "account_roles": state.account.roles,
                "current": state.session.role,
                "next": safe_next(next),
                "principal": state.principal,
                "roles": state.account.roles,
            },
            status_code=400,
        )
    choose_role(app, token, role)  # RoleNotHeld: a 403 page (cme.web.app)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    """End the session; back to the sign-in page."""
    from cme.services.signin import sign_out

    sign_out(cme_app(request), request.cookies.get(SESSION_COOKIE))
    response: Response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    clear_session_cookie(request, response)
    return response
