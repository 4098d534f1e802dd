"""The MASH view: escalations awaiting acknowledgement (`cme.services.mash`), and the form
that acknowledges one (POST `/mash/{ref}/acknowledge`, fields `decision` and `version`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from cme.services.principal import Principal
from cme.web.auth import cme_app, current_principal
from cme.web.templating import render

router = APIRouter()


@router.get("/mash")
def mash(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Response:
    """Escalations awaiting MASH's acknowledgement."""
    from cme.services.mash import DECISIONS, awaiting

    items = awaiting(cme_app(request), principal)
    done = request.query_params.get("acknowledged")
    return render(
        request,
        "mash.html",
        {
            "items": items,
            "decisions": DECISIONS,
            "done": done if done and len(done) < 20 else None,
        },
    )


@router.post("/mash/{ref}/acknowledge")
def acknowledge(
    request: Request,
    ref: str,
    principal: Annotated[Principal, Depends(current_principal)],
    decision: Annotated[str, Form()] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    """Acknowledge the escalation as the signed-in MASH officer (and record the decision)."""
    from cme.services.mash import acknowledge
    from cme.web.refs import case_id_of

    case_id = case_id_of(ref)
    app = cme_app(request)
    done = acknowledge(app, principal, case_id, decision or None, version)
    return RedirectResponse(f"/mash?acknowledged={done.view.case.ref}", status_code=303)
