"""Security headers, the per-request CSP nonce, the anonymous CSRF binding and the CSRF check.

`SecurityHeaders` (pure ASGI middleware) gives every response:

- `Content-Security-Policy` without `unsafe-inline`: scripts from this origin, plus the one
  inline script of the GOV.UK template (`js-enabled`), allowed by a nonce made per request
  (`request.state.csp_nonce`, `{{ csp_nonce }}` in templates);
- `Strict-Transport-Security` when the request came over HTTPS (directly, or through a proxy
  listed in `CME_WEB_TRUSTED_PROXIES`, whose `X-Forwarded-Proto` uvicorn's proxy middleware
  applies first);
- `Cache-Control: no-store` on everything but the static assets (pages show personal data);
- `X-Frame-Options: DENY` and `frame-ancestors 'none'`, `Referrer-Policy: no-referrer`,
  `X-Content-Type-Options: nosniff`, a `Permissions-Policy` turning off what is never used.

CSRF: a form's token is an HMAC of the session cookie (signed in) or of an anonymous
`cme_pre` cookie the middleware sets (the sign-in form), so a page from another site can
neither read nor forge it. `check_csrf` (an app-wide dependency, `cme.web.app`) refuses every
POST, PUT, PATCH and DELETE whose `csrf_token` form field (or `X-CSRF-Token` header) is missing
or wrong, before any route runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any

from fastapi import Request

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "cme_session"
PRE_COOKIE = "cme_pre"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
ASSETS_PREFIX = "/assets/"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfRefused(Exception):
    """A form sent without its token, or with one that is not this session's."""


def csp(nonce: str) -> str:
    """The Content-Security-Policy for a response whose inline script carries `nonce`."""
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _cookies(scope: Scope) -> dict[str, str]:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - an unreadable cookie header is no cookie
                return {}
            return {k: m.value for k, m in jar.items()}
    return {}


def header_pairs(nonce: str, https: bool, asset: bool = False) -> list[tuple[str, str]]:
    """The security headers of one response (lower-case names)."""
    pairs = [
        ("content-security-policy", csp(nonce)),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if https:
        pairs.append(("strict-transport-security", "max-age=31536000; includeSubDomains"))
    if not asset:
        pairs += [("cache-control", "no-store"), ("pragma", "no-cache")]
    return pairs


class SecurityHeaders:
    """Adds the headers above to every HTTP response, and the anonymous `cme_pre` cookie
    where a browser has neither it nor a session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["csp_nonce"] = nonce
        cookies = _cookies(scope)
        pre = cookies.get(PRE_COOKIE)
        new_pre = None
        if not pre and not cookies.get(SESSION_COOKIE):
            pre = new_pre = secrets.token_urlsafe(32)
        state["csrf_pre"] = pre
        https = scope.get("scheme") == "https"
        asset = str(scope.get("path", "")).startswith(ASSETS_PREFIX)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in header_pairs(nonce, https, asset):
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode("latin-1")))
                if new_pre is not None and not asset:
                    secure = "; Secure" if https else ""
                    cookie = f"{PRE_COOKIE}={new_pre}; Path=/; HttpOnly; SameSite=Lax{secure}"
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry (bound to its session, or its `cme_pre` cookie)."""
    binding = getattr(request.state, "csrf_binding", None)
    if binding is None:
        binding = request.cookies.get(SESSION_COOKIE) or request.state.csrf_pre or ""
    return hmac.new(binding.encode(), b"cme-csrf", hashlib.sha256).hexdigest()


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request without the right token (app-wide dependency).

    Raises:
        CsrfRefused: nothing has run yet, so nothing was written.
    """
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        try:
            form = await request.form()
        except Exception:  # noqa: BLE001 - a body that is not a form has no token
            raise CsrfRefused from None
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    binding = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRE_COOKIE)
    if not sent or not binding:
        raise CsrfRefused
    expected = hmac.new(binding.encode(), b"cme-csrf", hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sent, expected):
        raise CsrfRefused
