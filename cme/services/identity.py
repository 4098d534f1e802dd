"""Who acts on the command line.

With accounts (`cme user add`), the CLI acts as the account bound to the operating-system login
of the process (its effective user, read from the system's user database, never from an
environment variable anyone can set): the actor is the account's name, and `--role` (or
`CME_ROLE`) may only choose among the account's roles; without either, the first of its roles
that may take the action. A login with no account, or a disabled one, is refused.

Without any account (the embedded demo, a fresh install) roles are self-declared, as before:
`--actor` / `CME_ACTOR` / the login name, and `--role` / `CME_ROLE` / `cmeo`. `cme check`
reports that (`identity_problems`).

Through every door and in both modes, the `system` role and `system:` actors are refused: they
are the scheduler's (`principal.SCHEDULER`), and an unknown role is refused, naming the known
ones. Every refusal is recorded in the access log.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cme.services.actor_names import check_actor_name
from cme.services.errors import (
    AccountDisabled,
    ActorMismatch,
    IdentityRefused,
    NoAccount,
    RoleNotHeld,
    SystemReserved,
    UnknownRole,
)
from cme.services.permissions import first_permitted
from cme.services.principal import ROLES, Principal, is_system_name

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from cme.bootstrap import App

SELF_DECLARED = "roles are self-declared: no accounts exist (add one with cme user add)"


def os_login() -> str:
    """The operating-system login of this process: the name of its effective user id."""
    try:
        import pwd
    except ImportError:  # not POSIX: the login the platform reports
        import getpass

        return getpass.getuser()
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a user id with no entry (some containers)
        return f"uid:{os.geteuid()}"


def cli_principal(
    app: App, actor: str | None = None, role: str | None = None, action: str | None = None
) -> Principal:
    """The CLI's principal, from the flags, the settings and the accounts.

    Args:
        app: the application (settings, database, clock).
        actor: `--actor`, if given.
        role: `--role`, if given (it wins over `CME_ROLE`).
        action: the action about to be taken (a `permissions.PERMISSIONS` key); with an
            account and no role asked for, the account's first role that may take it.

    Raises:
        IdentityRefused: recorded in the access log first.
    """
    settings = app.settings
    claimed_actor = actor if actor is not None else settings.actor
    explicit_role = "role" in settings.model_fields_set
    claimed_role = role if role is not None else (settings.role if explicit_role else None)
    try:
        return _resolve(app, claimed_actor, claimed_role, action)
    except IdentityRefused as refusal:
        from cme.access import record_refusal

        who = claimed_actor or os_login()
        record_refusal(
            app, who, claimed_role or settings.role, None, action or "identity", str(refusal)
        )
        raise


def _resolve(
    app: App, claimed_actor: str | None, claimed_role: str | None, action: str | None
) -> Principal:
    from storage import accounts

    for what, value in (("role", claimed_role), ("actor", claimed_actor)):
        if value is not None and is_system_name(value):
            raise SystemReserved(what, value)
    if claimed_actor is not None:
        check_actor_name(claimed_actor)
    if not accounts.any_accounts(app.db):
        import getpass

        chosen = claimed_role or app.settings.role
        if chosen not in ROLES:
            raise UnknownRole(chosen, ROLES)
        return Principal(claimed_actor or getpass.getuser(), chosen, "cli")
    login = os_login()
    account = accounts.by_login(app.db, login)
    if account is None:
        raise NoAccount(login)
    if account.disabled:
        raise AccountDisabled(account.name, login)
    if claimed_actor is not None and claimed_actor != account.name:
        raise ActorMismatch(account.name, claimed_actor)
    if claimed_role is not None:
        if claimed_role not in ROLES:
            raise UnknownRole(claimed_role, ROLES)
        if claimed_role not in account.roles:
            raise RoleNotHeld(account.name, claimed_role, account.roles)
        chosen = claimed_role
    else:
        chosen = (first_permitted(account.roles, action) if action else None) or account.roles[0]
    return Principal(account.name, chosen, "cli", account=account.name)


def identity_problems(db: Engine) -> list[tuple[str, str]]:
    """(area, message) for `cme check`: roles self-declared, or no one left to administer."""
    from storage import accounts

    if not accounts.any_accounts(db):
        return [("identity", SELF_DECLARED)]
    if not any("admin" in a.roles and not a.disabled for a in accounts.all_accounts(db)):
        return [
            (
                "identity",
                "no enabled account holds the admin role: nobody can add, disable or restore "
                "(an operator with database access must add one)",
            )
        ]
    return []
