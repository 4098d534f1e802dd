"""Accounts: add, list and disable the people who may use cme (`cme user ...`).

Administrators only (`user.add`, `user.disable`; auditors may also list). While no account
exists, the acting role is self-declared (`CME_ROLE`), so the first administrator is added with
`CME_ROLE=admin cme user add NAME --role admin --login OSUSER`; that first account must hold
`admin`, and the last enabled administrator cannot be disabled: someone must always be able to
add and disable accounts.

Passwords (for the web sign-in to come) are kept only as argon2id hashes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cme.services.actor_names import check_actor_name
from cme.services.errors import AccountRefused
from cme.services.permissions import authorize
from cme.services.principal import ROLES, SYSTEM_ROLE, Principal, is_system_name

if TYPE_CHECKING:
    from cme.bootstrap import App
    from storage.accounts import Account

MAX_NAME = 200


def _check_text(field: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise AccountRefused(field, "must not be empty")
    if len(value) > MAX_NAME:
        raise AccountRefused(field, f"at most {MAX_NAME} characters")
    if not value.isprintable():
        raise AccountRefused(field, "must not contain control or invisible characters")
    return value


def _check_roles(roles: Sequence[str]) -> tuple[str, ...]:
    if not roles:
        raise AccountRefused("role", "give at least one --role")
    for role in roles:
        if role == SYSTEM_ROLE or is_system_name(role):
            raise AccountRefused("role", "'system' is the scheduler's alone; no account holds it")
        if role not in ROLES:
            raise AccountRefused("role", f"'{role}' is unknown (known roles: {', '.join(ROLES)})")
    return tuple(dict.fromkeys(roles))


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (the library's recommended parameters)."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether `password` is the one `password_hash` was made from."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def add_user(
    app: App,
    principal: Principal,
    name: str,
    roles: Sequence[str],
    login: str,
    password: str | None = None,
) -> Account:
    """Add an account bound to `login`, holding `roles` (in that order: the first is the
    default role), with an optional password for the web sign-in."""
    from storage import accounts

    authorize(app, principal, "user.add")
    name = _check_text("name", name)
    if is_system_name(name):
        raise AccountRefused("name", f"'{name}' is reserved for the scheduler and the engine")
    check_actor_name(name, "name")
    login = _check_text("login", login)
    held = _check_roles(roles)
    if password is not None and not password:
        raise AccountRefused("password", "an empty password is refused")
    if "admin" not in held and not accounts.any_accounts(app.db):
        raise AccountRefused(
            "role",
            "the first account must hold the admin role (add --role admin): with accounts, "
            "only an administrator can add the next one",
        )
    digest = hash_password(password) if password is not None else None
    try:
        return accounts.add_account(app.db, name, login, held, app.clock.now(), digest)
    except accounts.AccountExists as exc:
        raise AccountRefused("name" if "named" in str(exc) else "login", str(exc)) from exc


def list_users(app: App, principal: Principal) -> list[Account]:
    """Every account, by name."""
    from storage import accounts

    authorize(app, principal, "user.list")
    return accounts.all_accounts(app.db)


def disable_user(app: App, principal: Principal, name: str) -> Account:
    """Disable an account (it can no longer act); refuse to disable the last administrator."""
    from storage import accounts

    authorize(app, principal, "user.disable")
    found = accounts.by_name(app.db, name)
    if found is None:
        raise AccountRefused("name", f"there is no account named '{name}'")
    if found.disabled:  # already: nothing to write
        return found
    admins = [a for a in accounts.all_accounts(app.db) if "admin" in a.roles and not a.disabled]
    if [a.name for a in admins] == [name]:
        raise AccountRefused(
            "name",
            f"'{name}' is the last enabled administrator: add another before disabling it",
        )
    accounts.disable_account(app.db, name)
    disabled = accounts.by_name(app.db, name)
    assert disabled is not None  # noqa: S101 - just updated
    return disabled
