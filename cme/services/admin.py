"""Administration, for every door: create or upgrade the schema (`init`) and restore the SQLite
database from a backup (`restore`), each then making sure the audit log's append-only guard is
whole.

Each takes the `Principal` its door established and asks `permissions.authorize` itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cme.services.errors import Refused
from cme.services.permissions import authorize

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from cme.bootstrap import App
    from cme.services.principal import Principal
    from engine.audit import ChainReport


def where(engine: Engine) -> str:
    """The database, named without its password."""
    return engine.url.render_as_string(hide_password=True)


def not_sqlite(what: str, engine: Engine) -> Refused:
    """The refusal of a SQLite-only operation (`backup`, `restore`) on PostgreSQL, naming
    PostgreSQL's own tools (`NotSQLite`, `commands`)."""
    from storage.backup import POSTGRES_BACKUP

    return Refused(
        f"cme db {what} copies SQLite files only. For PostgreSQL ({where(engine)}) use its "
        f"own tools:\n{POSTGRES_BACKUP}",
        "NotSQLite",
        commands=POSTGRES_BACKUP.splitlines(),
    )


@dataclass(frozen=True, slots=True)
class Initialised:
    """The schema before and after, the chart versions stored and the guards recreated."""

    database: str
    before: str | None
    after: str
    workflows: dict[str, str]
    guards_recreated: list[str]
    indexes_recreated: list[str] = field(default_factory=list)
    """Declared indexes the database had lost (`storage.schema.restore_indexes`)."""


def init(app: App, principal: Principal) -> Initialised:
    """Create or upgrade the database schema, recreate the audit log's append-only guard if
    it is not whole, and store the current chart versions.

    Raises:
        ServiceRefusal: the principal may not (recorded in the access log).
    """
    from cme.reachable import reached
    from storage.guards import restore_guards
    from storage.migrate import upgrade
    from storage.schema import restore_indexes

    authorize(app, principal, "init")
    with reached(app.settings.database_url):
        before, after = upgrade(app.db)
        repaired = restore_guards(app.db)
        indexes = restore_indexes(app.db)
    app.store_definitions()
    return Initialised(
        app.settings.database_url.split("@")[-1],
        before,
        after,
        {d.workflow: d.version for d in app.definitions},
        repaired,
        indexes,
    )


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore did: the files, the schema (and any upgrade), the counts restored, the
    guards recreated and the audit chains verified after."""

    database: str
    backup: str
    schema: str
    upgraded_to: str | None
    cases: int
    events: int
    chains: ChainReport
    guards_recreated: list[str]


def restore(app: App, principal: Principal, file: Path, replace: bool = False) -> Restored:
    """Restore the SQLite database from `file` (a `cme db backup`), upgrade its schema as
    `cme init` would, recreate a missing guard and verify every audit chain.

    Args:
        replace: replace a database that already holds cases or events (`--yes`).

    Raises:
        ServiceRefusal: the principal may not (recorded in the access log).
        Refused: `NotSQLite` (PostgreSQL: use its tools), `BackupError` (not a cme backup, a
            newer schema, or data in the way without `replace`).
    """
    from storage.audit import verify_chains
    from storage.backup import (
        BackupError,
        backup_revision,
        restore_sqlite,
        sqlite_path,
        target_counts,
    )
    from storage.guards import restore_guards
    from storage.migrate import head_revision, known_revisions, upgrade

    authorize(app, principal, "db.restore")
    engine = app.db
    if sqlite_path(engine) is None:
        raise not_sqlite("restore", engine)
    try:
        revision = backup_revision(file)
        if revision is None:
            raise BackupError(f"{file} has no cme schema: it is not a cme backup")
        if revision not in known_revisions():
            raise BackupError(
                f"{file} has schema {revision}, newer than this version of cme knows: "
                "upgrade cme before restoring it"
            )
        cases, events = target_counts(engine)
        if (cases or events) and not replace:
            raise BackupError(
                f"{where(engine)} already holds {cases} cases and {events} events: "
                "back it up first, then pass --yes to replace it"
            )
        report = restore_sqlite(engine, file)
    except BackupError as exc:
        raise Refused(str(exc), "BackupError") from exc
    schema = head_revision()
    if revision != schema:
        upgrade(engine)  # as `init` would: this code reads only its own schema
    repaired = restore_guards(engine)  # a backup without them must not restore unguarded
    return Restored(
        report.target,
        report.source,
        revision,
        schema if revision != schema else None,
        report.cases,
        report.events,
        verify_chains(engine),
        repaired,
    )
