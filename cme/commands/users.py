"""`cme user add|list|disable` (accounts, bound to operating-system logins) and
`cme audit refusals` (every refused attempt to act, from the access log).

In `cme user add`, `--role` names the new account's roles; the acting identity is the caller's
own account or, while no account exists, `CME_ROLE` (so the first administrator is added with
`CME_ROLE=admin cme user add NAME --role admin --login OSUSER`).
"""

from __future__ import annotations

import sys
import unicodedata
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cme.access import reader
from cme.console import JsonOpt, dump, get_app, interactive, refusals, refuse

if TYPE_CHECKING:
    from storage.accounts import Account

user_app = typer.Typer(no_args_is_help=True, help="Accounts: who may use cme, in which roles.")


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `cme user` and `cme audit refusals`."""
    groups["app"].add_typer(user_app, name="user")
    groups["audit"].command("refusals")(audit_refusals)


def account_json(a: Account) -> dict[str, Any]:
    """One account as `user list --json` prints it (never the password hash)."""
    return {
        "name": a.name,
        "login": a.login,
        "roles": list(a.roles),
        "disabled": a.disabled,
        "created_at": a.created_at.isoformat(),
        "password": a.has_password,
    }


MAX_PASSWORD = 1024
"""The longest password `--password-stdin` takes (characters)."""


def _read_password(as_json: bool) -> str:
    """One line of stdin: at most `MAX_PASSWORD` characters, no control or invisible ones."""
    line = sys.stdin.readline(MAX_PASSWORD + 2)
    password = line.rstrip("\r\n")
    if not password:
        refuse("password: --password-stdin read an empty line", as_json, "AccountRefused")
    return _checked_password(password, as_json)


def _checked_password(password: str, as_json: bool) -> str:
    from engine.text import REFUSED_CATEGORIES

    if len(password) > MAX_PASSWORD:
        refuse(
            f"password: must be at most {MAX_PASSWORD} characters on one line",
            as_json,
            "AccountRefused",
            field="password",
        )
    for index, char in enumerate(password, start=1):
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            refuse(
                f"password: must not contain control or invisible characters (found "
                f"U+{ord(char):04X} at position {index})",
                as_json,
                "AccountRefused",
                field="password",
            )
    return password


def _prompt_password(as_json: bool) -> str | None:
    """At a terminal: a password for the web sign-in, typed twice (empty: none, CLI only)."""
    password = typer.prompt(
        "Password for the web sign-in (leave empty for none: the CLI only)",
        default="",
        show_default=False,
        hide_input=True,
        confirmation_prompt="Repeat the password",
    )
    return _checked_password(password, as_json) if password else None


@user_app.command("add")
def user_add(
    name: str,
    role: Annotated[
        list[str],
        typer.Option(
            "--role", help="A role of the new account (repeat; the first is its default)."
        ),
    ],
    login: Annotated[str, typer.Option("--login", help="The operating-system login it binds.")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read a password (web sign-in) from stdin."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add an account: NAME acts, bound to LOGIN, in the roles given."""
    from cme.services.accounts import add_user
    from cme.services.identity import cli_principal

    password = None
    if password_stdin:
        password = _read_password(as_json)
    elif interactive() and not as_json:
        password = _prompt_password(as_json)
    with refusals(as_json):
        app = get_app()
        account = add_user(app, cli_principal(app, action="user.add"), name, role, login, password)
    if as_json:
        dump(account_json(account))
    else:
        typer.echo(
            f"Added {account.name} (login {account.login}) with roles {', '.join(account.roles)}."
        )


@user_app.command("list")
def user_list(as_json: JsonOpt = False) -> None:
    """Every account: name, login, roles, disabled or not."""
    from cme.services.accounts import list_users
    from cme.services.identity import cli_principal

    with refusals(as_json):
        app = get_app()
        rows = [account_json(a) for a in list_users(app, cli_principal(app, action="user.list"))]
    if as_json:
        dump(rows)
        return
    if not rows:
        typer.echo("No accounts: roles are self-declared (add one with `cme user add`).")
    for r in rows:
        state = " [disabled]" if r["disabled"] else ""
        typer.echo(f"{r['name']}  login {r['login']}  roles {', '.join(r['roles'])}{state}")


@user_app.command("disable")
def user_disable(name: str, as_json: JsonOpt = False) -> None:
    """Disable an account: its login can no longer act."""
    from cme.services.accounts import disable_user
    from cme.services.identity import cli_principal
    from storage.accounts import by_name

    with refusals(as_json):
        app = get_app()
        principal = cli_principal(app, action="user.disable")
        before = by_name(app.db, name)
        account = disable_user(app, principal, name)
    already = before is not None and before.disabled
    if as_json:
        dump({**account_json(account), "already_disabled": already})
    elif already:
        typer.echo(
            f"{account.name} (login {account.login}) was already disabled: nothing changed."
        )
    else:
        typer.echo(f"Disabled {account.name} (login {account.login}).")


def audit_refusals(
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Refused attempts to act, newest first: who, in which role, what, and why."""
    from storage.access import refusals as refused

    with refusals(as_json):
        app = get_app()
        reader(app)
        rows = [
            {
                "at": r["at"].isoformat(),
                "actor": r["actor"],
                "role": r["role"],
                "case_id": r["case_id"],
                "detail": r["detail"],
            }
            for r in refused(app.db, limit)
        ]
    if as_json:
        dump(rows)
        return
    for r in rows:
        case = f" case {r['case_id']}" if r["case_id"] is not None else ""
        typer.echo(f"{r['at'][:19]} {r['actor']} ({r['role']}){case}: {r['detail']}")
