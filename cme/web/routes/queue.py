"""My work: the work list of open cases (`cme.services.worklist`), filtered and searched.

GET `/` goes to `/cases`. GET `/cases?tab=&state=&workflow=&school=&page=` lists (the filters
name no one, so they may sit in the address); the search is sent by POST `/cases` (field
`search`, with the filters as hidden fields) so its words (a child's name, a UPN) never appear
in an address, a browser's history or an access log.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from cme.services.principal import Principal
from cme.web.auth import cme_app, current_principal
from cme.web.templating import render

router = APIRouter()


@router.get("/")
def home() -> Response:
    """The front page is the work list."""
    return RedirectResponse("/cases", status_code=303)


@router.get("/cases")
def cases(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    tab: str = "all",
    state: str = "",
    workflow: str = "",
    school: str = "",
    page: int = 1,
) -> Response:
    """Open cases, high priority first, then nearest deadline."""
    return _page(request, principal, tab, state, workflow, school, None, page)


@router.post("/cases")
def search(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    search: Annotated[str, Form()] = "",
    tab: Annotated[str, Form()] = "all",
    state: Annotated[str, Form()] = "",
    workflow: Annotated[str, Form()] = "",
    school: Annotated[str, Form()] = "",
) -> Response:
    """The work list searched by name, UPN, case reference or school (the words stay in the
    request body); an empty search shows the list unsearched."""
    return _page(request, principal, tab, state, workflow, school, search.strip() or None, 1)


def _page(
    request: Request,
    principal: Principal,
    tab: str,
    state: str,
    workflow: str,
    school: str,
    search: str | None,
    page: int,
) -> Response:
    from cme.services.errors import Refused
    from cme.services.queue import SearchRefused
    from cme.services.worklist import TABS, Tab, WorkQuery, work_page

    app = cme_app(request)
    chosen = cast("Tab", tab)  # checked by the service (Refused, field `tab`)
    query = WorkQuery(
        chosen, state or None, workflow or None, school or None, search, max(1, page)
    )
    errors: list[dict[str, str]] = []
    try:
        found = work_page(app, principal, query)
    except SearchRefused as refused:
        errors.append({"text": str(refused), "href": "#search"})
        unsearched = WorkQuery(chosen, query.state, query.workflow, query.school)
        found = work_page(app, principal, unsearched)
    except Refused as refused:
        errors.append({"text": str(refused), "href": "#filter"})
        found = work_page(app, principal, WorkQuery())
    return render(
        request,
        "queue.html",
        {
            "work": found,
            "tabs": TABS,
            "search": search or "",
            "errors": errors,
            "filters": {"state": state, "workflow": workflow, "school": school},
        },
        status_code=400 if errors else 200,
    )
