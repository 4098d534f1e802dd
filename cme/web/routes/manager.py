"""The manager's view: counts by state and overdue (filled in by step 2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from cme.services.principal import Principal
from cme.web.auth import current_principal
from cme.web.templating import render

router = APIRouter()


@router.get("/manager")
def manager(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Response:
    """Open cases by state, and how many are overdue."""
    return render(request, "manager.html", {"rows": []})
