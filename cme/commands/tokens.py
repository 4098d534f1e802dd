"""`cme token create|list|revoke`: bearer tokens for the systems that call the HTTP API.

In `cme token create`, `--role` names the token's role (as `cme user add --role` names the new
account's); the acting identity is the caller's own account or, while no account exists,
`CME_ROLE`. Administrators only. The token is printed once and never stored (its SHA-256 is).
"""

from __future__ import annotations

from typing import Annotated

import typer

from cme.console import JsonOpt, dump, get_app, refusals

token_app = typer.Typer(no_args_is_help=True, help="API tokens: which systems may call the API.")


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `cme token`."""
    groups["app"].add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The calling system, e.g. social-care.")],
    role: Annotated[str, typer.Option("--role", help="The role the token acts in.")],
    expires: Annotated[
        int | None, typer.Option("--expires", help="Days until it expires (default: never).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a token: NAME acts as `api:NAME` in ROLE. The token is shown once."""
    from cme.services.identity import cli_principal
    from cme.services.tokens import create

    with refusals(as_json):
        app = get_app()
        made = create(app, cli_principal(app, action="token.create"), name, role, expires)
        info = made.info.as_json(app.clock.now())
    if as_json:
        dump({"token": made.token, **info})
        return
    until = f", expires {info['expires_at'][:10]}" if info["expires_at"] else ""
    typer.echo(
        f"Created token {info['name']} (acts as {info['actor']}, role {info['role']}{until})."
    )
    typer.echo("Keep it now: it is not stored and cannot be shown again.")
    typer.echo(made.token)


@token_app.command("list")
def token_list(as_json: JsonOpt = False) -> None:
    """Every token: name, role, status (active, expired, revoked), expiry. Never the token."""
    from cme.services.identity import cli_principal
    from cme.services.tokens import list_tokens

    with refusals(as_json):
        app = get_app()
        now = app.clock.now()
        rows = [t.as_json(now) for t in list_tokens(app, cli_principal(app, action="token.list"))]
    if as_json:
        dump(rows)
        return
    if not rows:
        typer.echo("No API tokens (create one with `cme token create NAME --role ROLE`).")
    for r in rows:
        until = f"  expires {r['expires_at'][:10]}" if r["expires_at"] else ""
        typer.echo(f"{r['name']}  role {r['role']}  {r['status']}{until}")


@token_app.command("revoke")
def token_revoke(name: str, as_json: JsonOpt = False) -> None:
    """Revoke a token: every request with it is refused from now on."""
    from cme.services.identity import cli_principal
    from cme.services.tokens import revoke

    with refusals(as_json):
        app = get_app()
        info = revoke(app, cli_principal(app, action="token.revoke"), name).as_json(
            app.clock.now()
        )
    if as_json:
        dump(info)
    else:
        typer.echo(f"Revoked token {info['name']} (since {info['revoked_at']}).")
