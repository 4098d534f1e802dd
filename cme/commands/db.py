"""`cme db`: check, back up and restore the database.

Exit status: 0 all well; 1 the data is damaged (an integrity problem, a broken audit chain, the
audit log's append-only guard missing, disabled or altered: `cme init` recreates it);
2 refused (a newer schema than this code knows, a PostgreSQL backup asked of the SQLite tool,
a restore over existing data without `--yes`), with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cme.access import reader
from cme.console import JsonOpt, RoleOpt, dump, get_app, refusals, refuse
from cme.services.admin import where as _where
from cme.services.identity import cli_principal

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from engine.audit import ChainReport

EXIT_DAMAGED = 1

db_app = typer.Typer(no_args_is_help=True, help="Check, back up and restore the database.")


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `cme db` to the application."""
    groups["app"].add_typer(db_app, name="db")


def _schema(engine: Engine) -> dict[str, Any]:
    from storage.migrate import current_revision, head_revision, known_revisions

    current, head = current_revision(engine), head_revision()
    if current is None:
        status = "missing"
    elif current not in known_revisions():
        status = "newer"
    elif current != head:
        status = "older"
    else:
        status = "current"
    return {"current": current, "head": head, "status": status}


SCHEMA_MESSAGES = {
    "missing": "the database has no schema: run `cme init`",
    "older": "the database schema ({current}) is older than this code ({head}): run `cme init`",
    "newer": (
        "the database schema ({current}) is newer than this version of cme knows ({head}): "
        "upgrade cme before using this database"
    ),
}


def _chains_json(report: ChainReport) -> dict[str, Any]:
    from storage.backup import iter_broken

    return {
        "cases": report.cases,
        "events": report.events,
        "ok": report.ok,
        "broken": list(iter_broken(report)),
    }


def _echo_chains(chains: dict[str, Any]) -> None:
    verdict = "ok" if chains["ok"] else f"{len(chains['broken'])} BROKEN"
    typer.echo(f"audit chains: {chains['cases']} cases, {chains['events']} events - {verdict}")
    for b in chains["broken"]:
        typer.echo(f"  case {b['case_id']} event {b['seq']}: {b['problem']}", err=True)


@db_app.command("check")
def check(
    integrity: Annotated[
        bool,
        typer.Option(
            "--integrity",
            help="Also run SQLite's integrity check, compare case rows with their events and "
            "walk every audit chain (reads the whole database).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check the schema revision (and, with --integrity, the data) of the database."""
    with refusals(as_json):
        application = get_app(check_schema=False)
        engine = application.db
        schema = _schema(engine)
    result: dict[str, Any] = {
        "database": _where(engine),
        "backend": engine.dialect.name,
        "schema": schema,
    }
    if schema["status"] != "current":
        message = SCHEMA_MESSAGES[schema["status"]].format(**schema)
        refuse(message, as_json, "SchemaError", schema=schema)
    from storage.guards import guard_problems

    guard = guard_problems(engine)
    result["append_only"] = {"ok": not guard, "problems": guard}
    from storage.schema import missing_indexes

    missing = missing_indexes(engine)
    result["indexes"] = {"ok": not missing, "missing": missing}  # `cme init` recreates them
    damaged = bool(guard or missing)
    if integrity:
        from storage.audit import verify_chains
        from storage.backup import consistency_problems, integrity_problems

        if engine.dialect.name == "sqlite":
            problems = integrity_problems(engine)
            result["integrity_check"] = {
                "applicable": True,
                "ok": not problems,
                "problems": problems,
            }
        else:
            result["integrity_check"] = {
                "applicable": False,
                "note": "PostgreSQL verifies its own pages (enable data checksums with initdb "
                "-k); the consistency query below checks cases against their events",
            }
            problems = []
        consistency = consistency_problems(engine)
        result["consistency"] = {"ok": not consistency, "problems": consistency}
        result["chains"] = _chains_json(verify_chains(engine))
        damaged = bool(damaged or problems or consistency or not result["chains"]["ok"])
    result["ok"] = not damaged
    if as_json:
        dump(result)
    else:
        typer.echo(
            f"Database {result['database']} ({result['backend']}): schema {schema['current']} "
            f"(this code knows up to {schema['head']}) - current"
        )
        if guard:
            typer.echo("append-only guard of the audit log: NOT WHOLE - run `cme init`")
            for p in guard:
                typer.echo(f"  {p}", err=True)
        else:
            typer.echo("append-only guard of the audit log: ok")
        if missing:
            typer.echo("indexes: MISSING " + ", ".join(missing) + " - run `cme init`")
        if integrity:
            ic = result["integrity_check"]
            if ic["applicable"]:
                typer.echo("integrity check: " + ("ok" if ic["ok"] else "FAILED"))
                for p in ic["problems"]:
                    typer.echo(f"  {p}", err=True)
            else:
                typer.echo(f"integrity check: not applicable - {ic['note']}")
            typer.echo("cases vs events: " + ("ok" if result["consistency"]["ok"] else "FAILED"))
            for p in result["consistency"]["problems"]:
                typer.echo(f"  {p}", err=True)
            _echo_chains(result["chains"])
    if damaged:
        raise typer.Exit(EXIT_DAMAGED)


def _postgres_refusal(what: str, engine: Engine, as_json: bool) -> None:
    from cme.services.admin import not_sqlite

    refusal = not_sqlite(what, engine)
    refuse(str(refusal), as_json, refusal.kind, **refusal.details())


@db_app.command("backup")
def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the copy (owner-only access).")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Copy the SQLite database to FILE while it is in use (online backup API)."""
    from cme.files import OutputRefused, check_output, database_files
    from storage.backup import BackupError, backup_sqlite, sqlite_path

    with refusals(as_json):
        application = get_app(check_schema=False)
    engine = application.db
    if sqlite_path(engine) is None:
        _postgres_refusal("backup", engine, as_json)
    with refusals(as_json):
        reader(application)  # a copy of every case: who asks must be known (probe B)
    try:
        check_output(
            file, force=force, protected=database_files(str(engine.url)), option="db backup FILE"
        )
        report = backup_sqlite(engine, file, overwrite=force)
    except OutputRefused as exc:
        refuse(str(exc), as_json, "OutputRefused", path=str(file))
    except BackupError as exc:
        refuse(str(exc), as_json, "BackupError")
    result = {
        "database": report.source,
        "backup": report.target,
        "pages": report.pages,
        "cases": report.cases,
        "events": report.events,
    }
    if as_json:
        dump(result)
    else:
        typer.echo(
            f"Backed up {report.source} to {report.target}: {report.cases} cases, "
            f"{report.events} events ({report.pages} pages, integrity ok)."
        )


@db_app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `cme db backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Replace a database that already has cases.")
    ] = False,
    as_json: JsonOpt = False,
    role: RoleOpt = None,
) -> None:
    """Restore the SQLite database from FILE, then verify every audit chain."""
    from cme.services.admin import restore as restore_database

    with refusals(as_json):
        application = get_app(check_schema=False)
        principal = cli_principal(application, None, role, "db.restore")
        done = restore_database(application, principal, file, replace=yes)
    chains = _chains_json(done.chains)
    result = {
        "database": done.database,
        "backup": done.backup,
        "schema": done.schema,
        "upgraded_to": done.upgraded_to,
        "cases": done.cases,
        "events": done.events,
        "chains": chains,
        "guards_recreated": done.guards_recreated,
        "ok": chains["ok"],
    }
    if as_json:
        dump(result)
    else:
        typer.echo(
            f"Restored {done.database} from {done.backup}: {done.cases} cases, "
            f"{done.events} events (schema {done.schema})."
        )
        if done.upgraded_to:
            typer.echo(
                f"Upgraded the schema from {done.schema} to {done.upgraded_to}, "
                "as `cme init` does."
            )
        if done.guards_recreated:
            typer.echo(
                "Recreated the audit log's append-only guard, missing or altered in the "
                "backup: " + "; ".join(done.guards_recreated) + ".",
                err=True,
            )
        _echo_chains(chains)
    if not chains["ok"]:
        raise typer.Exit(EXIT_DAMAGED)
