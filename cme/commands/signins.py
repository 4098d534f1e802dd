"""`cme audit signins`: every web sign-in, failure, lock-out, expiry and sign-out, newest
first (auditors and administrators; `cme.services.signin.attempts`)."""

from __future__ import annotations

from typing import Annotated

import typer

from cme.console import JsonOpt, dump, get_app, refusals


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `cme audit signins`."""
    groups["audit"].command("signins")(audit_signins)


def audit_signins(
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Web sign-ins and their outcomes (signed_in, failed, locked, expired, signed_out)."""
    from cme.services.identity import cli_principal
    from cme.services.signin import attempts

    with refusals(as_json):
        app = get_app()
        rows = attempts(app, cli_principal(app, action="user.list"), limit)
    if as_json:
        dump(rows)
        return
    if not rows:
        typer.echo("No sign-ins recorded.")
    for r in rows:
        account = f" ({r['account']})" if r["account"] and r["account"] != r["username"] else ""
        typer.echo(f"{str(r['at'])[:19]} {r['username']}{account}: {r['outcome']} [{r['door']}]")
