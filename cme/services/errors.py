"""The application layer's refusals: who may not do what, and why, in words an operator reads.

::

    ServiceRefusal                  a door turns it into its refusal (CLI: exit status 2)
    ├── Refused                     a use case's own refusal, its `kind` named by the door
    ├── NotPermitted                the role may not take this action (permissions table)
    ├── AccountRefused              an account cannot be added or changed as asked
    └── IdentityRefused             the acting identity cannot be established or claimed
        ├── UnknownRole             a role no part of cme knows
        ├── SystemReserved          `system` or a `system:` actor claimed by a person
        ├── NoAccount               accounts exist but none is bound to this login
        ├── AccountDisabled         the bound account is disabled
        ├── RoleNotHeld             a role outside the bound account's roles
        └── ActorMismatch           --actor / CME_ACTOR names someone other than the account
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ServiceRefusal(Exception):
    """Base of every refusal the application layer raises on purpose; nothing was written."""

    @property
    def kind(self) -> str:
        """The refusal's name in the CLI's `--json` error document (`error.kind`)."""
        return type(self).__name__

    def details(self) -> dict[str, Any]:
        """Machine-readable fields beside the message (the CLI's `--json` error document)."""
        return {}


class Refused(ServiceRefusal):
    """A use case's own refusal (no hold to release, a message that cannot be retried...):
    the message names the field or rule; `kind` is what the CLI has always called it."""

    def __init__(self, message: str, kind: str = "refused", **details: Any) -> None:
        self._kind, self._details = kind, details
        super().__init__(message)

    @property
    def kind(self) -> str:
        """The name given at construction (`refused` unless said)."""
        return self._kind

    def details(self) -> dict[str, Any]:
        """The fields given at construction."""
        return dict(self._details)


class NotPermitted(ServiceRefusal):
    """The principal's role may not take `action` (see `cme.services.permissions`)."""

    def __init__(
        self, action: str, role: str, allowed: Sequence[str], command: str, why: str = ""
    ) -> None:
        self.action, self.role, self.allowed = action, role, tuple(allowed)
        reason = why or f"allowed: {', '.join(self.allowed)}"
        super().__init__(f"role '{role}' may not {command} ({reason})")

    def details(self) -> dict[str, Any]:
        """The action, the role refused and the roles allowed."""
        return {"action": self.action, "role": self.role, "allowed": list(self.allowed)}


class IdentityRefused(ServiceRefusal):
    """Who acts could not be established, or was claimed without right."""


class UnknownRole(IdentityRefused):
    """A role that is not one of cme's."""

    def __init__(self, role: str, known: Sequence[str]) -> None:
        self.role, self.known = role, tuple(known)
        super().__init__(f"role '{role}' is unknown (known roles: {', '.join(self.known)})")

    def details(self) -> dict[str, Any]:
        """The role given and the known roles."""
        return {"role": self.role, "known": list(self.known)}


class SystemReserved(IdentityRefused):
    """The `system` role, or an actor named `system:...`, claimed by a person."""

    def __init__(self, what: str, value: str) -> None:
        self.what, self.value = what, value
        super().__init__(
            f"{what} '{value}' is reserved: `system` and `system:` actors are the scheduler's "
            "and the engine's alone and can never be claimed (--role, --actor, CME_ROLE, "
            "CME_ACTOR); deadlines are fired by `cme scheduler` or `cme tick`"
        )

    def details(self) -> dict[str, Any]:
        """Which value was refused."""
        return {self.what: self.value}


class NoAccount(IdentityRefused):
    """Accounts exist, and none is bound to the operating-system login."""

    def __init__(self, login: str) -> None:
        self.login = login
        super().__init__(
            f"login '{login}' has no cme account: an administrator adds one with "
            f"`cme user add NAME --role ROLE --login {login}`"
        )

    def details(self) -> dict[str, Any]:
        """The login refused."""
        return {"login": self.login}


class AccountDisabled(IdentityRefused):
    """The account bound to the login is disabled."""

    def __init__(self, name: str, login: str) -> None:
        self.name, self.login = name, login
        super().__init__(f"account '{name}' (login '{login}') is disabled")

    def details(self) -> dict[str, Any]:
        """The account and login refused."""
        return {"account": self.name, "login": self.login}


class RoleNotHeld(IdentityRefused):
    """A role the bound account does not hold."""

    def __init__(self, name: str, role: str, held: Sequence[str]) -> None:
        self.name, self.role, self.held = name, role, tuple(held)
        super().__init__(
            f"role '{role}' is not one of account '{name}''s roles ({', '.join(self.held)}): "
            "--role (or CME_ROLE) may only choose among them"
        )

    def details(self) -> dict[str, Any]:
        """The account, the role asked for and the roles it holds."""
        return {"account": self.name, "role": self.role, "roles": list(self.held)}


class ActorMismatch(IdentityRefused):
    """--actor or CME_ACTOR names someone other than the bound account."""

    def __init__(self, name: str, claimed: str) -> None:
        self.name, self.claimed = name, claimed
        super().__init__(
            f"actor '{claimed}': you act as your account '{name}' (bound to your login); "
            "--actor and CME_ACTOR may not name anyone else"
        )

    def details(self) -> dict[str, Any]:
        """The account and the name claimed."""
        return {"account": self.name, "actor": self.claimed}


class AccountRefused(ServiceRefusal):
    """An account cannot be added or changed as asked (field and rule)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")

    def details(self) -> dict[str, Any]:
        """The field refused."""
        return {"field": self.field}
