"""`cme`: the command line for caseworkers, CME officers, auditors and operators.

Interactive by default at a terminal (menus and prompts); every value also has a flag, and
`--json` prints exactly one JSON document on stdout, for scripts. Refusals (an illegal step,
missing or invalid evidence, a rule, a conflict, a bad referral) exit with status 2 and say
which field or rule; nothing is written. Heavy modules are imported inside commands so that
`cme --help` answers at once.
"""

from __future__ import annotations

import sys

import typer

from cme.console import EXIT_REFUSED
from cme.console import dump as _dump

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="cme - casework for children missing education.",
)
case_app = typer.Typer(no_args_is_help=True, help="Open, read and advance cases.")
audit_app = typer.Typer(no_args_is_help=True, help="Read a case's audited history.")
workflow_app = typer.Typer(no_args_is_help=True, help="Validate and read process charts.")
app.add_typer(case_app, name="case")
app.add_typer(audit_app, name="audit")
app.add_typer(workflow_app, name="workflow")


# The commands live in cme/commands/, one module per group, each with its `register`: reading
# and changing a case (case.py), the queue (queue.py), the charts (workflow.py), `init` and
# `tick` (operations.py), audit (audit*.py), and the rest.
FIRST = ("case", "queue", "workflow", "operations")
"""Registered first and in this order, so that `--help` lists the commands as it always has;
every other module of cme/commands/ follows in name order."""


def main() -> None:
    """Console-script entry point."""
    from cme import console
    from cme.console import hold_collector
    from cme.log import configure_logging

    hold_collector()  # until the app is built (cme.console.release_collector)
    if len(sys.argv) < 2 or "--help" in sys.argv[1:]:
        configure_logging("WARNING")  # help needs no settings: it answers at once
    else:
        from cme.settings import SettingsInvalid, load_settings

        try:
            settings = load_settings()  # the one read of the configuration, refused first
        except SettingsInvalid as exc:
            if "--json" in sys.argv[1:]:
                _dump({"error": {"kind": "SettingsInvalid", "message": str(exc)}})
            typer.echo(str(exc), err=True)
            sys.exit(EXIT_REFUSED)
        configure_logging(settings.log_level, fmt=settings.log_format)
        console.SETTINGS = settings  # kept for the app: read once per process
    app()


def _register_command_modules() -> None:
    """Add the commands each module of `cme/commands/` defines (see its `register`)."""
    import importlib
    import pkgutil

    import cme.commands

    groups = {"app": app, "case": case_app, "audit": audit_app, "workflow": workflow_app}
    rest = [m.name for m in pkgutil.iter_modules(cme.commands.__path__) if m.name not in FIRST]
    for name in (*FIRST, *rest):
        importlib.import_module(f"cme.commands.{name}").register(groups)


_register_command_modules()


if __name__ == "__main__":
    main()
