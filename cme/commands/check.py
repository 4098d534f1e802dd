"""`cme check`: configuration readiness (cme/readiness.py): recipients, mail allow-list and
transport, calendar coverage, audit key. Exits 1 while anything needs fixing."""

from __future__ import annotations

import typer

from cme.console import JsonOpt, dump, get_app, refusals


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `check` to the `cme` command."""
    groups["app"].command("check")(check)


def check(as_json: JsonOpt = False) -> None:
    """Is this installation configured to operate safely? Lists each problem and how to fix
    it; exits 1 while there is any, 0 when there is none."""
    from cme.readiness import run_checks

    with refusals(as_json):
        result = run_checks(get_app(check_schema=False))
    if as_json:
        dump(result)
    elif result["ok"]:
        typer.echo(
            "cme check: ready (accounts, recipients, mail, calendar and audit key all configured)."
        )
    else:
        typer.echo(f"cme check: {len(result['problems'])} problem(s) to fix before operating:")
        for p in result["problems"]:
            typer.echo(f"  [{p['area']}] {p['message']}")
    if not result["ok"]:
        raise typer.Exit(1)
