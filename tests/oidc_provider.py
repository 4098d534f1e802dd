"""A real OpenID Connect provider for tests: `oidc-provider-mock` (a Flask app built on authlib's
server side: discovery, JWKS, RS256-signed ID tokens, authorization code, token endpoint)
served by werkzeug on 127.0.0.1 in a thread.

People are given their claims up front (`Provider.person`); signing in at the provider is its
authorization form (a `sub` field and an "Authorize" button), which `Provider.authorize` posts
for a test that drives HTTP without a browser.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

CLIENT_ID = "cme-web"
CLIENT_SECRET = "a-test-client-secret-for-cme"


@dataclass(frozen=True)
class Provider:
    """A running provider: its issuer URL (`http://127.0.0.1:PORT`)."""

    issuer: str

    def person(self, sub: str, **claims: Any) -> None:
        """Give `sub` these claims (e.g. `groups=["cme-caseworkers"]`, `name="..."`)."""
        response = httpx.put(f"{self.issuer}/users/{quote(sub, safe='')}", json=claims)
        response.raise_for_status()

    def authorize(self, authorization_url: str, sub: str) -> str:
        """Sign in at the provider as `sub`: the redirect back to cme (its Location)."""
        response = httpx.post(authorization_url, data={"sub": sub})
        assert response.status_code in (302, 303), response.text[:300]
        return response.headers["location"]

    def deny(self, authorization_url: str) -> str:
        """Refuse at the provider: the error redirect back to cme (its Location)."""
        response = httpx.post(authorization_url, data={"action": "deny"})
        assert response.status_code in (302, 303), response.text[:300]
        return response.headers["location"]

    def settings(self, **extra: Any) -> dict[str, Any]:
        """The `CME_OIDC_*` settings that point cme at this provider."""
        return {
            "oidc_issuer": self.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            **extra,
        }


@contextmanager
def running_provider() -> Iterator[Provider]:
    """Start the provider on a free port of 127.0.0.1; stop it afterwards."""
    import authlib.deprecate  # noqa: F401 - its import puts "always" first; ours come after
    import werkzeug.serving

    with warnings.catch_warnings():  # the mock's own imports (authlib.jose, authlib on httpx)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="oidc_provider_mock")
        warnings.filterwarnings("ignore", "The httpx module is deprecated", DeprecationWarning)
        import oidc_provider_mock

    wsgi = oidc_provider_mock.app(require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Provider(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
