"""The rules of every file a command writes where it is told (`--out`, `db backup FILE`).

One helper for all of them, so no command can be pointed at the live database:

- never the database file, its `-wal`, `-shm` or `-journal` file (not even with `--force`, not
  through another name for the same file);
- never a symbolic link (cme never writes through a link), never a folder or a device;
- never an existing file unless `--force` is given;
- written atomically (temporary file in the same folder, fsync, rename), owner-only (0600).

A refusal exits with status 2 and names the path and the rule (`cme.console.refuse`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cme.console import refuse
from storage.files import write_atomic

__all__ = ["OutputRefused", "check_output", "database_files", "write_output"]

_SIDE_FILES = ("-wal", "-shm", "-journal")


class OutputRefused(Exception):
    """A file a command was told to write breaks one of the rules (the message names it)."""


def database_files(database_url: str) -> list[Path]:
    """The SQLite database file and its side files ([] for PostgreSQL or in memory)."""
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError):  # a URL SQLAlchemy cannot read names no file
        return []
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return []
    main = Path(url.database)
    return [main, *(main.with_name(main.name + s) for s in _SIDE_FILES)]


def _same(path: Path, other: Path) -> bool:
    """Whether two names lead to one file: the same resolved name, or the same inode (a hard
    link, or a folder reached through a link)."""
    if _resolved(path) == _resolved(other):
        return True
    try:
        return os.path.samefile(path, other)
    except OSError:
        return False


def _resolved(path: Path) -> Path:
    # The folder resolved, the last part as written: the last part may be a link, refused
    # on its own rule.
    return path.parent.resolve() / path.name


def check_output(path: Path, *, force: bool, protected: Sequence[Path], option: str) -> None:
    """Refuse to write `path` when it breaks a rule (see the module).

    Raises:
        OutputRefused: Naming `option`, the path and the rule.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputRefused(f"{option}: cannot use {path}: {exc.strerror}") from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise OutputRefused(
            f"{option}: {path} is a symbolic link; cme never writes through a link "
            "(name the real file)"
        )
    for guarded in protected:
        if _same(path, guarded):
            raise OutputRefused(
                f"{option}: {path} is the database's own file ({guarded.name}); "
                "it is never overwritten, not even with --force"
            )
    if info is None:
        return
    if not stat.S_ISREG(info.st_mode):
        raise OutputRefused(f"{option}: {path} exists and is not a regular file")
    if not force:
        raise OutputRefused(
            f"{option}: {path} exists; choose another name or pass --force to replace it"
        )


def write_output(
    path: Path,
    data: bytes,
    *,
    force: bool,
    database_url: str,
    as_json: bool,
    option: str = "--out",
) -> None:
    """Check `path` against the rules and write `data` there atomically, owner-only; on a
    refusal or a failed write, exit 2 naming the path and the rule, having written nothing."""
    try:
        check_output(path, force=force, protected=database_files(database_url), option=option)
        write_atomic(path, data, replace=force)
    except OutputRefused as exc:
        refuse(str(exc), as_json, "OutputRefused", path=str(path))
    except FileExistsError:  # appeared between the check and the write
        refuse(
            f"{option}: {path} exists; choose another name or pass --force to replace it",
            as_json,
            "OutputRefused",
            path=str(path),
        )
    except OSError as exc:
        refuse(f"{option}: cannot write {path}: {exc.strerror}", as_json, "BadInput")
