"""Signing in through the council's OpenID Connect provider, for every door that takes it (the
web pages now): who the verified ID token names, which role they act in, and the record.

The door (`cme.web.oidc`) runs the authorization-code flow with authlib and hands this module
the ID token's claims only after authlib has verified them (signature against the provider's
keys, issuer, audience, expiry, nonce). Then:

- **The account.** A person is known only through a binding made by an administrator
  (`cme user oidc NAME --subject SUB`: `bind_subject`), which ties the account to the token's
  `sub` at the configured issuer. Nobody is created on first sign-in: an unbound subject, a
  disabled account, or an account with no role left is refused, recorded, and told to ask an
  administrator. (The subject is the provider's stable id; names and e-mail addresses change
  and are reassigned, so they never identify an account.)
- **The role.** The provider says which groups the person is in (`CME_OIDC_ROLE_CLAIM`,
  `groups` by default), `CME_OIDC_ROLES` maps groups to cme roles, and the session's role is
  the first of the *account's* roles that the groups also give. Both must agree: removing a
  person from a group at the council takes the role away at the next sign-in, and no group
  gives a role the account does not hold. No role in common: refused.
- **The record.** Every attempt is written to the sign-in record (`sign_in`, the local
  sign-in's table) as `signed_in` or `failed` under the username `oidc:<subject>`, and a
  refusal also goes to the access log with its reason (`cme audit refusals`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from cme.services.errors import AccountRefused, ServiceRefusal
from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from cme.services.signin import SignedIn
    from cme.settings import Settings

MAX_SUBJECT = 255
"""The longest `sub` accepted (OpenID Connect Core: at most 255 ASCII characters)."""
USERNAME_PREFIX = "oidc:"


class OidcRefused(ServiceRefusal):
    """A sign-in through the provider refused. `reason`: `not_configured`, `provider` (the
    provider refused or answered wrongly), `unbound` (no account bound to the subject),
    `disabled`, or `no_role` (the groups give none of the account's roles)."""

    MESSAGES: ClassVar[dict[str, str]] = {
        "not_configured": "Signing in with your council account is not set up on this service",
        "provider": "Your council's sign-in service did not confirm who you are: try again",
        "unbound": "Your council account is not linked to an account on this service: "
        "ask your administrator to link it",
        "disabled": "Your account on this service is disabled: ask your administrator",
        "no_role": "Your council account's groups give you no role on this service: "
        "ask your administrator",
    }

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason, self.detail = reason, detail
        super().__init__(self.MESSAGES[reason])

    def details(self) -> dict[str, str]:
        """The reason (and, for the operator's log, what the provider said)."""
        return {"reason": self.reason, **({"detail": self.detail} if self.detail else {})}


def _subject(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_SUBJECT:
        raise OidcRefused("provider", "the ID token has no usable `sub`")
    if not value.isprintable() or not value.isascii():
        raise OidcRefused("provider", "the ID token's `sub` holds characters outside ASCII")
    return value


def roles_from_claims(settings: Settings, claims: Mapping[str, object]) -> tuple[str, ...]:
    """The cme roles the provider's groups give, in the order the claim lists them.

    The claim may be a list of strings or one string of names separated by spaces or commas.
    With `CME_OIDC_ROLES` empty, a group named as a role gives that role; otherwise only the
    groups it names count.
    """
    from cme.services.principal import ROLES

    value = claims.get(settings.oidc_role_claim)
    if isinstance(value, str):
        groups = value.replace(",", " ").split()
    elif isinstance(value, list | tuple):
        groups = [g for g in value if isinstance(g, str)]
    else:
        groups = []
    mapping = settings.oidc_roles or {r: r for r in ROLES}
    return tuple(dict.fromkeys(mapping[g] for g in groups if g in mapping))


def sign_in_oidc(app: App, claims: Mapping[str, object]) -> SignedIn:
    """Start a session for the person a verified ID token names.

    Args:
        app: the application.
        claims: the ID token's claims, verified by the door (authlib).

    Raises:
        OidcRefused: `unbound`, `disabled`, `no_role`, `provider` or `not_configured`
            (recorded; no session started).
    """
    import secrets

    from cme.services.signin import SignedIn, token_hash
    from storage import accounts, oidc_identities, web_sessions

    settings = app.settings
    if not settings.oidc_enabled or settings.oidc_issuer is None:
        raise OidcRefused("not_configured")
    now = app.clock.now()
    subject = _subject(claims.get("sub"))
    username = USERNAME_PREFIX + subject
    name = oidc_identities.account_for(app.db, settings.oidc_issuer, subject)
    account = accounts.by_name(app.db, name) if name is not None else None
    role = None
    if account is not None and not account.disabled:
        given = roles_from_claims(settings, claims)
        role = next((r for r in account.roles if r in given), None)
    if account is None or account.disabled or role is None:
        reason = "unbound" if account is None else "disabled" if account.disabled else "no_role"
        refusal = OidcRefused(reason)
        web_sessions.record_attempt(
            app.db, now, username, account.name if account else None, web_sessions.FAILED, "web"
        )
        _record_refusal(app, account.name if account else username, reason, str(refusal))
        raise refusal
    token = secrets.token_urlsafe(32)
    web_sessions.start_session(app.db, token_hash(token), account.name, role, now)
    web_sessions.record_attempt(app.db, now, username, account.name, web_sessions.SIGNED_IN, "web")
    return SignedIn(token, account, role)


def record_provider_failure(app: App, detail: str) -> None:
    """Record a sign-in the provider did not complete (an error answer, a token that failed
    verification, a stale or forged callback): in the sign-in record and the access log."""
    from storage import web_sessions

    web_sessions.record_attempt(
        app.db, app.clock.now(), USERNAME_PREFIX + "?", None, web_sessions.FAILED, "web"
    )
    _record_refusal(app, USERNAME_PREFIX + "?", "provider", detail[:500])


def _record_refusal(app: App, who: str, reason: str, why: str) -> None:
    from cme.access import record_refusal

    record_refusal(app, who[:200], "none", None, "sign-in oidc", f"{reason}: {why}")


# --- binding accounts (administrators) ----------------------------------------------------------
def bind_subject(app: App, principal: Principal, name: str, subject: str) -> str:
    """Bind account `name` to `subject` at the configured issuer; returns the issuer.

    Raises:
        NotPermitted: not an administrator (recorded).
        AccountRefused: no such account, no issuer configured, a subject that cannot be one,
            or either side bound already.
    """
    from storage import accounts, oidc_identities

    authorize(app, principal, "user.oidc")
    issuer = _issuer(app)
    try:
        subject = _subject(subject.strip())
    except OidcRefused:
        raise AccountRefused(
            "subject", f"must be the provider's `sub`: 1 to {MAX_SUBJECT} printable ASCII"
        ) from None
    if accounts.by_name(app.db, name) is None:
        raise AccountRefused("name", f"there is no account named '{name}'")
    try:
        oidc_identities.bind(app.db, issuer, subject, name, app.clock.now(), principal.who)
    except oidc_identities.BindingExists as exc:
        raise AccountRefused("subject", str(exc)) from exc
    return issuer


def unbind_subject(app: App, principal: Principal, name: str) -> bool:
    """Remove account `name`'s binding at the configured issuer; False if it had none."""
    from storage import oidc_identities

    authorize(app, principal, "user.oidc")
    return oidc_identities.unbind(app.db, _issuer(app), name)


def _issuer(app: App) -> str:
    issuer = app.settings.oidc_issuer
    if issuer is None:
        raise AccountRefused(
            "subject", "CME_OIDC_ISSUER is not set: a subject means nothing without its issuer"
        )
    return issuer
