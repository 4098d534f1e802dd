"""`cme serve`: the web application (cme/web) under uvicorn, with the scheduler in the same
process unless `--no-scheduler`.

The scheduler refuses to start while MASH or the CMEO has no address or there is no mail
server (`cme.scheduler.refuse_to_start`): `cme serve` then refuses too (exit 2), saying why,
unless `--no-scheduler` is given, in which case it serves and says loudly, at start, that no
deadline fires and no mail goes until a scheduler runs (`cme scheduler`, elsewhere).
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from cme.console import get_app, refusals, refuse


class WithoutQuery(logging.Filter):
    """Drops the query string from uvicorn's access-log lines: an API search
    (`GET /api/v1/cases?search=...`) names a child, and the terms are never logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `cme serve`."""
    groups["app"].command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    no_scheduler: Annotated[
        bool,
        typer.Option(
            "--no-scheduler",
            help="Serve pages only: no deadline fires and no mail goes from this process.",
        ),
    ] = False,
) -> None:
    """Serve the web application (GOV.UK-styled pages for caseworkers, MASH, managers and
    auditors); see docs/web.md. Stop it with Ctrl-C (or SIGTERM)."""
    import uvicorn

    from cme import console
    from cme.bootstrap import build_app
    from cme.scheduler import refuse_to_start, start_in_background
    from cme.web.app import create_app

    with refusals(False):
        checked = get_app(check_schema=False)
        problems = refuse_to_start(checked)
        if problems and not no_scheduler:
            refuse(
                "cme serve will not start: the scheduler cannot run here: "
                + "; ".join(problems)
                + ". Fix that (see `cme check`), or serve pages only with `cme serve "
                "--no-scheduler` and run the scheduler elsewhere.",
                False,
            )
        checked.check_schema()
        app = console.APP_FACTORY() if console.APP_FACTORY else build_app(checked.settings)
    if no_scheduler:
        typer.secho(
            "WARNING: serving WITHOUT the scheduler (--no-scheduler): no deadline fires and no "
            "mail (MASH escalations included) goes from this process. Run `cme scheduler` "
            "alongside, or deadlines will pass unnoticed.",
            fg="yellow",
            err=True,
        )
        if problems:
            typer.secho(
                "The scheduler could not run here anyway: " + "; ".join(problems), err=True
            )
    scheduler = None if no_scheduler else start_in_background(app, app.settings.tick_seconds)
    logging.getLogger("uvicorn.access").addFilter(WithoutQuery())
    typer.echo(f"cme web: http://{host}:{port}/ (Ctrl-C to stop)")
    try:
        uvicorn.run(
            create_app(app),
            host=host,
            port=port,
            proxy_headers=False,  # X-Forwarded-* only from CME_WEB_TRUSTED_PROXIES (cme.web.app)
            server_header=False,
            access_log=True,
            log_level="info",
        )
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
