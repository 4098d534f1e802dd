"""The one table of permissions: every action that changes anything, and the roles that may
take it. Every door asks `authorize` before it acts; a refusal is typed and is recorded in the
access log (`cme audit refusals`), whichever door it came through.

Reading (show, actions, queue, history, replay, verify, export, preview) is open to every
known role and kept in the access log (cme/access.py); so are `cme db backup` (a copy, as the
database file's own permissions allow) and `cme audit keygen` (a key file: what counts is which
key an operator configures). `case advance`, `case pause` and
`case resume` are checked twice: here (may this role do casework at all?) and by the engine
against the chart (the trigger's `roles`, the chart's `pause_roles`). Triggers whose only role
is `system` are fired by the scheduler alone.

The README's "Who may do what" table is generated from `PERMISSIONS` (`make diagrams`; a test
keeps them equal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cme.services.errors import NotPermitted, SystemReserved, UnknownRole
from cme.services.principal import ROLES, SYSTEM_ROLE, Principal

if TYPE_CHECKING:
    from cme.bootstrap import App


@dataclass(frozen=True, slots=True)
class Permission:
    """Who may take one action, and the command that takes it."""

    roles: tuple[str, ...]
    command: str
    note: str = ""


CASEWORK = ("caseworker", "cmeo")
ADMIN = ("admin",)

PERMISSIONS: dict[str, Permission] = {
    "case.open": Permission(CASEWORK, "cme case open"),
    "case.advance": Permission(
        ("caseworker", "cmeo", "ehe_officer", "mash", SYSTEM_ROLE),
        "cme case advance",
        "and only the roles the chart names for the trigger; steps whose only role is "
        "`system` (deadlines, automatic rules): the scheduler alone",
    ),
    "case.pause": Permission(CASEWORK, "cme case pause", "and the chart's `pause_roles`"),
    "case.resume": Permission(CASEWORK, "cme case resume", "and the chart's `pause_roles`"),
    "case.note": Permission(
        ("caseworker", "cmeo", "ehe_officer", "mash"), "cme case note", "in any state"
    ),
    "case.assign": Permission(CASEWORK, "cme case assign"),
    "case.correct": Permission(CASEWORK, "cme case correct", "a reason is required"),
    "case.letter": Permission(
        ("caseworker", "cmeo", "ehe_officer"), "cme case letter", "kept in the access log"
    ),
    "outbox.retry": Permission(("cmeo", "admin"), "cme outbox retry"),
    "calendar.reproject": Permission(("cmeo", "admin"), "cme calendar reproject"),
    "calendar.import": Permission(ADMIN, "cme calendar import"),
    "audit.hold": Permission(
        ("cmeo", "auditor", "admin"), "cme audit hold --reason", "a hold only stops erasure"
    ),
    "audit.hold.release": Permission(ADMIN, "cme audit hold --release"),
    "audit.erase.dry_run": Permission(("auditor", "admin"), "cme audit erase --dry-run"),
    "audit.erase": Permission(ADMIN, "cme audit erase"),
    "audit.checkpoint": Permission(
        ("auditor", "admin", SYSTEM_ROLE), "cme audit checkpoint", "and the scheduler, nightly"
    ),
    "workflow.migrate.dry_run": Permission(("cmeo", "admin"), "cme workflow migrate --dry-run"),
    "workflow.migrate": Permission(ADMIN, "cme workflow migrate"),
    "db.restore": Permission(ADMIN, "cme db restore"),
    "init": Permission(
        ("cmeo", "admin"), "cme init", "creates or upgrades the schema, as any first command does"
    ),
    "user.add": Permission(ADMIN, "cme user add"),
    "user.disable": Permission(ADMIN, "cme user disable"),
    "user.list": Permission(("auditor", "admin"), "cme user list"),
    "ctf.export": Permission(CASEWORK, "cme ctf export", "recorded on the case"),
    "ctf.import": Permission(CASEWORK, "cme ctf import"),
    "register.import": Permission(("cmeo", "admin"), "cme import register"),
    "register.export": Permission(
        ("cmeo", "auditor", "admin"), "cme export register", "every case exported is logged"
    ),
    "token.create": Permission(ADMIN, "cme token create", "a calling system's API token"),
    "token.list": Permission(ADMIN, "cme token list"),
    "token.revoke": Permission(ADMIN, "cme token revoke"),
    "case.reason": Permission(
        CASEWORK, "cme case reason", "the primary reason for CME the DfE return counts"
    ),
    "report.monthly": Permission(
        ("cmeo", "auditor", "admin", SYSTEM_ROLE),
        "cme report monthly",
        "no personal data; the scheduler sends it to the manager (CME_REPORT_MAIL)",
    ),
    "report.annual": Permission(
        ("cmeo", "auditor", "admin"), "cme report annual", "no personal data"
    ),
    "report.dfe_return": Permission(
        ("cmeo", "auditor", "admin"), "cme report dfe-return", "no personal data"
    ),
    "report.register": Permission(
        ("cmeo", "auditor", "admin"),
        "cme report register",
        "names children: every case listed is recorded in the access log",
    ),
    "user.oidc": Permission(
        ADMIN, "cme user oidc", "binds an account to its council sign-in (OpenID Connect)"
    ),
    "tick": Permission(
        (SYSTEM_ROLE,),
        "cme tick",
        "the scheduler's pass: it acts as `system`, whoever starts it, and fires only what is due",
    ),
}
"""action -> who may take it. `system` appears only where the scheduler acts."""


def may(role: str, action: str) -> bool:
    """Whether `role` may take `action`."""
    return role in PERMISSIONS[action].roles


def first_permitted(roles: tuple[str, ...], action: str) -> str | None:
    """The first of `roles` that may take `action` (an account's default role for it)."""
    return next((r for r in roles if may(r, action)), None)


def authorize(
    app: App,
    principal: Principal,
    action: str,
    case_id: int | None = None,
    what: str | None = None,
) -> None:
    """Refuse (typed, recorded in the access log) unless `principal` may take `action`.

    Args:
        app: the application (its database and clock, for the access log).
        principal: who acts, in which role, through which door.
        action: a key of `PERMISSIONS`.
        case_id: the case acted on, if one (the refusal is then listed with the case).
        what: the step attempted, in words (`begin_enquiries`), if narrower than the command.

    Raises:
        SystemReserved: `system` claimed through any door but the scheduler's.
        UnknownRole: a role cme does not know.
        NotPermitted: the role may not take the action.
    """
    permission = PERMISSIONS[action]
    refusal: Exception | None = None
    if principal.role == SYSTEM_ROLE and principal.door != "scheduler":
        refusal = SystemReserved("role", principal.role)
    elif principal.role != SYSTEM_ROLE and principal.role not in ROLES:
        refusal = UnknownRole(principal.role, ROLES)
    elif principal.role not in permission.roles:
        allowed = tuple(r for r in permission.roles if r != SYSTEM_ROLE) or ("the scheduler",)
        if what:
            refusal = NotPermitted(
                action,
                principal.role,
                allowed,
                what.replace("_", " "),
                f"`{permission.command}` is for {', '.join(allowed)}",
            )
        else:
            refusal = NotPermitted(action, principal.role, allowed, f"run `{permission.command}`")
    if refusal is not None:
        from cme.access import record_refusal

        record_refusal(app, principal.who, principal.role, case_id, action, str(refusal))
        raise refusal


# --- the README's table ------------------------------------------------------------------------
def markdown() -> str:
    """The README's table: one row per action, one column per role."""
    header = "| command | " + " | ".join(f"`{r}`" for r in ROLES) + " | note |"
    rule = "| --- | " + " | ".join(":---:" for _ in ROLES) + " | --- |"
    rows = [
        f"| `{p.command}` | "
        + " | ".join("yes" if r in p.roles else "" for r in ROLES)
        + f" | {p.note} |"
        for p in PERMISSIONS.values()
    ]
    return "\n".join([header, rule, *rows])


SECTION = re.compile(r"(<!-- permissions -->\n)(?:.*?\n)?(<!-- /permissions -->)", re.S)


def render_readme(text: str) -> str:
    """`text` with its permissions section replaced by the table of `PERMISSIONS`."""
    return SECTION.sub(lambda m: m.group(1) + markdown() + "\n" + m.group(2), text)
