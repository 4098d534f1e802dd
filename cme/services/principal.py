"""Who acts: a `Principal` is built once per request by the door it came through.

The CLI builds it from the account bound to the operating-system login (`identity`), the
scheduler uses `SCHEDULER` (the `system` role, which no other door can claim), and the web
pages and HTTP API will build it from a signed-in account or a bearer token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the engine loads when a command acts, not when `cme --help` starts
    from engine.ports import Actor

Door = Literal["cli", "scheduler", "web", "api"]
DOORS: tuple[Door, ...] = ("cli", "scheduler", "web", "api")

ROLES = ("caseworker", "cmeo", "ehe_officer", "mash", "auditor", "admin")
"""The roles a person can hold (the charts' `roles`, less `system`)."""
SYSTEM_ROLE = "system"
"""The scheduler's role: timers and automatic rules. Never held by a person."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated actor: who, in which role, through which door."""

    who: str
    role: str
    door: Door
    account: str | None = None
    """The account the identity was established from (None: roles are self-declared)."""

    @property
    def actor(self) -> Actor:
        """The engine's view: the name and role written on every event."""
        from engine.ports import Actor

        return Actor(self.who, self.role)

    @property
    def is_system(self) -> bool:
        """The scheduler's own principal (the only one that may hold `system`)."""
        return self.role == SYSTEM_ROLE and self.door == "scheduler"


SCHEDULER = Principal("system:timer", SYSTEM_ROLE, "scheduler")
"""The scheduler's principal (`cme scheduler` and its one pass, `cme tick`): the engine's
`SYSTEM_TIMER` (a test keeps them equal)."""


def is_system_name(name: str) -> bool:
    """Whether `name` would pass for the system in the audit trail (`system`, `system:...`,
    whatever the case or surrounding blanks)."""
    folded = name.strip().casefold()
    return folded == SYSTEM_ROLE or folded.startswith(SYSTEM_ROLE + ":")
