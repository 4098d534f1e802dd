"""My work: the queue of open cases (`cme.services.queue`), filtered and searched.

GET `/` goes to `/cases`. GET `/cases` lists; the search is sent by POST `/cases` so its
words (a child's name, a UPN) never appear in an address, a browser's history or an access log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from cme.services.principal import Principal
from cme.web.auth import cme_app, current_principal
from cme.web.templating import render

router = APIRouter()


@router.get("/")
def home() -> Response:
    """The front page is the queue."""
    return RedirectResponse("/cases", status_code=303)


@router.get("/cases")
def cases(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Response:
    """Open cases, high risk first, then nearest deadline."""
    return _page(request, principal, None)


@router.post("/cases")
def search(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    search: Annotated[str, Form()] = "",
) -> Response:
    """The queue searched by name, UPN, case reference or school (the words stay in the
    request body)."""
    return _page(request, principal, search)


def _page(request: Request, principal: Principal, search: str | None) -> Response:
    from cme.services.queue import QueueFilter, SearchRefused, queue

    app = cme_app(request)
    errors = []
    try:
        entries = queue(app, principal, QueueFilter(search=search or None))
    except SearchRefused as refused:
        errors.append({"text": str(refused), "href": "#search"})
        entries = []
    return render(
        request, "queue.html", {"entries": entries, "search": search or "", "errors": errors}
    )
