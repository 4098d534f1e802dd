"""`cme import register` and `cme export register`: an authority's CME register in and out
(logic in cme/services/register_import.py and cme/services/register_export.py).

Exit status: 0 done (or a clean dry run); 2 refused: the file or mapping cannot be used, or a
row is bad and `--skip-bad-rows` was not given (every bad row is listed; nothing written).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cme.console import EXIT_REFUSED, ActorOpt, JsonOpt, RoleOpt, dump, get_app, refusals
from cme.services.identity import cli_principal

if TYPE_CHECKING:
    from cme.services.register_import import RegisterImport

import_app = typer.Typer(no_args_is_help=True, help="Bring data in from other systems.")
export_app = typer.Typer(no_args_is_help=True, help="Hand data to other systems.")
PROGRESS_FROM = 500
"""Rows from which a progress bar is shown (at a terminal, without --json)."""


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `cme import` and `cme export` to the application."""
    groups["app"].add_typer(import_app, name="import")
    groups["app"].add_typer(export_app, name="export")


@import_app.command("register")
def import_register(
    file: Annotated[Path, typer.Argument(help="The register as CSV (UTF-8, header row).")],
    mapping: Annotated[Path, typer.Option("--mapping", help="How its columns map to cme (YAML).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row; write nothing.")
    ] = False,
    skip_bad_rows: Annotated[
        bool,
        typer.Option("--skip-bad-rows", help="Import the good rows even if some are bad."),
    ] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Bring an existing CME register in: each row a case in its state, by an audited
    `imported` event carrying the row; deadlines projected from the register's dates."""
    from cme.services.register_import import import_register as run

    with refusals(as_json), _Progress(not as_json) as progress:
        application = get_app()
        principal = cli_principal(application, actor, role, "register.import")
        done = run(application, principal, file, mapping, dry_run, skip_bad_rows, progress)
    refused = bool(done.bad_rows) and not skip_bad_rows
    if as_json:
        dump(done.as_json())
    else:
        _report(done)
    if refused:
        raise typer.Exit(EXIT_REFUSED)


def _report(done: RegisterImport) -> None:
    for b in done.bad_rows:
        column = f" (column {b.column!r})" if b.column else ""
        typer.echo(f"row {b.row}: {b.field}{column}: {b.rule}", err=True)
    bad = len(done.bad_row_numbers)
    if done.written:
        typer.echo(f"Imported {len(done.case_ids)} cases on {done.workflow}; {bad} bad rows.")
    elif done.dry_run:
        typer.echo(f"Dry run: {done.good} rows would be imported, {bad} bad; nothing written.")
    elif bad:
        typer.echo(
            f"{bad} bad rows: nothing written (fix them, or --skip-bad-rows to import the "
            f"{done.good} good ones).",
            err=True,
        )
    else:
        typer.echo("No rows to import.")


class _Progress:
    """A rich progress bar for long imports, at a terminal only (a callback or None)."""

    def __init__(self, wanted: bool) -> None:
        self.wanted = wanted and sys.stderr.isatty()
        self.bar: Any = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> Any:
        if not self.wanted:
            return None
        return self.update

    def update(self, phase: str, done: int, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
        if phase not in self.tasks:
            self.tasks[phase] = self.bar.add_task(phase, total=total)
        self.bar.update(self.tasks[phase], completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@export_app.command("register")
def export_register(
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: standard output).")
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Refusals as one JSON document; with --out, a summary ({cases, path}).",
        ),
    ] = False,
) -> None:
    """Every case, one row each (CSV or JSON), for other systems; kept in the access log."""
    from cme.services.register_export import export_register as run

    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application, actor, role, "register.export")
        if out is None:
            count = run(application, principal, fmt, sys.stdout)
        else:
            partial = out.with_name(f".{out.name}.partial")
            try:
                with partial.open("w", encoding="utf-8", newline="") as stream:
                    count = run(application, principal, fmt, stream)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            partial.replace(out)
    if out is not None and as_json:
        dump({"cases": count, "path": str(out)})
    elif out is not None:
        typer.echo(f"Wrote {count} cases to {out}.", err=True)
