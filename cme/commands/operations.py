"""`cme init` (create or upgrade the schema) and `cme tick` (one scheduler pass, for cron)."""

from __future__ import annotations

import typer

from cme.console import JsonOpt, RoleOpt, refusals
from cme.console import dump as _dump
from cme.console import get_app as _app
from cme.services.identity import cli_principal


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `init` and `tick` to the `cme` command."""
    groups["app"].command("init")(init)
    groups["app"].command("tick")(tick)


def init(as_json: JsonOpt = False, role: RoleOpt = None) -> None:
    """Create or upgrade the database schema, and store the current chart versions."""
    from cme.services.admin import init as initialise

    with refusals(as_json):
        application = _app(check_schema=False, create=True)
        principal = cli_principal(application, None, role, "init")
        done = initialise(application, principal)
    result = {
        "database": done.database,
        "from": done.before,
        "to": done.after,
        "workflows": done.workflows,
        "guards_recreated": done.guards_recreated,
        "indexes_recreated": done.indexes_recreated,
    }
    if as_json:
        _dump(result)
    else:
        before, after = done.before, done.after
        verb = "created" if before is None else ("upgraded" if before != after else "up to date")
        typer.echo(f"Database {result['database']}: schema {verb} (revision {after}).")
        _echo_recreated(done.guards_recreated)
        if done.indexes_recreated:
            typer.echo("Recreated missing indexes: " + ", ".join(done.indexes_recreated), err=True)


def _echo_recreated(repaired: list[str]) -> None:
    if repaired:
        typer.echo(
            "Recreated the audit log's append-only guard, which was not whole: "
            + "; ".join(repaired)
            + ".",
            err=True,
        )


def tick(as_json: JsonOpt = False) -> None:
    """Fire every deadline that has fallen due, once, deliver the outbox, and exit (cron).

    Exits 1 while any notification has no address (each role and what to set is named), while
    a MASH escalation has failed and not been sent since (each case named), and when mail was
    written to files for want of `CME_SMTP_HOST` (unless `CME_MAIL_FILES_ONLY=true`)."""
    from cme.scheduler import one_pass

    with refusals(as_json):
        application = _app()  # the system acts (cme.services.tick); no flag or variable counts
        if as_json:
            import contextlib
            import io

            with contextlib.redirect_stdout(io.StringIO()):
                result = one_pass(application)
            _dump(result)
        else:
            result = one_pass(application)
    # fail loud: a notification that reached nobody is an error until it is resolved
    errors = []
    if result["unaddressed"]:
        roles = ", ".join(sorted({m["role"] for m in result["unaddressed"]}))
        errors.append(f"notifications not addressed (roles: {roles})")
    if result["mash_undelivered"]:
        errors.append(f"MASH escalations not delivered: {', '.join(result['mash_undelivered'])}")
    if result["written_to_files_only"]:
        errors.append("mail written to files, not sent (set CME_SMTP_HOST)")
    for error in errors:
        typer.echo(f"error: {error}", err=True)
    if errors:
        raise typer.Exit(1)
