"""Errors as RFC 9457 problem details (`application/problem+json`), one mapping for every
refusal the application layer and the engine raise on purpose.

    401 TokenRefused (WWW-Authenticate: Bearer)   403 NotPermitted, other identity refusals,
    the engine's ActorNotPermitted                 404 CaseNotFound, an unknown path or report
    409 ConcurrentUpdate (who changed the case, its version now), a step not possible from the
    state, rules that block it, a clock that cannot pause or resume, an Idempotency-Key in use
    422 bad evidence or referral, a bad query or body, a search refused (each: field and rule)
    429 RateLimited (Retry-After)                   503 the database schema is not this code's

Every problem has `type` (`urn:cme:problem:KIND`), `title`, `status`, `detail` and `kind`
(the name `cme ... --json` gives the same refusal); 422s list `errors` (`field`, `rule`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"


class RateLimited(Exception):
    """A token sent more requests than its rate allows; `retry_after` in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many requests: retry after {retry_after} seconds")


@dataclass
class Problem:
    """One problem document and the headers that go with it."""

    status: int
    kind: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The JSON document."""
        slug = re.sub(r"(?<!^)(?=[A-Z])", "-", self.kind).lower().replace("_", "-")
        return {
            "type": f"urn:cme:problem:{slug}",
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
            "detail": self.detail,
            "kind": self.kind,
            **self.extra,
        }

    def response(self) -> JSONResponse:
        """The HTTP response."""
        return JSONResponse(self.body(), self.status, headers=self.headers, media_type=MEDIA_TYPE)


def _errors(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"errors": [{"field": f, "rule": r} for f, r in pairs]}


def problem_for(exc: BaseException) -> Problem | None:
    """The problem an expected refusal is answered with (None: not one of them)."""
    from cme.bootstrap import SchemaError
    from cme.services.errors import IdentityRefused, NotPermitted, Refused, ServiceRefusal
    from cme.services.tokens import TokenRefused
    from engine.errors import (
        ActorNotPermitted,
        CaseNotFound,
        ClockRefused,
        ConcurrentUpdate,
        EvidenceInvalid,
        GuardsFailed,
        OpeningRefused,
        StoredValueInvalid,
        TransitionRefused,
        TriggerNotAvailable,
        ValueRefused,
    )

    if isinstance(exc, RateLimited):
        return Problem(429, "RateLimited", str(exc), headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, TokenRefused):
        header = 'Bearer realm="cme"'
        if exc.reason != "no bearer token (send `Authorization: Bearer TOKEN`)":
            header += ', error="invalid_token"'
        return Problem(401, exc.kind, str(exc), exc.details(), {"WWW-Authenticate": header})
    if isinstance(exc, NotPermitted | IdentityRefused):
        return Problem(403, exc.kind, str(exc), exc.details())
    if isinstance(exc, ActorNotPermitted):
        denied: dict[str, Any] = {"role": exc.role, "allowed": list(exc.allowed)}
        return Problem(403, "ActorNotPermitted", str(exc), denied)
    if isinstance(exc, CaseNotFound):
        return Problem(404, "CaseNotFound", str(exc), {"case_id": exc.case_id})
    if isinstance(exc, ConcurrentUpdate):
        extra: dict[str, Any] = {
            "case": exc.case_ref,
            "your_version": exc.expected,
            "current_version": exc.found,
            "changed_by": exc.by or None,
            "change": exc.what or None,
        }
        return Problem(409, "ConcurrentUpdate", str(exc), extra)
    if isinstance(exc, EvidenceInvalid | OpeningRefused):
        pairs = [(p.field, p.rule) for p in exc.problems]
        return Problem(422, type(exc).__name__, str(exc), _errors(pairs))
    if isinstance(exc, TriggerNotAvailable):
        extra = {"state": exc.state, "allowed": list(exc.allowed)}
        return Problem(409, "TriggerNotAvailable", str(exc), extra)
    if isinstance(exc, GuardsFailed):
        blocks = [{"guard": b.guard, "reason": b.reason} for b in exc.blocks]
        return Problem(409, "GuardsFailed", str(exc), {"blocked_by": blocks})
    if isinstance(exc, ClockRefused | StoredValueInvalid | TransitionRefused):
        return Problem(409, type(exc).__name__, str(exc))
    if isinstance(exc, Refused) and exc.kind == "PossibleDuplicate":
        return Problem(409, exc.kind, str(exc), {"matches": exc.details().get("matches", [])})
    if isinstance(exc, Refused) and exc.kind == "KeyInUse":
        return Problem(409, exc.kind, str(exc), {"field": exc.details().get("field")})
    if isinstance(exc, ServiceRefusal):
        details = exc.details()
        name = str(details.get("field") or str(details.get("flag", "request")).lstrip("-"))
        rule = str(details.get("rule") or str(exc).removeprefix(f"{name}: "))
        return Problem(422, exc.kind, str(exc), _errors([(name, rule)]))
    if isinstance(exc, ValueRefused):
        return Problem(422, "ValueRefused", str(exc), _errors([("request", str(exc))]))
    if isinstance(exc, SchemaError):
        return Problem(503, "SchemaError", str(exc))
    if isinstance(exc, RequestValidationError):
        pairs = [(_location(e.get("loc", ())), str(e.get("msg", "invalid"))) for e in exc.errors()]
        detail = "; ".join(f"{f}: {r}" for f, r in pairs)
        return Problem(422, "RequestInvalid", detail, _errors(pairs))
    if isinstance(exc, HTTPException):
        kind = "NotFound" if exc.status_code == 404 else HTTPStatus(exc.status_code).name.title()
        return Problem(
            exc.status_code,
            kind.replace("_", ""),
            str(exc.detail),
            headers=dict(exc.headers or {}),
        )
    return None


def _location(loc: Any) -> str:
    """`body.referral.child` -> `referral.child`; `query.limit` -> `limit`."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def handle(request: Request, exc: Exception) -> JSONResponse:
    """The exception handler for every expected refusal."""
    found = problem_for(exc)
    if found is None:  # not expected: a server error, told without its details
        return Problem(500, "ServerError", "the server could not answer this request").response()
    return found.response()
