"""Signing in with a password, for every door that takes one (the web pages now; the API or
the CLI could use the same): the check, the lock-out, the session, the record of each attempt.

- `sign_in` checks a username (the account's login) and password against the argon2 hash
  (`cme user add ... --password-stdin`). Unknown usernames, wrong passwords, disabled accounts
  and accounts without a password all get the same refusal (`SignInRefused`, "invalid"), so
  the form never tells which usernames exist.
- After `signin_max_failures` failures for one username within `signin_lockout_minutes`
  (counted since its last success), the username is locked until that long after the latest
  failure: even the right password is refused ("locked"). Unknown usernames lock the same way.
- Every attempt is recorded in `sign_in` (schema 0008) with its outcome: `signed_in`,
  `failed`, `locked`; sessions ending add `signed_out` or `expired`.
- A session is a random token (the door keeps it, e.g. in a cookie); only its SHA-256 is
  stored. `principal_of` turns a token into the `Principal` each request acts as: the account
  must still exist and be enabled and still hold the session's role, and the session must have
  been used within `session_idle_minutes` (else it ends, `expired`).
- Roles come from the account: a session's role is the account's only role, or one the person
  chose among the account's roles (`choose_role`), never one the request names otherwise.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cme.services.errors import ServiceRefusal
from cme.services.principal import Door, Principal

if TYPE_CHECKING:
    from cme.bootstrap import App
    from storage.accounts import Account
    from storage.web_sessions import WebSession

MAX_USERNAME = 200
TOUCH_AFTER = timedelta(minutes=1)
"""A session's last use is written at most this often (the idle timeout is in minutes)."""
MAX_PASSWORD = 1024
_DUMMY_HASH: list[str] = []


class SignInRefused(ServiceRefusal):
    """A sign-in refused: `reason` is `invalid` (wrong username or password, or an account that
    may not sign in) or `locked` (too many failures; `until` says when it unlocks)."""

    def __init__(self, reason: str, until: datetime | None = None) -> None:
        self.reason, self.until = reason, until
        if reason == "locked" and until is not None:
            from engine.clock import LOCAL_ZONE

            at = until.astimezone(LOCAL_ZONE).strftime("%H:%M")
            message = f"Too many failed attempts to sign in: try again after {at}"
        else:
            message = "Enter a correct username and password"
        super().__init__(message)

    def details(self) -> dict[str, str]:
        """The reason, and when a lock ends."""
        found = {"reason": self.reason}
        if self.until is not None:
            found["until"] = self.until.isoformat()
        return found


class SessionInvalid(ServiceRefusal):
    """No session, or one that has ended: `reason` is `none`, `ended` or `expired`."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        words = {
            "expired": "You were signed out because you had not used the service for a while",
            "ended": "You have been signed out",
        }
        super().__init__(words.get(reason, "Sign in to continue"))


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: the token the door hands back (once), the account, and the role it acts
    in (None: the account holds several; `choose_role` next)."""

    token: str
    account: Account
    role: str | None


@dataclass(frozen=True, slots=True)
class SessionState:
    """A live session as a request sees it: the account, its roles and the role chosen."""

    session: WebSession
    account: Account

    @property
    def principal(self) -> Principal | None:
        """Who acts (None while no role is chosen)."""
        if self.session.role is None:
            return None
        return Principal(self.account.name, self.session.role, "web", account=self.account.name)


def token_hash(token: str) -> str:
    """What is stored of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        from cme.services.accounts import hash_password

        _DUMMY_HASH.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY_HASH[0]


def lock_ends(app: App, username: str) -> datetime | None:
    """When `username`'s lock ends, if it is locked now."""
    from storage import web_sessions

    s = app.settings
    now = app.clock.now()
    window = timedelta(minutes=s.signin_lockout_minutes)
    count, latest = web_sessions.failures_since(app.db, username, now - window)
    if count >= s.signin_max_failures and latest is not None:
        return latest + window
    return None


def sign_in(app: App, username: str, password: str, door: Door = "web") -> SignedIn:
    """Check `username` and `password`; start a session; record the attempt either way.

    Raises:
        SignInRefused: `invalid` or `locked` (recorded; nothing else written).
    """
    from cme.services.accounts import password_matches
    from storage import accounts, web_sessions

    now = app.clock.now()
    username = username.strip()[:MAX_USERNAME]
    if not username or not password or len(password) > MAX_PASSWORD:
        raise SignInRefused("invalid")
    until = lock_ends(app, username)
    account = accounts.by_login(app.db, username)
    if until is not None:
        web_sessions.record_attempt(app.db, now, username, _name(account), "locked", door)
        raise SignInRefused("locked", until)
    stored = _stored_hash(app, account)
    matches = password_matches(stored or _dummy_hash(), password)
    if account is None or account.disabled or stored is None or not matches:
        web_sessions.record_attempt(app.db, now, username, _name(account), "failed", door)
        raise SignInRefused("invalid")
    token = secrets.token_urlsafe(32)
    role = account.roles[0] if len(account.roles) == 1 else None
    web_sessions.start_session(app.db, token_hash(token), account.name, role, now)
    web_sessions.record_attempt(app.db, now, username, account.name, "signed_in", door)
    return SignedIn(token, account, role)


def _name(account: Account | None) -> str | None:
    return account.name if account is not None else None


def _stored_hash(app: App, account: Account | None) -> str | None:
    if account is None or not account.has_password:
        return None
    from sqlalchemy import select

    from storage.accounts import account_table

    with app.db.connect() as conn:
        found = conn.execute(
            select(account_table.c.password_hash).where(account_table.c.name == account.name)
        ).scalar_one_or_none()
    return found if isinstance(found, str) else None


def session_state(app: App, token: str | None, touch: bool = True) -> SessionState:
    """The live session `token` names, its idle time renewed (`touch`).

    Raises:
        SessionInvalid: no such session, one that ended, one idle too long (it ends now,
            `expired`), or one whose account was disabled or no longer holds its role.
    """
    from storage import accounts, web_sessions

    if not token:
        raise SessionInvalid("none")
    found = web_sessions.session_by_hash(app.db, token_hash(token))
    if found is None:
        raise SessionInvalid("none")
    if found.ended_at is not None:
        raise SessionInvalid("ended")
    now = app.clock.now()
    account = accounts.by_name(app.db, found.account)
    idle = timedelta(minutes=app.settings.session_idle_minutes)
    why = None
    if now - found.last_seen_at > idle:
        why = "expired"
    elif account is None or account.disabled:
        why = "disabled"
    elif found.role is not None and found.role not in account.roles:
        why = "role_removed"
    if why is not None:
        web_sessions.end_session(app.db, found.id, now, why)
        username = account.login if account is not None else found.account
        web_sessions.record_attempt(app.db, now, username, found.account, "expired", "web")
        raise SessionInvalid("expired" if why == "expired" else "ended")
    assert account is not None  # noqa: S101 - checked above
    if touch and now - found.last_seen_at >= TOUCH_AFTER:  # at most one write a minute
        web_sessions.touch(app.db, found.id, now)
    return SessionState(found, account)


def principal_of(app: App, token: str | None) -> Principal:
    """The principal a session acts as.

    Raises:
        SessionInvalid: see `session_state`; also (`none`) while no role is chosen.
    """
    state = session_state(app, token)
    principal = state.principal
    if principal is None:
        raise SessionInvalid("none")
    return principal


def choose_role(app: App, token: str | None, role: str) -> Principal:
    """Act in `role` from now on: one of the account's roles, else refused.

    Raises:
        SessionInvalid: see `session_state`.
        RoleNotHeld: the account does not hold `role` (recorded in the access log).
    """
    from cme.access import record_refusal
    from cme.services.errors import RoleNotHeld
    from storage import web_sessions

    state = session_state(app, token)
    if role not in state.account.roles:
        refusal = RoleNotHeld(state.account.name, role, state.account.roles)
        record_refusal(app, state.account.name, role[:32], None, "identity", str(refusal))
        raise refusal
    web_sessions.choose_role(app.db, state.session.id, role)
    return Principal(state.account.name, role, "web", account=state.account.name)


def sign_out(app: App, token: str | None) -> None:
    """End the session `token` names (nothing to do if there is none, or it has ended)."""
    from storage import accounts, web_sessions

    if not token:
        return
    found = web_sessions.session_by_hash(app.db, token_hash(token))
    if found is None or found.ended_at is not None:
        return
    now = app.clock.now()
    web_sessions.end_session(app.db, found.id, now, "signed_out")
    account = accounts.by_name(app.db, found.account)
    username = account.login if account is not None else found.account
    web_sessions.record_attempt(app.db, now, username, found.account, "signed_out", "web")


def attempts(app: App, principal: Principal, limit: int = 100) -> list[dict[str, object]]:
    """The sign-in records, newest first (who may list accounts may list these: auditors,
    administrators): when, the username typed, the account, the outcome, the door."""
    from cme.services.permissions import authorize
    from storage import web_sessions

    authorize(app, principal, "user.list")
    return [
        {
            "at": r["at"].isoformat(),
            "username": r["username"],
            "account": r["account"],
            "outcome": r["outcome"],
            "door": r["door"],
        }
        for r in web_sessions.attempts(app.db, limit)
    ]
