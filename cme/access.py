"""The access log: every read of a case through the CLI (or web) appends who, when and what,
and every refused attempt to act (`cme.services.permissions.authorize`) who tried what.

Auditors list it with `cme audit access CASE_ID`. A row names the case by id, never the child.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cme.bootstrap import App
    from engine.ports import Actor


def reader(app: App) -> Actor:
    """Who reads, established before anything is read (`identity.cli_principal`): with
    accounts, a login with no account or a disabled one is refused (exit 2) by every command
    that reads case data, as by every command that acts.

    Raises:
        IdentityRefused: recorded in the access log first.
    """
    from cme.services.identity import cli_principal

    return cli_principal(app).actor


def record(app: App, actor: Actor, case_id: int, action: str, detail: str = "") -> None:
    """Append one read of a case to the access log (its own short transaction).

    Args:
        app: the application (its database and clock).
        actor: who read the case (`app.actor(None, None)` on the CLI).
        case_id: the case read.
        action: what was read, e.g. `case show`, `audit replay`.
        detail: anything that narrows it (an as-of moment, an export file); never personal data.
    """
    from storage.audit import record_access

    record_access(app.db, app.clock.now(), actor.name, actor.role, [case_id], action, detail)


def record_many(
    app: App, actor: Actor, case_ids: list[int], action: str, detail: str = ""
) -> None:
    """Append one row per case read in a list (the queue), in one transaction."""
    from storage.audit import record_access

    record_access(app.db, app.clock.now(), actor.name, actor.role, case_ids, action, detail)


def record_refusal(
    app: App, actor: str, role: str, case_id: int | None, action: str, why: str
) -> None:
    """Append a refused attempt (an action a role may not take, an identity that cannot be
    claimed) to the access log; `case_id` None when it concerned no one case."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.access import record_refusal as record

    try:
        record(app.db, app.clock.now(), actor, role, case_id, action, why)
    except SQLAlchemyError as exc:  # no schema yet (before `cme init`), or one before 0005
        import logging

        logging.getLogger("cme.access").warning(
            "refusal not recorded in the access log (%s): %s", type(exc).__name__, why
        )
