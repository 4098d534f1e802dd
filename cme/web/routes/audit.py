"""Auditors' views of one case, read-only: its history (`/cases/{ref}/history`), the case
replayed as of a moment (`/cases/{ref}/replay?day=&month=&year=&time=`), its chain verified
(`/cases/{ref}/verify`), its access log (`/cases/{ref}/access`) and its export
(`/cases/{ref}/export`, a JSON Lines download, signed when an audit key is configured).

Every view is a GET through one service (`cme.services.replay`, `.audit_views`, `.export`),
which keeps the read in the access log. None of them changes anything; none takes a POST
(405), and the case page's steps refuse a role that may not do casework (403).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.responses import Response

from cme.services.principal import Principal
from cme.web.auth import cme_app, current_principal
from cme.web.routes.case import case_id_or_404
from cme.web.templating import render

if TYPE_CHECKING:
    from cme.bootstrap import App
    from engine.ports import CaseRecord

router = APIRouter()
SignedIn = Annotated[Principal, Depends(current_principal)]
"""The signed-in principal (a session, never the request, names the role)."""


def _case(cme: App, case_id: int) -> CaseRecord:
    """The case (no access-log row: the view's service keeps the read), or 404."""
    from cme.services.cases import read
    from engine.errors import CaseNotFound

    try:
        return read(cme, case_id).case
    except CaseNotFound:
        raise HTTPException(404) from None


@router.get("/cases/{ref}/history")
def history_view(request: Request, ref: str, principal: SignedIn) -> Response:
    """Who did what, when, with what evidence: every event, oldest first."""
    from cme.services.replay import history
    from cme.web.case_context import evidence_items
    from cme.web.wording import moment_words

    cme = cme_app(request)
    case = _case(cme, case_id_or_404(ref))
    found = history(cme, principal, case.id)
    definition = cme.registry.compiled(case.definition_hash).definition
    recorded = {
        r.seq: r.items for r in evidence_items(definition, found.events, newest_first=False)
    }
    events = [
        {
            "seq": e.seq,
            "title": _title(definition, e.trigger),
            "from": _state(definition, e.from_state),
            "to": _state(definition, e.to_state),
            "actor": e.actor,
            "role": e.role,
            "at": e.at,
            "when": moment_words(e.at),
            "evidence": recorded.get(e.seq, ()),
            "hash": e.hash,
        }
        for e in found.events
    ]
    return render(
        request, "audit/history.html", {"case": case, "events": events, "active": "history"}
    )


def _title(definition: Any, trigger: str) -> str:
    found = definition.triggers.get(trigger)
    return str(found.title) if found else trigger.replace("_", " ").capitalize()


def _state(definition: Any, state: str | None) -> str | None:
    found = definition.states.get(state) if state else None
    return str(found.title) if found else state


def moment_of(params: dict[str, str]) -> tuple[datetime | None, str | None]:
    """The moment a replay form asks for (local date and time; None: now), or the problem."""
    from cme.web.forms import DATE_PARTS, PartMissing, date_text, time_text
    from engine.clock import LOCAL_ZONE

    parts = [params.get(p, "").strip() for p in DATE_PARTS]
    clock = params.get("time", "").strip()
    if not any(parts) and not clock:
        return None, None
    try:
        day = date_text("The moment", parts)
        text = time_text("The moment", clock or "23:59", day)
    except PartMissing as exc:
        return None, str(exc)
    if day is None:  # a time alone: time_text has refused it already
        return None, "The moment must include the date as well as the time"
    try:
        local = datetime.fromisoformat(f"{day}T{text}").replace(tzinfo=LOCAL_ZONE)
    except ValueError:
        return None, "The moment must be a real date, for example 27 3 2026"
    return local.astimezone(UTC), None


@router.get("/cases/{ref}/replay")
def replay_view(request: Request, ref: str, principal: SignedIn) -> Response:
    """The case as it stood at a moment: state, deadlines, facts, events known then."""
    from cme.services.replay import replay
    from cme.web.case_context import facts_rows
    from cme.web.wording import moment_words
    from engine.evidence import parse_utc

    cme = cme_app(request)
    case = _case(cme, case_id_or_404(ref))
    params = dict(request.query_params.items())
    moment, problem = moment_of(params)
    context: dict[str, Any] = {"case": case, "active": "replay", "params": params}
    if problem:
        context["problem"] = problem
        return render(request, "audit/replay.html", context, 400)
    if moment is not None and moment < case.opened_at:
        context["problem"] = (
            f"The case was opened on {moment_words(case.opened_at)}: choose a moment after that"
        )
        return render(request, "audit/replay.html", context, 400)
    detail = moment.isoformat() if moment else ""
    result = replay(cme, principal, case.id, moment, detail).as_json()
    definition = cme.registry.compiled(result["definition_version"]).definition
    context.update(
        {
            "result": result,
            "facts": facts_rows(result["facts"] or {}),
            "pending": [
                {**d, "when": moment_words(parse_utc(d["due_at"]))} for d in result["deadlines"]
            ],
            "moment": moment_words(moment) if moment else "now",
            "state_title": definition.states[result["state"]].title
            if result["state"] in definition.states
            else result["state"],
        }
    )
    return render(request, "audit/replay.html", context)


@router.get("/cases/{ref}/verify")
def verify_view(request: Request, ref: str, principal: SignedIn) -> Response:
    """The case's hash chain and the latest signed checkpoint, verified."""
    from cme import audit_keys
    from cme.services.audit_views import verify_case
    from cme.services.verify import link_json

    cme = cme_app(request)
    case = _case(cme, case_id_or_404(ref))
    settings = cme.settings

    def public_key() -> Any:
        try:
            return audit_keys.load_public_key(
                settings.audit_key_file, settings.audit_public_key_file
            )
        except audit_keys.BadKey:
            return None

    report = verify_case(cme, principal, case.id, public_key)
    context = {
        "case": case,
        "active": "verify",
        "report": report.as_json(),
        "broken": [link_json(b) for b in report.broken],
    }
    return render(request, "audit/verify.html", context)


@router.get("/cases/{ref}/access")
def access_view(request: Request, ref: str, principal: SignedIn) -> Response:
    """Who read the case, and who was refused."""
    from cme.services.audit_views import access_entries

    cme = cme_app(request)
    case = _case(cme, case_id_or_404(ref))
    rows = access_entries(cme, principal, case.id)
    return render(request, "audit/access.html", {"case": case, "active": "access", "rows": rows})


@router.get("/cases/{ref}/export")
def export_download(request: Request, ref: str, principal: SignedIn) -> Response:
    """The case's export (JSON Lines), as a download."""
    from cme import audit_keys
    from cme.services.export import export

    cme = cme_app(request)
    case = _case(cme, case_id_or_404(ref))
    try:
        private = audit_keys.load_private_key(cme.settings.audit_key_file)
    except audit_keys.BadKey:
        private = None
    chunks: list[bytes] = []
    name = f"{case.ref}.jsonl"
    export(cme, principal, case.id, private, chunks.append, f"web download {name}")
    return Response(
        b"".join(chunks),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
