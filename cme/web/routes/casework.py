"""Casework pages (issue 15): a referral from a form for either chart, with the duplicate
warning and its "Open anyway" button; notes, assignment and corrections of a case; "My
cases"; the printable letter to parents. Each calls one use case of `cme.services.casework`
or `cme.services.letters` as the signed-in principal; a refused form comes back filled with
an error summary linked to its fields.

GET/POST `/referrals/new`; GET/POST `/cases/{ref}/note`, `/cases/{ref}/assign`,
`/cases/{ref}/correct`; GET `/cases/{ref}/letter`, `/my-cases`, `/letters/letter.css`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from cme.services.principal import Principal
from cme.web.auth import cme_app, current_principal
from cme.web.templating import render

router = APIRouter()
Who = Annotated[Principal, Depends(current_principal)]
WORKFLOWS = {
    "school-referral": "A school reports a missing pupil",
    "out-of-school-referral": "A child not in school (referred by anyone)",
}
DATE_FIELDS = ("child.date_of_birth", "first_absence_date", "leave_end_date")
GENDERS = {"": "Not given", "female": "Female", "male": "Male", "other": "Other",
           "not_known": "Not known"}  # fmt: skip


def field_id(name: str) -> str:
    """A form field's element id: `child.forename` -> `child-forename`."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def _date(form: Any, name: str) -> str:
    parts = [str(form.get(f"{name}-{p}") or "").strip() for p in ("year", "month", "day")]
    if not any(parts):
        return ""
    if all(p.isdigit() for p in parts):
        return f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return "-".join(parts)


def _errors(problems: Any, names: list[str]) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The error summary's items (linked to the first field each names) and each field's
    message."""
    summary: list[dict[str, str]] = []
    by_field: dict[str, str] = {}
    for p in problems:
        field = re.sub(r"\[\d+\]$", "", p.field)
        target = next((n for n in names if n == field or n.startswith(field + ".")), None)
        text = f"{field.replace('_', ' ').replace('.', ' ')}: {p.rule}"
        if target is not None:
            by_field.setdefault(target, text)
        summary.append({"text": text, "href": "#" + field_id(target or names[0])})
    return summary, by_field


# --- a referral -------------------------------------------------------------------------------
@router.get("/referrals/new")
def new_referral(request: Request, principal: Who, workflow: str = "school-referral") -> Response:
    """The referral form (either chart)."""
    from cme.services.permissions import authorize

    authorize(cme_app(request), principal, "case.open")
    chosen = workflow if workflow in WORKFLOWS else "school-referral"
    return _referral_page(request, chosen, {}, [], {}, None)


@router.post("/referrals/new")
async def post_referral(request: Request, principal: Who) -> Response:
    """Open the case; a refusal brings the form back filled; possible duplicates bring it
    back with the matches and an "Open anyway" button."""
    from cme.services import casework
    from cme.services.referral_form import LIST_FIELDS, REFERRAL_FIELDS, referral_from_fields
    from engine.errors import OpeningRefused

    form = await request.form()
    workflow = str(form.get("workflow") or "")
    values: dict[str, Any] = {}
    for f in REFERRAL_FIELDS:
        if f.name in DATE_FIELDS:
            values[f.name] = _date(form, f.name)
            for part in ("day", "month", "year"):
                values[f"{f.name}-{part}"] = str(form.get(f"{f.name}-{part}") or "")
        elif f.name == "risk_flags":
            values[f.name] = [str(v) for v in form.getlist("risk_flags")]
        else:
            values[f.name] = str(form.get(f.name) or "")
    names = [f.name for f in REFERRAL_FIELDS]
    if workflow not in WORKFLOWS:
        error = {"text": "Choose the kind of referral", "href": "#workflow"}
        return _referral_page(request, "", values, [error], {}, None, 400)
    fields = {
        k: v for k, v in values.items() if k in names and (v or k in LIST_FIELDS) and v != []
    }
    app = cme_app(request)
    try:
        opened = casework.open_referral(
            app, principal, workflow, referral_from_fields(fields), form.get("open_anyway") == "1"
        )
    except OpeningRefused as refused:
        summary, by_field = _errors(refused.problems, names)
        return _referral_page(request, workflow, values, summary, by_field, None, 400)
    except casework.PossibleDuplicate as duplicate:
        return _referral_page(request, workflow, values, [], {}, duplicate.matches, 409)
    return RedirectResponse(f"/cases/{opened.view.case.ref}", status_code=303)


def _referral_page(
    request: Request,
    workflow: str,
    values: dict[str, Any],
    errors: list[dict[str, str]],
    by_field: dict[str, str],
    matches: Any,
    status: int = 200,
) -> Response:
    from cme.services.referral_form import REFERRAL_FIELDS
    from workflows.triage import RISK_FLAGS

    return render(
        request,
        "casework/referral.html",
        {
            "workflow": workflow,
            "workflows": WORKFLOWS,
            "fields": {f.name: f for f in REFERRAL_FIELDS},
            "values": values,
            "errors": errors,
            "field_errors": by_field,
            "matches": matches,
            "risk_flags": RISK_FLAGS,
            "genders": GENDERS,
            "field_id": field_id,
        },
        status,
    )


# --- one case: note, assign, correct, letter --------------------------------------------------
def _case(request: Request, principal: Principal, ref: str) -> Any:
    from cme.services.cases import show
    from cme.web.refs import case_id_of

    return show(cme_app(request), principal, case_id_of(ref))


def _version(form: Any) -> int | None:
    text = str(form.get("version") or "")
    return int(text) if text.isdigit() else None


@router.get("/cases/{ref}/note")
def note_form(request: Request, ref: str, principal: Who) -> Response:
    """The form that adds a note."""
    view = _case(request, principal, ref)
    return render(request, "casework/note.html", {"view": view, "text": "", "errors": []})


@router.post("/cases/{ref}/note")
async def post_note(request: Request, ref: str, principal: Who) -> Response:
    """Add the note (any state); an empty one comes back with the error."""
    from cme.services import casework
    from cme.services.errors import Refused
    from cme.web.refs import case_id_of

    form = await request.form()
    text = str(form.get("text") or "")
    case_id = case_id_of(ref)
    try:
        casework.add_note(cme_app(request), principal, case_id, text, _version(form))
    except Refused as refused:
        view = _case(request, principal, ref)
        error = {"text": "Note: " + str(refused).removeprefix("text: "), "href": "#text"}
        return render(
            request, "casework/note.html", {"view": view, "text": text, "errors": [error]}, 400
        )
    return RedirectResponse(f"/cases/{ref}#notes", status_code=303)


@router.get("/cases/{ref}/assign")
def assign_form(request: Request, ref: str, principal: Who) -> Response:
    """The form that assigns the case."""
    view = _case(request, principal, ref)
    return render(request, "casework/assign.html", _assign_context(request, view, "", []))


def _assign_context(request: Request, view: Any, to: str, errors: list[Any]) -> dict[str, Any]:
    from cme.services.casework import ASSIGNABLE_ROLES
    from storage.accounts import all_accounts

    people = [
        a.name
        for a in all_accounts(cme_app(request).db)
        if not a.disabled and set(a.roles) & set(ASSIGNABLE_ROLES)
    ]
    return {"view": view, "to": to, "people": people, "errors": errors}


@router.post("/cases/{ref}/assign")
async def post_assign(request: Request, ref: str, principal: Who) -> Response:
    """Assign (or, with `to` empty and `unassign`, take back) the case."""
    from cme.services import casework
    from cme.services.errors import Refused
    from cme.web.refs import case_id_of

    form = await request.form()
    to = str(form.get("to") or "").strip()
    unassign = form.get("unassign") == "1"
    try:
        casework.assign(
            cme_app(request), principal, case_id_of(ref), None if unassign else to, _version(form)
        )
    except Refused as refused:
        view = _case(request, principal, ref)
        error = {"text": "Assign to: " + str(refused).removeprefix("to: "), "href": "#to"}
        context = _assign_context(request, view, to, [error])
        return render(request, "casework/assign.html", context, 400)
    return RedirectResponse(f"/cases/{ref}", status_code=303)


@router.get("/cases/{ref}/correct")
def correct_form(request: Request, ref: str, principal: Who) -> Response:
    """The form that corrects the child's or the referral's details (filled as they are)."""
    view = _case(request, principal, ref)
    return render(request, "casework/correct.html", _correct_context(view, None, [], {}))


def _current(view: Any) -> dict[str, str]:
    from cme.services.referral_form import CORRECTABLE

    facts = view.case.facts
    child = view.child
    values: dict[str, str] = {}
    for name in CORRECTABLE:
        node: Any = {"child": _child_details(view), **facts}
        for part in name.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, list):
            node = "\n".join(str(n) for n in node)
        values[name] = "" if node is None else str(node)
    del child
    return values


def _child_details(view: Any) -> dict[str, Any]:
    c = view.child
    if c is None:
        return {}
    return {
        "forename": c.forename,
        "surname": c.surname,
        "date_of_birth": c.date_of_birth,
        "upn": c.upn,
    }


def _correct_context(
    view: Any, values: dict[str, str] | None, errors: list[Any], by_field: dict[str, str]
) -> dict[str, Any]:
    from cme.services.referral_form import CORRECTABLE, REFERRAL_FIELDS

    labels = {f.name: f.label for f in REFERRAL_FIELDS}
    return {
        "view": view,
        "names": CORRECTABLE,
        "labels": labels,
        "multiline": {"reason", "notes", "parents", "siblings"},
        "values": values if values is not None else _current(view),
        "errors": errors,
        "field_errors": by_field,
        "field_id": field_id,
    }


@router.post("/cases/{ref}/correct")
async def post_correct(request: Request, ref: str, principal: Who) -> Response:
    """Record the fields changed, before and after, with the reason (required)."""
    from cme.services import casework
    from cme.services.errors import Refused
    from cme.services.referral_form import CORRECTABLE, correction_from_fields
    from cme.web.refs import case_id_of
    from engine.errors import OpeningRefused

    form = await request.form()
    view = _case(request, principal, ref)
    current = _current(view)
    posted = {n: str(form.get(n) or "") for n in CORRECTABLE if n in form}  # absent: unchanged
    changed = {n: v for n, v in posted.items() if v.strip() != current.get(n, "").strip()}
    reason = str(form.get("correction_reason") or "")
    child, facts = correction_from_fields(changed)
    names = ["correction_reason", *CORRECTABLE]
    try:
        casework.correct(
            cme_app(request), principal, case_id_of(ref), child, facts, reason, _version(form)
        )
    except OpeningRefused as refused:
        problems = [
            type(p)("correction_reason" if p.field == "reason" else _form_name(p.field), p.rule)
            for p in refused.problems
        ]
        summary, by_field = _errors(problems, names)
        shown = {**current, **posted, "correction_reason": reason}
        context = _correct_context(view, shown, summary, by_field)
        return render(request, "casework/correct.html", context, 400)
    except Refused as refused:
        error = {"text": str(refused), "href": "#correction-reason"}
        shown = {**current, **posted, "correction_reason": reason}
        context = _correct_context(view, shown, [error], {})
        return render(request, "casework/correct.html", context, 400)
    return RedirectResponse(f"/cases/{ref}", status_code=303)


def _form_name(field: str) -> str:
    """A correction problem's field as the form names it (`facts.reason` -> `reason`)."""
    return field.removeprefix("facts.")


@router.get("/cases/{ref}/letter")
def letter(request: Request, ref: str, principal: Who) -> Response:
    """The letter to the parents, with its print stylesheet."""
    from markupsafe import Markup

    from cme.services.letters import parent_letter
    from cme.web.refs import case_id_of

    found = parent_letter(cme_app(request), principal, case_id_of(ref))
    return render(
        request,
        "casework/letter.html",
        {"ref": found.ref, "letter": Markup(found.body)},  # noqa: S704 - autoescaped template
    )


@router.get("/letters/letter.css")
def letter_css() -> Response:
    """The letter's stylesheet (screen and print)."""
    from notifications.parent_letter import PRINT_CSS

    return Response(PRINT_CSS.read_text(encoding="utf-8"), media_type="text/css")


@router.get("/my-cases")
def my_cases(request: Request, principal: Who) -> Response:
    """The open cases assigned to the signed-in person."""
    from cme.services.queue import QueueFilter, queue

    rows = queue(cme_app(request), principal, QueueFilter(mine=True, limit=200))
    return render(request, "casework/my_cases.html", {"rows": rows})
