"""Rendering pages: one jinja2 environment (autoescaped), with what every page needs.

`render(request, "page.html", {...})` adds to the context: `request`, `principal` (or None),
`roles` (the account's roles, for the role switcher), `nav` (role-aware links), `csp_nonce`
(the GOV.UK template's inline script), `csrf_token` and the `csrf_field()` macro every form
calls inside its `<form>`, and `service_name`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from cme.web.navigation import items_for
from cme.web.security import CSRF_FIELD, csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"
SERVICE_NAME = "Children missing education"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@pass_context
def csrf_field(context: Any) -> Markup:
    """`{{ csrf_field() }}`: the hidden input carrying the form's CSRF token."""
    request: Request = context["request"]
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, escape(csrf_token(request))
    )


def local_time(moment: datetime) -> str:
    """`Mon 17 Nov 2025, 14:05` in local (Europe/London) time."""
    from engine.clock import LOCAL_ZONE

    here = moment.astimezone(LOCAL_ZONE)
    return f"{here:%a} {here.day} {here:%b %Y, %H:%M}"


templates.env.globals["csrf_field"] = csrf_field
templates.env.filters["local_time"] = local_time
templates.env.globals["service_name"] = SERVICE_NAME


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """The page `name` rendered with `context` and what every page needs."""
    from cme.web.auth import optional_principal

    principal = getattr(request.state, "principal", None)
    if principal is None and "principal" not in (context or {}):
        principal = optional_principal(request)
    full: dict[str, Any] = {
        "principal": principal,
        "roles": getattr(request.state, "roles", ()),
        "nav": items_for(principal.role if principal else None, request.url.path),
        "csp_nonce": getattr(request.state, "csp_nonce", ""),
        "csrf_token": csrf_token(request),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, full, status_code=status_code)
