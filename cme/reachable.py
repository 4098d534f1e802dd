"""The database a setting names: its folder exists and the server answers, or a clear refusal.

`cme init` alone may create a SQLite database in a new place; any other command refuses a
`CME_DATABASE_URL` whose folder does not exist (a typing slip would otherwise create an empty
database there and carry on). A server that cannot be reached is named, with the reason, in
one line (exit 2) instead of a driver's traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cme.settings_rules import SettingsInvalid

VARIABLE = "CME_DATABASE_URL"


def require_folder(url: str) -> None:
    """Refuse a SQLite file URL whose folder does not exist (`cme init` creates it)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    folder = Path(parsed.database).parent
    if not folder.is_dir():
        raise SettingsInvalid(
            f"{VARIABLE}: the folder {str(folder)!r} of the SQLite database does not exist; "
            "check the URL, or run `cme init` to create the database there"
        )


@contextmanager
def reached(url: str) -> Iterator[None]:
    """Turn a database that cannot be reached (connect refused, unknown host, bad password,
    no such database) into `SettingsInvalid` naming the server, never the password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import InterfaceError, OperationalError

    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        if not _is_connect(exc):
            raise
        where = make_url(url).render_as_string(hide_password=True)
        reason = " ".join(str(exc.orig).split())[:300]
        raise SettingsInvalid(
            f"{VARIABLE}: cannot connect to the database {where}: {reason}"
        ) from None


def _is_connect(exc: Exception) -> bool:
    """Whether the error came from opening the connection (not from a statement)."""
    return getattr(exc, "connection_invalidated", False) or getattr(exc, "statement", None) in (
        None,
        "",
    )


def unreachable(exc: BaseException) -> str | None:
    """The refusal for a database connection that failed to open (None: another error)."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    if not isinstance(exc, OperationalError | InterfaceError) or not _is_connect(exc):
        return None
    reason = " ".join(str(exc.orig).split())[:300]
    return f"{VARIABLE}: cannot connect to the database: {reason}"
