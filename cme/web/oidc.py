"""Signing in with the council's account: OpenID Connect, authorization-code flow with PKCE
(authlib), when `CME_OIDC_ISSUER`, `CME_OIDC_CLIENT_ID` and `CME_OIDC_CLIENT_SECRET` are set.

- GET `/sign-in/oidc`: reads the provider's discovery document (its `issuer` must equal
  `CME_OIDC_ISSUER`), then redirects (302) to its authorization endpoint with a fresh `state`,
  `nonce` and PKCE challenge. Not configured: 404.
- GET `/sign-in/oidc/callback` (the redirect URI to register at the provider): exchanges the
  code, has authlib verify the ID token (signature against the provider's published keys,
  issuer, audience, expiry, nonce), and hands its claims to `cme.services.oidc_signin`, which
  finds the bound account and its role and starts the session. Success: 303 to the queue with
  the session cookie (the local sign-in's). A refusal (no account bound, disabled, no role) is
  a 403 page saying what to do; a provider that refused or answered wrongly (a stale or forged
  callback too) a 400 page. Every attempt is recorded.

The flow's own state (state, nonce, PKCE verifier, redirect URI) travels in a short-lived
cookie (`cme_oidc`, 10 minutes, HttpOnly, SameSite=Lax so it survives the provider's redirect,
path `/sign-in/oidc`), signed with a key derived from the client secret: authlib keeps it in
`request.session`, which this module fills from and writes back to that cookie, so the rest of
the application needs no session middleware.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import warnings
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from cme.web.auth import cme_app, set_session_cookie

if TYPE_CHECKING:
    from authlib.integrations.starlette_client import StarletteOAuth2App

    from cme.settings import Settings

log = logging.getLogger("cme.web.oidc")
router = APIRouter()

STATE_COOKIE = "cme_oidc"
STATE_PATH = "/sign-in/oidc"
STATE_SECONDS = 600
SCOPE = "openid profile email"
HOME = "/cases"


def _serializer(settings: Settings) -> Any:
    from itsdangerous import URLSafeTimedSerializer

    assert settings.oidc_client_secret is not None  # noqa: S101 - only when enabled
    return URLSafeTimedSerializer(settings.oidc_client_secret, salt="cme-oidc-flow-state")


def _client(request: Request) -> StarletteOAuth2App:
    """The provider's client, made once per web application (it caches the discovery)."""
    settings = cme_app(request).settings
    if not settings.oidc_enabled:
        raise HTTPException(status_code=404)
    found = getattr(request.app.state, "oidc_client", None)
    if found is None:
        with warnings.catch_warnings():  # authlib prefers httpx2; cme declares httpx, on purpose
            warnings.filterwarnings("ignore", "The httpx module is deprecated", DeprecationWarning)
            from authlib.integrations.starlette_client import OAuth

        assert settings.oidc_issuer is not None  # noqa: S101 - oidc_enabled
        oauth = OAuth()
        found = oauth.register(
            "council",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=settings.oidc_issuer.rstrip("/")
            + "/.well-known/openid-configuration",
            client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "timeout": 10},
        )
        request.app.state.oidc_client = found
    client: StarletteOAuth2App = found
    return client


def _flow_state(request: Request) -> dict[str, Any]:
    from itsdangerous import BadSignature

    raw = request.cookies.get(STATE_COOKIE)
    if not raw:
        return {}
    try:
        found = _serializer(cme_app(request).settings).loads(raw, max_age=STATE_SECONDS)
    except BadSignature:  # forged, or older than STATE_SECONDS (SignatureExpired)
        return {}
    return found if isinstance(found, dict) else {}


def _keep_state(request: Request, response: Response, state: dict[str, Any]) -> None:
    value = _serializer(cme_app(request).settings).dumps(state)
    response.set_cookie(
        STATE_COOKIE,
        value,
        max_age=STATE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=STATE_PATH,
    )


def _forget_state(request: Request, response: Response) -> None:
    response.delete_cookie(
        STATE_COOKIE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=STATE_PATH,
    )


async def _check_issuer(request: Request, client: StarletteOAuth2App) -> None:
    """The discovery document must name the issuer configured (OpenID Connect Discovery 4.3):
    a document served for another issuer is refused rather than trusted."""
    metadata = await client.load_server_metadata()
    expected = cme_app(request).settings.oidc_issuer
    if metadata.get("issuer") != expected:
        raise ProviderProblem(
            f"the discovery document names issuer {metadata.get('issuer')!r}, "
            f"not CME_OIDC_ISSUER {expected!r}"
        )


class ProviderProblem(Exception):
    """The provider could not be reached, refused, or answered in a way that is not valid."""


def _provider_errors() -> tuple[type[Exception], ...]:
    import httpx
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError

    found: list[type[Exception]] = [ProviderProblem, AuthlibBaseError, JoseError, httpx.HTTPError]
    with contextlib.suppress(ImportError):  # authlib talks through httpx2 where installed
        found.append(importlib.import_module("httpx2").HTTPError)
    return (*found, RuntimeError, ValueError, KeyError)


@router.get("/sign-in/oidc")
async def oidc_start(request: Request) -> Response:
    """Off to the council's provider."""
    client = _client(request)
    state: dict[str, Any] = {}
    request.scope["session"] = state
    try:
        await _check_issuer(request, client)
        response: Response = await client.authorize_redirect(
            request, str(request.url_for("oidc_callback"))
        )
    except _provider_errors() as exc:
        log.warning("OIDC sign-in could not start: %s", exc)
        return _provider_page(request, 502, "could not be reached")
    _keep_state(request, response, state)
    return response


@router.get("/sign-in/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    """Back from the provider: verify, find the account, start the session."""
    from cme.services.oidc_signin import OidcRefused, record_provider_failure, sign_in_oidc

    client = _client(request)
    app = cme_app(request)
    request.scope["session"] = _flow_state(request)
    try:
        await _check_issuer(request, client)
        token = await client.authorize_access_token(request)
        claims = token.get("userinfo")
        if not claims:
            raise ProviderProblem("the provider returned no ID token")
    except _provider_errors() as exc:
        detail = f"{type(exc).__name__}: {exc}"
        log.warning("OIDC sign-in failed at the provider: %s", detail)
        await run_in_threadpool(record_provider_failure, app, detail)
        response = _provider_page(request, 400, "did not confirm who you are")
        _forget_state(request, response)
        return response
    try:
        signed = await run_in_threadpool(sign_in_oidc, app, dict(claims))
    except OidcRefused as refused:
        from cme.web.app import error_page

        response = error_page(
            request,
            403,
            "You cannot sign in to this service",
            str(refused),
            "Nothing was changed.",
        )
        _forget_state(request, response)
        return response
    response = RedirectResponse(HOME, status_code=303)
    set_session_cookie(request, response, signed.token)
    _forget_state(request, response)
    return response


def _provider_page(request: Request, status: int, what: str) -> Response:
    from cme.web.app import error_page

    return error_page(
        request,
        status,
        "You could not be signed in",
        f"Your council's sign-in service {what}. Nothing was changed.",
        "Try again, or sign in with your username and password.",
    )
