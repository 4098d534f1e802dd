"""The service navigation: each item, its address and the roles it is shown to.

Role-aware navigation only hides links: every page and action still checks the principal
(`cme.services.permissions`), whoever follows a link. A helper adding a page adds one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from cme.services.principal import ROLES


@dataclass(frozen=True, slots=True)
class NavItem:
    """One link in the service navigation."""

    label: str
    href: str
    roles: tuple[str, ...] = ROLES


NAV: list[NavItem] = [
    NavItem("My work", "/cases"),
    NavItem("My cases", "/my-cases", ("caseworker", "cmeo", "ehe_officer")),
    NavItem("MASH", "/mash", ("mash", "cmeo", "caseworker", "admin", "auditor")),
    NavItem("Manager", "/manager", ("cmeo", "admin", "auditor")),
]


def items_for(role: str | None, path: str) -> list[dict[str, object]]:
    """The links shown to `role`, the current one marked active."""
    if role is None:
        return []
    return [
        {
            "label": item.label,
            "href": item.href,
            "active": path == item.href or path.startswith(item.href + "/"),
        }
        for item in NAV
        if role in item.roles
    ]
