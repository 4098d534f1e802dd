"""The web application (issue 15): server-rendered GOV.UK pages on the application layer.

How the pieces fit, for whoever adds pages:

- `cme.web.app.create_app(app: cme.bootstrap.App | None) -> FastAPI`. `cme serve` builds it
  (cme/commands/serve.py); tests build it on an App with a fake clock and a SQLite file. Time
  is always `app.clock.now()`. Add a router by adding its module to `cme.web.app.ROUTERS`
  (one line); a router is `cme/web/routes/<name>.py` exposing `router = APIRouter()`. The
  HTTP API is a sub-application mounted at `/api/v1` (no cookies, no CSRF: it has its own
  authentication).
- Who acts: `principal: Annotated[Principal, Depends(current_principal)]` (`cme.web.auth`)
  gives `Principal(who, role, door="web", account=...)` from the signed-in session: the role is
  the account's only role or the one chosen on `/sign-in/role` among the account's roles,
  never one named by the request. No session: a GET is redirected to `/sign-in?next=...`, any
  other method gets a 401 page. `cme_app(request)` gives the App. Every use case is a call to
  `cme.services.*` with that principal; a `NotPermitted` or `IdentityRefused` escaping a route
  becomes a 403 page (nothing written), `CaseNotFound` a 404, `ConcurrentUpdate` a 409.
- CSRF: every `<form method="post">` contains `{{ csrf_field() }}`. `check_csrf`
  (cme/web/security.py) is an app-wide dependency: every POST/PUT/PATCH/DELETE without the
  right `csrf_token` field (or `X-CSRF-Token` header) is refused with a 403 page before the
  route runs. Nothing to do per route.
- Pages: `render(request, "name.html", {...}, status_code=...)` (`cme.web.templating`); a
  template `{% extends "base.html" %}`, fills `{% block title %}` and `{% block content %}`,
  and may `{% import "macros/govuk.html" as govuk %}` for the error summary, inputs, buttons
  and banners. No inline `<script>` or `style=` (the CSP forbids them; add CSS to
  cme/web/assets_src/cme.css). Every page must work without JavaScript. Service navigation:
  one `NavItem` line in `cme.web.navigation.NAV`.
- Security headers, the CSP nonce and `Cache-Control: no-store` come from
  `cme.web.security.SecurityHeaders` for every response (assets under `/assets/` are cached).
- Search words and other personal data go in POST bodies, never in URLs (uvicorn's access log
  and browsers keep URLs).
- Static assets (GOV.UK Frontend, MOJ Frontend) are built by `make assets` into
  cme/web/static (served at `/assets/`), never committed.
"""
