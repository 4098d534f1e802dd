"""`cme user oidc NAME --subject SUB` (and `--remove`): bind an account to the person's
identity at the council's OpenID Connect provider, so they can sign in to the web pages with
it (docs/oidc.md). Administrators only; the issuer is `CME_OIDC_ISSUER`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cme.commands.users import user_app
from cme.console import JsonOpt, dump, get_app, refusals, refuse


def register(groups: dict[str, typer.Typer]) -> None:
    """`cme user oidc` joins `cme user` (cme/commands/users.py)."""
    user_app.command("oidc")(user_oidc)


def user_oidc(
    name: str,
    subject: Annotated[
        str | None,
        typer.Option("--subject", help="The person's `sub` at the provider (its stable id)."),
    ] = None,
    remove: Annotated[
        bool, typer.Option("--remove", help="Remove the account's binding instead.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Bind account NAME to its council sign-in (OpenID Connect subject), or remove it."""
    from cme.services.identity import cli_principal
    from cme.services.oidc_signin import bind_subject, unbind_subject

    if (subject is None) == (not remove):
        refuse("give either --subject SUB or --remove", as_json, "usage", field="subject")
    removed = False
    with refusals(as_json):
        app = get_app()
        principal = cli_principal(app, action="user.oidc")
        if remove:
            removed = unbind_subject(app, principal, name)
            issuer = app.settings.oidc_issuer
        else:
            assert subject is not None  # noqa: S101 - checked above
            issuer = bind_subject(app, principal, name, subject)
    if as_json:
        dump({"name": name, "issuer": issuer, "subject": subject, "removed": removed})
    elif remove:
        typer.echo(
            f"Removed {name}'s binding at {issuer}."
            if removed
            else f"{name} had no binding at {issuer}: nothing changed."
        )
    else:
        typer.echo(f"Bound {name} to subject {subject} at {issuer}.")
