"""`cme ctf export` and `cme ctf import`: Common Transfer Files (logic in cme/services/ctf.py
and cme/services/ctf_import.py).

Exit status: 0 done; 2 refused (a setting missing, a hostile or malformed file, a pupil whose
UPN or dates break a rule, possible duplicates, no matching case), with nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cme.console import ActorOpt, CaseId, JsonOpt, RoleOpt, dump, get_app, refusals
from cme.services.identity import cli_principal

ctf_app = typer.Typer(no_args_is_help=True, help="Write and read Common Transfer Files (CTF).")


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `cme ctf` to the application."""
    groups["app"].add_typer(ctf_app, name="ctf")


@ctf_app.command("export")
def export(
    case_id: CaseId,
    out: Annotated[Path, typer.Option("--out", help="The folder the file is written to.")],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Destination LAESTAB (7 digits), XXXXXXX (not known: the lost-pupil area) "
            "or MMMMMMM (moved abroad).",
        ),
    ] = "XXXXXXX",
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a CTF for the case's child (LLLEEEE_CTF_DDDdddd_NNN.xml), validated against the
    CTF schema, and record the export on the case."""
    from cme.services.ctf import export_ctf

    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application, actor, role, "ctf.export")
        done = export_ctf(application, principal, case_id, to, out)
    if as_json:
        dump(done.as_json())
        return
    typer.echo(f"Wrote {done.path} (sequence {done.sequence} to {done.destination}).")


@ctf_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="The CTF (XML, UTF-8, under 50 MB).")],
    open_case: Annotated[
        str | None,
        typer.Option(
            "--open-case",
            help="Open a case on this workflow for a pupil no case holds (e.g. school-referral).",
        ),
    ] = None,
    attach: Annotated[
        int | None,
        typer.Option("--attach", min=1, help="Attach the (one) pupil to this case."),
    ] = None,
    first_absence_date: Annotated[
        str | None,
        typer.Option(
            "--first-absence-date",
            help="For a new case: the pupil's first day of absence (YYYY-MM-DD).",
        ),
    ] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Read a school's CTF: attach each pupil to the case holding its UPN, or open a case;
    pupils matched only by name and date of birth are reported, never merged."""
    from cme.services.ctf_import import import_ctf

    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application, actor, role, "ctf.import")
        done = import_ctf(application, principal, file, open_case, attach, first_absence_date)
    if as_json:
        dump(done.as_json())
        return
    for p in done.pupils:
        line = f"{p.upn or 'pupil without UPN'}: {p.action} case {p.case_id}"
        if p.possible_duplicates:
            line += " - possible duplicates: " + ", ".join(map(str, p.possible_duplicates))
        typer.echo(line)
