"""`cme audit verify`: every hash chain in the database (or one case's) and the latest signed
checkpoint, or an export file with no database (`--file`). It parses, calls one service
(`cme.services.verify`, `cme.services.export`) and prints.

Exit status: 0 all verify; 1 something is broken (named: the case, the seq, the problem);
2 a refusal, naming its rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cme.access import reader
from cme.commands.audit import EXIT_BROKEN, KeyOpt, _public_key
from cme.console import JsonOpt, case_id_of, dump, get_app, refusals, refuse

if TYPE_CHECKING:
    from cme.services.verify import Verification


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `cme audit verify`."""
    groups["audit"].command("verify")(verify)


def verify(
    case_id: Annotated[
        int | None,
        typer.Argument(
            help="Only this case (CME-000001 or its id).", parser=case_id_of, metavar="[CASE]"
        ),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Verify an export (JSONL), no database.")
    ] = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Walk every hash chain (or one) and the latest signed checkpoint; name the first broken
    link of each case. Exit status 1 when anything is broken."""
    if file is not None:
        _verify_file(file, key, as_json)
        return
    from cme.services.verify import verify as verify_chains

    with refusals(as_json):
        application = get_app()
        reader(application)  # a disabled or unknown login reads nothing
        report = verify_chains(application, case_id, lambda: _public_key(key, as_json))
    if as_json:
        dump(report.as_json())
    else:
        _print(report)
    if not report.ok:
        raise typer.Exit(EXIT_BROKEN)


def _print(report: Verification) -> None:
    from cme.services.verify import link_json

    for b in report.broken:
        where = f"{link_json(b)['ref']} seq {b.seq}" if b.case_id else "checkpoint"
        line = f"BROKEN {where}: {b.problem}"
        if b.expected or b.stored:
            line += f" (expected {b.expected or '-'}, stored {b.stored or '-'})"
        typer.echo(line)
    checkpoint = report.checkpoint
    cp = (
        f"; checkpoint {checkpoint['id']} of {checkpoint['created_at']}: "
        f"signature {checkpoint['signature']}"
        if checkpoint
        else "; no checkpoint yet (cme audit checkpoint)"
    )
    verdict = "all verify" if report.ok else f"{len(report.broken)} broken"
    typer.echo(f"{report.cases} cases, {report.events} events: {verdict}{cp}")


def _verify_file(file: Path, key: Path | None, as_json: bool) -> None:
    """Verify an export with no database (`cme.services.export.verify_export`)."""
    from cme.export_lines import read_export_bytes
    from cme.inputs import InputRefused
    from cme.services.export import verify_export
    from cme.services.verify import ExportUnreadable

    try:
        raw = read_export_bytes(file)
    except InputRefused as exc:
        refuse(str(exc), as_json, "BadInput")
    try:
        result = verify_export(raw, str(file), lambda: _public_key(key, as_json))
    except ExportUnreadable as exc:
        refuse(str(exc), as_json, "BadInput")
    if as_json:
        dump(result.as_json())
    else:
        for b in result.broken:
            typer.echo(f"BROKEN seq {b.seq}: {b.problem}")
        for p in result.replay_problems:
            typer.echo(f"NOT LEGAL: {p}")
        verdict = "verifies" if result.ok else "does NOT verify"
        typer.echo(
            f"{file}: {result.events} events of case {result.case_id} {verdict}; "
            f"signature {result.signature}"
        )
    if not result.ok:
        raise typer.Exit(EXIT_BROKEN)
