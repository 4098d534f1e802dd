"""Bearer tokens for the systems that call the HTTP API (`cme token create|list|revoke`), and
the API door's principal: who presents a token acts as `api:NAME` in the token's role.

Creating, listing and revoking tokens is for administrators (`token.create`, `token.list`,
`token.revoke`). A token is 32 random bytes (`secrets.token_urlsafe`), shown once; only its
SHA-256 is stored, so a stolen database yields no token. A token's role is one of the roles a
person holds: never `system`, which is the scheduler's alone. A request with no token, an
unknown one, or one expired or revoked, is refused (`TokenRefused`, HTTP 401) and the refusal
is kept in the access log (never the token).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cme.services.errors import IdentityRefused, Refused
from cme.services.permissions import authorize
from cme.services.principal import ROLES, SYSTEM_ROLE, Principal

if TYPE_CHECKING:
    from cme.bootstrap import App
    from storage.tokens import TokenRow

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
"""A token's name: the calling system, in lower-case ASCII (`social-care`, `admissions.v2`)."""
PREFIX = "cme_"
"""Every token starts with this, so a leaked one is easy to recognise (and to scan for)."""
MAX_DAYS = 3650
ACTOR_PREFIX = "api:"


class TokenRefused(IdentityRefused):
    """No usable bearer token: none, malformed, unknown, expired or revoked (HTTP 401)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"bearer token refused: {reason}")

    def details(self) -> dict[str, Any]:
        """Why the token was refused."""
        return {"reason": self.reason}


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as `cme token list` shows it (never the token itself)."""

    name: str
    role: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None

    @classmethod
    def of(cls, row: TokenRow) -> TokenInfo:
        """From the stored row."""
        return cls(
            row.name,
            row.role,
            row.created_at,
            row.created_by,
            row.expires_at,
            row.revoked_at,
            row.revoked_by,
        )

    def status(self, now: datetime) -> str:
        """`active`, `expired` or `revoked`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def as_json(self, now: datetime) -> dict[str, Any]:
        """The token as `cme token list --json` prints it."""
        return {
            "name": self.name,
            "actor": ACTOR_PREFIX + self.name,
            "role": self.role,
            "status": self.status(now),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_by": self.revoked_by,
        }


@dataclass(frozen=True, slots=True)
class Created:
    """A token just created: the token itself (shown once) and what is stored."""

    token: str
    info: TokenInfo


def digest(token: str) -> str:
    """The SHA-256 (hex) stored for `token`."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise Refused(
            f"name: {name[:70]!r} must be 1 to 63 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            "BadInput",
            field="name",
        )
    return name


def create(
    app: App, principal: Principal, name: str, role: str, expires_days: int | None = None
) -> Created:
    """A new token for the calling system `name`, acting in `role`.

    Raises:
        NotPermitted: not an administrator.
        Refused: a bad name, role or expiry, or a name already used (revoked tokens keep it).
    """
    from storage import tokens

    authorize(app, principal, "token.create")
    _check_name(name)
    if role == SYSTEM_ROLE or role not in ROLES:
        reason = "'system' is the scheduler's alone" if role == SYSTEM_ROLE else "unknown"
        raise Refused(
            f"role: {role[:40]!r} is refused ({reason}; known roles: {', '.join(ROLES)})",
            "BadInput",
            field="role",
        )
    if expires_days is not None and not 1 <= expires_days <= MAX_DAYS:
        raise Refused(
            f"expires: must be between 1 and {MAX_DAYS} days", "BadInput", field="expires"
        )
    now = app.clock.now()
    expires = now + timedelta(days=expires_days) if expires_days is not None else None
    token = PREFIX + secrets.token_urlsafe(32)
    try:
        row = tokens.add_token(app.db, name, role, digest(token), now, principal.who, expires)
    except tokens.TokenExists:
        raise Refused(
            f"name: a token named '{name}' exists already (revoked tokens keep their name: "
            "choose another)",
            "TokenExists",
            field="name",
        ) from None
    return Created(token, TokenInfo.of(row))


def list_tokens(app: App, principal: Principal) -> list[TokenInfo]:
    """Every token, by name (never the tokens themselves)."""
    from storage import tokens

    authorize(app, principal, "token.list")
    return [TokenInfo.of(r) for r in tokens.all_tokens(app.db)]


def revoke(app: App, principal: Principal, name: str) -> TokenInfo:
    """Revoke a token: from now on it is refused (401). Revoking it again changes nothing."""
    from storage import tokens

    authorize(app, principal, "token.revoke")
    if tokens.by_name(app.db, name) is None:
        raise Refused(f"name: there is no token named {name[:70]!r}", "NoToken", field="name")
    tokens.revoke_token(app.db, name, app.clock.now(), principal.who)
    row = tokens.by_name(app.db, name)
    assert row is not None  # noqa: S101 - just updated
    return TokenInfo.of(row)


def principal_for(app: App, token: str | None) -> Principal:
    """The API door's principal for a presented bearer token.

    Raises:
        TokenRefused: no token, or not one that may act now (recorded in the access log).
    """
    from storage import tokens

    name = "api:?"
    role = "none"
    try:
        if not token:
            raise TokenRefused("no bearer token (send `Authorization: Bearer TOKEN`)")
        if not token.startswith(PREFIX) or len(token) > 200:
            raise TokenRefused("not a cme token")
        row = tokens.by_digest(app.db, digest(token))
        if row is None:
            raise TokenRefused("unknown token")
        name, role = ACTOR_PREFIX + row.name, row.role
        if row.revoked_at is not None:
            raise TokenRefused(f"token '{row.name}' was revoked")
        if row.expires_at is not None and row.expires_at <= app.clock.now():
            raise TokenRefused(f"token '{row.name}' expired")
    except TokenRefused as refusal:
        from cme.access import record_refusal

        record_refusal(app, name, role, None, "api.token", str(refusal))
        raise
    return Principal(name, row.role, "api", account=name)
