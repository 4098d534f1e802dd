"""The MASH view: escalations awaiting acknowledgement (filled in by step 2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from cme.services.principal import Principal
from cme.web.auth import current_principal
from cme.web.templating import render

router = APIRouter()


@router.get("/mash")
def mash(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Response:
    """Escalations awaiting MASH's acknowledgement."""
    return render(request, "mash.html", {"rows": []})
