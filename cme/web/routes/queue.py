"""My work: the work list of open cases (`cme.services.worklist`), filtered and searched.

GET `/` goes to `/cases`. GET `/cases?tab=&state=&workflow=&school=&assignee=&page=` lists
(the filters name no child, so they may sit in the address; `assignee=-`: nobody's cases);
the search is sent by POST `/cases` (field `search`, with the filters as hidden fields) so its
words (a child's name, a UPN) never appear in an address, a browser's history or an access log.
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
    assignee: str = "",
    page: int = 1,
) -> Response:
    """Open cases, high priority first, then nearest deadline."""
    return _page(request, principal, tab, state, workflow, school, assignee, None, page)


@router.post("/cases")
def search(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    search: Annotated[str, Form()] = "",
    tab: Annotated[str, Form()] = "all",
    state: Annotated[str, Form()] = "",
    workflow: Annotated[str, Form()] = "",
    school: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
) -> Response:
    """The work list searched by name, UPN, case reference or school (the words stay in the
    request body); an empty search shows the list unsearched."""
    words = search.strip() or None
    return _page(request, principal, tab, state, workflow, school, assignee, words, 1)


def _page(
    request: Request,
    principal: Principal,
    tab: str,
    state: str,
    workflow: str,
    school: str,
    assignee: str,
    search: str | None,
    page: int,
) -> Response:
    from cme.services.errors import Refused
    from cme.services.queue import SearchRefused
    from cme.services.worklist import NOT_ASSIGNED, TABS, Tab, WorkQuery, work_page

    app = cme_app(request)
    chosen = cast("Tab", tab)  # checked by the service (Refused, field `tab`)
    query = WorkQuery(
        chosen,
        state or None,
        workflow or None,
        school or None,
        search,
        max(1, page),
        assignee or None,
    )
    errors: list[dict[str, str]] = []
    filters = {"state": state, "workflow": workflow, "school": school, "assignee": assignee}
    try:
        found = work_page(app, principal, query)
    except SearchRefused as refused:
        errors.append({"text": str(refused), "href": "#search"})
        unsearched = WorkQuery(
            chosen, query.state, query.workflow, query.school, assignee=query.assignee
        )
        found = work_page(app, principal, unsearched)
    except Refused as refused:
        errors.append({"text": str(refused), "href": "#filter"})
        found = work_page(app, principal, WorkQuery())
        filters = dict.fromkeys(filters, "")  # the form shows what the list below is
    return render(
        request,
        "queue.html",
        {
            "work": found,
            "tabs": TABS,
            "not_assigned": NOT_ASSIGNED,
            "search": search or "",
            "errors": errors,
            "filters": filters,
        },
        status_code=400 if errors else 200,
    )
