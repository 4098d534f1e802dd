"""The manager's view: open cases by state and how many are overdue
(`cme.services.manager`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from cme.services.principal import Principal
from cme.web.auth import cme_app, current_principal
from cme.web.templating import render

router = APIRouter()


@router.get("/manager")
def manager(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Response:
    """Open cases by state, and how many are overdue."""
    from cme.services.manager import overview

    return render(request, "manager.html", {"overview": overview(cme_app(request), principal)})
