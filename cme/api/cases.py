"""The case routes of the HTTP API: open, queue, show, actions, advance, history, replay.

Each parses its input, calls one service (`cme.services`), and answers with the read model's
JSON (what `cme ... --json` prints). POSTs honour `Idempotency-Key`
(`cme.services.idempotency`).
"""

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from starlette.responses import Response

from cme.api import schemas
from cme.api.problems import MEDIA_TYPE, problem_for
from cme.services.errors import Refused
from cme.services.idempotency import Answer, fingerprint, once
from cme.services.principal import Principal

if TYPE_CHECKING:
    from cme.bootstrap import App

ID_PATTERN = r"^(?:[Cc][Mm][Ee]-?)?[0-9]{1,18}$"
CaseRef = Annotated[
    str,
    Path(
        pattern=ID_PATTERN,
        description="The case's id (`42`) or reference (`CME-000042`).",
        examples=["CME-000001"],
    ),
]
Trigger = Annotated[
    str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="The step (see `/actions`).")
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Retrying with the same key returns the first response and does nothing "
        "twice (kept 24 hours).",
    ),
]


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented problem responses (401 and 429 on every route)."""
    words = {
        400: "The body is not JSON.",
        401: "No bearer token, or one unknown, expired or revoked.",
        403: "The token's role may not do this.",
        404: "No such case.",
        409: "The case changed since read (who, and its version now), or the step is not "
        "possible now.",
        422: "A field breaks its rule (each named, with the rule).",
        429: "Too many requests for this token: see Retry-After.",
        501: "This server cannot build that yet.",
    }
    return {c: {"model": schemas.Problem, "description": words[c]} for c in (401, 429, *codes)}


def case_id(ref: str) -> int:
    """`42`, `CME-000042` or `cme42` -> 42, by the application layer's one parser
    (`cme.services.refs.parse_case_ref`; the path's pattern has checked the shape).

    Raises:
        CaseNotFound: past the largest id a case can have (never sent to the database).
    """
    from cme.services.refs import BadCaseReference, parse_case_ref
    from engine.errors import CaseNotFound

    try:
        return parse_case_ref(ref, "id")
    except BadCaseReference:
        raise CaseNotFound(int(re.sub(r"^[Cc][Mm][Ee]-?", "", ref) or 0)) from None


def as_json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response as `cme --json` prints (values it cannot encode as text)."""
    text = json.dumps(body, default=str, ensure_ascii=False)
    media = MEDIA_TYPE if status >= 400 else "application/json"
    return Response(text, status, headers=headers, media_type=media)


def _answer(act: Callable[[], Answer]) -> Answer:
    """`act`'s answer, or the problem a refusal it raises is answered with."""
    try:
        return act()
    except Exception as exc:
        found = problem_for(exc)
        if found is None:
            raise
        return Answer(found.status, found.body())


def case_router(application: "App", caller: Callable[..., Principal]) -> APIRouter:
    """The case routes, acting on `application` as the principal `caller` establishes."""
    from cme.services import cases, casework, queue, replay

    router = APIRouter(tags=["cases"])
    Caller = Annotated[Principal, Depends(caller)]  # noqa: N806 - a type

    def post(
        request: Request,
        principal: Principal,
        key: str | None,
        body: Any,
        act: Callable[[], Answer],
    ) -> Response:
        if key is None:
            answer = _answer(act)
        else:
            request_id = fingerprint(request.method, request.url.path, body)
            answer = once(application, principal, key, request_id, lambda: _answer(act))
        headers = {"Idempotency-Replayed": "true"} if answer.replayed else None
        return as_json(answer.status, answer.body, headers)

    @router.post(
        "/cases",
        status_code=201,
        response_model=None,
        summary="Open a case from a referral",
        responses={201: {"model": schemas.Case}, **problems(400, 403, 409, 422)},
    )
    def open_case(
        body: schemas.OpenCase, request: Request, principal: Caller, key: IdempotencyKey = None
    ) -> Response:
        def act() -> Answer:
            from engine.errors import DefinitionError

            try:
                opened = casework.open_referral(
                    application, principal, body.workflow, body.referral, body.open_anyway
                )
            except DefinitionError as exc:
                raise Refused(str(exc), "UnknownWorkflow", field="workflow") from None
            return Answer(201, opened.view.as_json())

        return post(request, principal, key, body.model_dump(mode="json"), act)

    @router.get(
        "/cases",
        response_model=None,
        summary="The queue: high priority first, then oldest",
        responses={200: {"model": list[schemas.QueueEntry]}, **problems(422)},
    )
    def list_cases(
        principal: Caller,
        state: Annotated[str | None, Query(max_length=64)] = None,
        closed: Annotated[bool, Query(description="Include closed cases.")] = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        search: Annotated[
            str | None,
            Query(
                max_length=200,
                description="The child's name, UPN, case reference or school (never logged).",
            ),
        ] = None,
    ) -> Response:
        wanted = queue.QueueFilter(state=state, include_closed=closed, limit=limit, search=search)
        return as_json(200, [e.as_json() for e in queue.queue(application, principal, wanted)])

    @router.get(
        "/cases/{id}",
        response_model=None,
        summary="A case, as `cme case show --json` prints it",
        responses={200: {"model": schemas.CaseDetail}, **problems(404, 422)},
    )
    def show(id: CaseRef, principal: Caller) -> Response:
        return as_json(200, cases.show(application, principal, case_id(id)).detail_json())

    @router.get(
        "/cases/{id}/actions",
        response_model=None,
        summary="The steps possible now, their evidence, and what blocks them",
        responses={200: {"model": list[schemas.Action]}, **problems(404, 422)},
    )
    def actions(id: CaseRef, principal: Caller) -> Response:
        from cme.services.views import action_json

        found = cases.actions(application, principal, case_id(id), for_role=True)
        return as_json(200, [action_json(a) for a in found])

    @router.post(
        "/cases/{id}/actions/{trigger}",
        response_model=None,
        summary="Take a step, with its evidence and the version read",
        responses={200: {"model": schemas.Advanced}, **problems(400, 403, 404, 409, 422)},
    )
    def advance(
        id: CaseRef,
        trigger: Trigger,
        body: schemas.Advance,
        request: Request,
        principal: Caller,
        key: IdempotencyKey = None,
    ) -> Response:
        def act() -> Answer:
            done = cases.advance(
                application, principal, case_id(id), trigger, body.evidence, body.version
            )
            return Answer(200, done.as_json())

        return post(request, principal, key, body.model_dump(mode="json"), act)

    @router.get(
        "/cases/{id}/history",
        response_model=None,
        summary="The case's events, as `cme audit history --json` lists them",
        responses={200: {"model": list[schemas.Event]}, **problems(404, 422)},
    )
    def history(id: CaseRef, principal: Caller) -> Response:
        return as_json(200, replay.history(application, principal, case_id(id)).as_json())

    @router.get(
        "/cases/{id}/replay",
        response_model=None,
        summary="The case rebuilt from its events as it stood at a moment",
        responses={200: {"model": schemas.Replay}, **problems(404, 422)},
    )
    def replay_case(
        id: CaseRef,
        principal: Caller,
        as_of: Annotated[
            str | None,
            Query(
                max_length=64,
                description="ISO date-time (local time unless it has an offset); none: now.",
                examples=["2025-11-10T09:00"],
            ),
        ] = None,
    ) -> Response:
        moment = _moment(as_of)
        found = replay.replay(application, principal, case_id(id), moment, as_of or "")
        return as_json(200, found.as_json())

    return router


def _moment(text: str | None) -> datetime | None:
    """`as_of` as the CLI's `--as-of` reads it."""
    from engine.clock import LOCAL_ZONE

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_ZONE)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Refused(
            "as_of: expected an ISO date-time within the calendar, e.g. 2025-11-10T09:00 "
            "(local time unless it has an offset)",
            "BadInput",
            field="as_of",
            rule="an ISO date-time, e.g. 2025-11-10T09:00",
        ) from None
