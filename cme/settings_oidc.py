"""The rules of the OpenID Connect settings (`CME_OIDC_*`, docs/oidc.md), kept beside
`cme.settings_rules` so the web sign-in's checks live in one place.

- `CME_OIDC_ISSUER`: the provider's issuer URL, `https://` (or `http://` on a loopback address,
  for a provider running on this machine in tests); no query, fragment or credentials.
- `CME_OIDC_ROLES`: a JSON object of claim value (a group) -> cme role; values must be roles a
  person can hold (`system` never). Empty: a claim value that is a role's own name maps to it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlsplit

from cme.settings_rules import shown

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_GROUP = 200


def issuer(value: str) -> str:
    """An issuer URL: https, or http on a loopback host; no query, fragment or user."""
    text = value.strip()
    rule = "must be the provider's issuer URL, like https://login.example.gov.uk/realms/council"
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - a port that is not a number fails here
    except ValueError:
        raise ValueError(rule) from None
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(rule)
    if any(ord(c) < 33 or ord(c) == 127 for c in text):
        raise ValueError(f"{rule} (no spaces or control characters)")
    if parts.scheme == "http" and host not in LOOPBACK:
        raise ValueError(f"{rule}: http is allowed only on this machine (127.0.0.1); use https")
    if parts.scheme not in ("http", "https"):
        raise ValueError(rule)
    return text


def role_claim(value: str) -> str:
    """The claim holding groups or roles: a plain name such as `groups`."""
    text = value.strip()
    if not text or len(text) > 100 or not all(c.isalnum() or c in "_-:.@/" for c in text):
        raise ValueError("must be the name of a claim in the ID token, like groups or roles")
    return text


def role_map(value: object) -> dict[str, str]:
    """`CME_OIDC_ROLES`: a JSON object of claim value -> cme role."""
    from cme.services.principal import ROLES

    rule = (
        "must be a JSON object of group (a value of the role claim) and cme role, "
        f'e.g. {{"cme-caseworkers": "caseworker"}} (roles: {", ".join(ROLES)})'
    )
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise ValueError(f"{rule}; this is not valid JSON") from None
    if not isinstance(value, Mapping):
        raise ValueError(rule)
    found: dict[str, str] = {}
    for group, role in value.items():
        if not isinstance(group, str) or not group.strip() or len(group) > MAX_GROUP:
            raise ValueError(f"{rule}; {shown(group)} is not a group name")
        if role not in ROLES:
            raise ValueError(f"{rule}; {group} maps to {shown(role)}, which is not a role")
        found[group] = role
    return found
