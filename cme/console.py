"""Shared plumbing for every `cme` command: options, JSON output, refusals, the app.

Command modules (`cme/cli.py`, `cme/commands/*.py`) import from here, never from each other.
A refusal exits with status 2 and prints its message (and, with `--json`, one error document).
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from cme.services.views import deadline_json

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.settings import Settings

__all__ = ["deadline_json"]  # the read models moved to cme.services.views; kept for callers

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def _one_line(value: str | None) -> str | None:
    """`--actor`: one line, no control or invisible characters (engine.text), NFC."""
    if value is None:
        return None
    from engine.text import TextRefused, single_line

    try:
        return single_line(value, max_length=200) or None
    except TextRefused as exc:
        raise typer.BadParameter(str(exc)) from None


ActorOpt = Annotated[
    str | None,
    typer.Option(
        "--actor",
        help="Who is acting (default: CME_ACTOR or your login name).",
        callback=_one_line,
    ),
]
RoleOpt = Annotated[
    str | None, typer.Option("--role", help="The actor's role (default: CME_ROLE or cmeo).")
]
EXIT_REFUSED = 2
MAX_ID = 2**63 - 1
"""Ids are 64-bit signed integers in the database: a larger number names no row."""


def case_id_of(value: str) -> int:
    """A case argument: `CME-000001` or the case's id (cme.services.refs); other text is a
    usage error (exit status 2) naming the argument."""
    from cme.services.refs import BadCaseReference, parse_case_ref

    try:
        return parse_case_ref(value, "CASE")
    except BadCaseReference as exc:
        raise typer.BadParameter(str(exc).removeprefix("CASE: ")) from None


CaseId = Annotated[
    int,
    typer.Argument(
        parser=case_id_of,
        metavar="CASE",
        help="The case: its reference (CME-000001) or its id.",
        show_default=False,
    ),
]


def interactive() -> bool:
    """Prompts only at a real terminal."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def dump(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def refuse(message: str, as_json: bool, kind: str = "refused", **details: Any) -> NoReturn:
    if as_json:
        dump({"error": {"kind": kind, "message": message, **details}})
    typer.echo(message, err=True)
    raise typer.Exit(EXIT_REFUSED)


@contextmanager
def refusals(as_json: bool) -> Iterator[None]:
    """Turn every expected refusal into exit status 2 with its message."""
    from cme.bootstrap import SchemaError
    from cme.services.errors import ServiceRefusal
    from cme.settings_rules import SettingsInvalid
    from engine.errors import (
        CaseNotFound,
        ConcurrentUpdate,
        DefinitionError,
        EvidenceInvalid,
        OpeningRefused,
        TransitionRefused,
    )

    try:
        yield
    except (EvidenceInvalid, OpeningRefused) as exc:
        refuse(
            str(exc),
            as_json,
            type(exc).__name__,
            problems=[{"field": p.field, "rule": p.rule} for p in exc.problems],
        )
    except TransitionRefused as exc:
        blocks = [{"guard": b.guard, "reason": b.reason} for b in getattr(exc, "blocks", ())]
        refuse(str(exc), as_json, type(exc).__name__, **({"blocked_by": blocks} if blocks else {}))
    except (ConcurrentUpdate, CaseNotFound, DefinitionError, SchemaError) as exc:
        refuse(str(exc), as_json, type(exc).__name__)
    except ServiceRefusal as exc:  # who may do what (cme.services): issue 13
        refuse(str(exc), as_json, exc.kind, **exc.details())
    except SettingsInvalid as exc:
        refuse(str(exc), as_json, "SettingsInvalid")
    except Exception as exc:  # a database that cannot be reached, whenever it is first used
        from cme.reachable import unreachable

        message = unreachable(exc)
        if message is None:
            raise
        refuse(message, as_json, "SettingsInvalid")


APP_FACTORY: Callable[[], App] | None = None
"""Set by the demo (and tests) to build the app with another clock; None: the environment's."""

SETTINGS: Settings | None = None
"""The configuration `cme.cli.main` read once for this process (the log, then the app); None
(a test invoking the commands in-process): read when the app is built."""


def current_settings() -> Settings:
    """The configuration in force: the process's (read once by `cme.cli.main`), else the app's
    (`APP_FACTORY`, the demo and tests), else read now."""
    if SETTINGS is not None:
        return SETTINGS
    if APP_FACTORY is not None:
        return APP_FACTORY().settings
    return _read_settings()


def configure_process() -> None:
    """Read the configuration once for this process (`cme.cli.main`): set up the operator log
    from it and keep it for the app. A configuration that does not validate is left for the
    command to report (building the app reads it again and refuses, naming the field)."""
    from cme.log import configure_logging
    from cme.settings import SettingsInvalid

    global SETTINGS  # once per process, before any command runs
    try:
        SETTINGS = _read_settings()
    except SettingsInvalid:
        configure_logging("WARNING", fmt="json")
        return
    configure_logging(SETTINGS.log_level, fmt=SETTINGS.log_format)


def _read_settings() -> Settings:
    from cme.settings import load_settings

    return load_settings()


def get_app(check_schema: bool = True, create: bool = False) -> App:
    """The application (built from the environment unless `APP_FACTORY` is set).

    Raises `SettingsInvalid` for a malformed setting, a SQLite database whose folder does not
    exist (unless `create`: `cme init`) or a database that cannot be reached.
    """
    from cme.bootstrap import build_app
    from cme.reachable import reached, require_folder

    application = APP_FACTORY() if APP_FACTORY is not None else build_app(SETTINGS, pooled=False)
    if not create:
        require_folder(application.settings.database_url)
    with reached(application.settings.database_url):
        if check_schema:
            application.check_schema()
    if application.settings.deadlines:
        application.checked_deadlines()
    release_collector()
    return application


_COLLECTOR = {"held": False}


def hold_collector() -> None:
    """Turn the cycle collector off while a command starts (`cme.cli.main` calls this first).

    Start-up builds long-lived objects (modules, settings, the charts) and next to no garbage;
    the collector would walk them again and again as they load, and once more at exit: about a
    third of `cme case show`'s wall time (bench figure 7). `release_collector` turns it back on
    once the app is built.
    """
    gc.disable()
    _COLLECTOR["held"] = True


def release_collector() -> None:
    """After start-up: freeze what it built (`gc.freeze`: no collection walks it again, the one
    at exit included) and turn the collector back on, so a long-running command (`cme
    scheduler`) collects as usual from here. Does nothing unless `hold_collector` turned it off
    (tests and the demo run commands in-process, with the collector on)."""
    if _COLLECTOR["held"]:
        _COLLECTOR["held"] = False
        gc.freeze()
        gc.enable()
