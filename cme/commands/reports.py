"""`cme report monthly|annual|register|dfe-return` and `cme case reason`.

Each report is printed (or written with `--out FILE`, under the rules of `cme.files`: never
the database, never through a link, never over an existing file without `--force`) as md,
html, csv or json. Bad input exits 2 naming the flag. The reports come from the application
layer (`cme.services.reports`), as the web page and the API will.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cme.console import ActorOpt, CaseId, JsonOpt, RoleOpt, dump, get_app, refusals, refuse

if TYPE_CHECKING:
    from collections.abc import Callable

    from cme.bootstrap import App
    from cme.services.principal import Principal

report_app = typer.Typer(no_args_is_help=True, help="Reports and the DfE's termly CME return.")

FormatOpt = Annotated[str, typer.Option("--format", help="md, html, csv or json.")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Write to this file (not over an existing one).")
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")]


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `report` to `cme`, and `reason` to `cme case`."""
    groups["app"].add_typer(report_app, name="report")
    groups["case"].command("reason")(case_reason)


def _emit(
    fmt: str,
    out: Path | None,
    force: bool,
    action: str,
    role: str | None,
    make: Callable[[App, Principal], dict[str, Any]],
    as_json: bool = False,
) -> None:
    from cme.reports.render import FORMATS, render
    from cme.services.identity import cli_principal

    if as_json:
        fmt = "json"
    if fmt not in FORMATS:
        refuse(f"--format: must be one of {', '.join(FORMATS)} (got {fmt!r})", as_json, "BadInput")
    with refusals(as_json):
        application = get_app()
        doc = make(application, cli_principal(application, None, role, action))
        text = render(doc, fmt)
    if out is None:
        typer.echo(text, nl=False)
        return
    from cme.files import write_output

    url = application.settings.database_url
    write_output(out, text.encode("utf-8"), force=force, database_url=url, as_json=as_json)
    typer.echo(f"Wrote {out}.", err=True)


@report_app.command("monthly")
def report_monthly(
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM (ended).")],
    fmt: FormatOpt = "md",
    out: OutOpt = None,
    force: ForceOpt = False,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The monthly service performance report (no personal data)."""
    from cme.services import reports

    _emit(
        fmt, out, force, "report.monthly", role, lambda a, p: reports.monthly(a, p, month), as_json
    )


@report_app.command("annual")
def report_annual(
    year: Annotated[str, typer.Option("--year", help="The year the period starts, YYYY.")],
    basis: Annotated[
        str, typer.Option("--basis", help="school (Sep-Aug) or financial (Apr-Mar).")
    ] = "school",
    fmt: FormatOpt = "md",
    out: OutOpt = None,
    force: ForceOpt = False,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The annual report to the safeguarding board (no personal data)."""
    from cme.services import reports

    _emit(
        fmt,
        out,
        force,
        "report.annual",
        role,
        lambda a, p: reports.annual(a, p, year, basis),
        as_json,
    )


@report_app.command("register")
def report_register(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="A date (YYYY-MM-DD) or date-time with offset; default now."),
    ] = None,
    fmt: FormatOpt = "md",
    out: OutOpt = None,
    force: ForceOpt = False,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The register of open cases, naming the children (access-logged)."""
    from cme.services import reports

    _emit(
        fmt,
        out,
        force,
        "report.register",
        role,
        lambda a, p: reports.register(a, p, as_of),
        as_json,
    )


@report_app.command("dfe-return")
def report_dfe_return(
    term: Annotated[str, typer.Option("--term", help="autumn, spring or summer.")],
    year: Annotated[str, typer.Option("--year", help="The collection year, YYYY/YY.")],
    census_date: Annotated[
        str | None,
        typer.Option("--census-date", help="Override the data file's census day, YYYY-MM-DD."),
    ] = None,
    rounded: Annotated[
        bool, typer.Option("--rounded", help="Round as the DfE publishes LA figures (nearest 10).")
    ] = False,
    fmt: FormatOpt = "md",
    out: OutOpt = None,
    force: ForceOpt = False,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The DfE's termly children-missing-education return (no personal data)."""
    from cme.services import reports

    _emit(
        fmt,
        out,
        force,
        "report.dfe_return",
        role,
        lambda a, p: reports.dfe_return(a, p, year, term, census_date, rounded),
        as_json,
    )


def case_reason(
    case_id: CaseId,
    reason: Annotated[str, typer.Option("--reason", help="A code of the DfE return's list.")],
    note: Annotated[str, typer.Option("--note", help="Why (optional).")] = "",
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a case's primary reason for CME (the DfE return counts it), with history."""
    from cme.services.identity import cli_principal
    from cme.services.reports import set_primary_reason

    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application, actor, role, "case.reason")
        event = set_primary_reason(application, principal, case_id, reason, note)
    if as_json:
        dump({"case_id": event.case_id, "seq": event.seq, **event.evidence})
        return
    typer.echo(f"Case {event.case_id}: primary reason for CME is now {reason}.")
