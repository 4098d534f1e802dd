"""The case page, `/cases/{ref}` (`CME-000001` or `1`), and its steps' forms.

GET shows the case through `cme.services.case_page` (one logged read). Each step possible now
is a form posting to `/cases/{ref}/steps/{trigger}` with the case's version as read: it is
read back (`cme.web.forms.read_form`) and applied through `cme.services.cases.advance` with
that version, so a case changed meanwhile is refused (409) and nothing is written. A refused
form comes back filled, with an error summary linked to its fields (400); a step applied
redirects to the case page (303) with a confirmation. A role that may not do casework (an
auditor) is refused by the service (403, recorded in the access log) before anything is read
from the form.

Status codes: 200 page; 303 after a step; 400 the form or a rule refused it; 403 the role
may not (a step the scheduler alone takes included: refused and recorded by the service);
404 no such case or step; 409 the case changed since it was read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from cme.services.principal import Principal
from cme.web.auth import cme_app, current_principal
from cme.web.templating import render

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.web.forms import Form
    from engine.definition import TriggerDef

router = APIRouter()
SignedIn = Annotated[Principal, Depends(current_principal)]
"""The signed-in principal (a session, never the request, names the role)."""

NOT_FORM = ("csrf_token", "version")
"""Posted names that are not evidence."""


def case_id_or_404(ref: str) -> int:
    """The case id a path names (`CME-000001` or `1`), or 404 (`cme.web.refs`)."""
    from cme.web.refs import case_id_of

    return case_id_of(ref)


def _page(
    request: Request,
    cme: App,
    principal: Principal,
    case_id: int,
    status: int = 200,
    filled: dict[str, Form] | None = None,
    problem: str | None = None,
) -> Response:
    from fastapi import HTTPException

    from cme.services.case_page import case_page
    from cme.web.case_context import CASE_PAGE_EXTRAS, context
    from engine.errors import CaseNotFound

    try:
        page = case_page(cme, principal, case_id)
    except CaseNotFound:
        raise HTTPException(404) from None
    values: dict[str, Any] = context(page, cme.clock.now(), filled, problem)
    for extra in CASE_PAGE_EXTRAS:
        values.update(extra(cme, principal, case_id))
    values["done"] = request.query_params.get("done")
    values["done_title"] = (
        page.definition.triggers[values["done"]].title
        if values["done"] in page.definition.triggers
        else None
    )
    return render(request, "case/page.html", values, status)


@router.get("/cases/{ref}")
def case_page_view(
    request: Request,
    ref: str,
    principal: SignedIn,
) -> Response:
    """The case page."""
    return _page(request, cme_app(request), principal, case_id_or_404(ref))


@router.post("/cases/{ref}/steps/{trigger}")
async def take_step(
    request: Request,
    ref: str,
    trigger: str,
    principal: SignedIn,
) -> Response:
    """Apply one step from its form, with the version the form was read at."""
    from fastapi import HTTPException

    from cme.services import cases
    from cme.web.forms import build_form, errors_from_refusal, read_form
    from engine.errors import (
        CaseNotFound,
        ConcurrentUpdate,
        EvidenceInvalid,
        GuardsFailed,
        TransitionRefused,
    )

    cme = cme_app(request)
    case_id = case_id_or_404(ref)
    try:  # the role first: an auditor's POST is refused here, recorded, nothing read
        options = cases.advance_options(cme, principal, case_id, trigger)
    except CaseNotFound:
        raise HTTPException(404) from None
    definition = options.definition
    if trigger not in definition.triggers:
        raise HTTPException(404)  # a deadline's step goes on: the service refuses and records it
    step = definition.triggers[trigger]
    form = await request.form()
    posted = [(k, v) for k, v in form.multi_items() if isinstance(v, str) and k not in NOT_FORM]
    version_text = form.get("version")
    if not isinstance(version_text, str) or not version_text.isdigit():
        raise HTTPException(400, "The form did not say which version of the case it showed.")
    read = read_form(step, posted)
    if read.errors:  # every problem at once: the engine's rules judge what could be read
        errors = {**_engine_problems(step, read.evidence, cme.clock.now()), **read.errors}
        refilled = build_form(step, posted, errors)
        return _page(request, cme, principal, case_id, 400, {trigger: refilled})
    try:
        cases.advance(
            cme, principal, case_id, trigger, read.evidence, expected_version=int(version_text)
        )
    except ConcurrentUpdate as exc:
        refilled = build_form(step, posted, general=[_stale(exc)])
        return _page(request, cme, principal, case_id, 409, {trigger: refilled}, _stale(exc))
    except (EvidenceInvalid, GuardsFailed) as exc:
        per_field, general = errors_from_refusal(step, exc)
        refilled = build_form(step, posted, per_field, general)
        return _page(request, cme, principal, case_id, 400, {trigger: refilled})
    except TransitionRefused as exc:  # not possible from this state, or not for this role
        status = 403 if type(exc).__name__ == "ActorNotPermitted" else 409
        refilled = build_form(step, posted, general=[str(exc)])
        return _page(request, cme, principal, case_id, status, {trigger: refilled}, str(exc))
    return RedirectResponse(f"/cases/{options.view.case.ref}?done={trigger}", status_code=303)


def _engine_problems(step: TriggerDef, evidence: dict[str, Any], now: Any) -> dict[str, str]:
    """The engine's own verdict on the fields a form could read (required, the value's rule),
    so a form refused before the engine still lists every problem; nothing is written."""
    from cme.web.forms import errors_from_refusal
    from engine.errors import EvidenceInvalid
    from engine.evidence import parse_evidence

    try:
        parse_evidence(step, evidence, now)
    except EvidenceInvalid as exc:
        return errors_from_refusal(step, exc)[0]
    return {}


def _stale(exc: Exception) -> str:
    return (
        f"{exc} What you entered is still in the form below: check the case as it is now "
        "before sending it again."
    )
