"""Files that hold children's personal data: owner-only, never through a link, never half written.

Every file cme creates with personal data in it (the SQLite database, backups, exports, keys)
is created here: mode 0600 and folders 0700 whatever the umask, opened with `O_EXCL |
O_NOFOLLOW` so a planted symbolic link is never written through, and replaced atomically (a
temporary file in the same folder, fsync, rename, fsync of the folder) so a crash leaves the old
file or the new one, never half of either. `cme.files` adds the rules of the CLI's `--out`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
"""Owner-only: read and write by the account that runs cme."""
PRIVATE_DIR = 0o700
"""Owner-only folder."""

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def private_dir(folder: Path) -> None:
    """Create `folder` and its missing parents owner-only (0700); existing folders are left as
    they are (the operator's choice)."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, PRIVATE_DIR)
        except FileExistsError:
            continue  # made meanwhile by another process
        os.chmod(path, PRIVATE_DIR)  # the umask may have taken bits off; never adds any


def create_private(path: Path, mode: int = PRIVATE_FILE) -> int:
    """Create `path` (it must not exist, not even as a link) with exactly `mode`; return the
    open descriptor, for writing.

    Raises:
        FileExistsError: Something (a file, a folder, a symbolic link) is already there.
    """
    fd = os.open(path, _CREATE, mode)
    try:
        os.fchmod(fd, mode)  # the umask never widens, but may narrow: set exactly
    except BaseException:
        os.close(fd)
        raise
    return fd


def ensure_private_file(path: Path) -> bool:
    """Create an empty owner-only file at `path` unless something is there; True if created.

    SQLite gives its -wal and -shm files the database file's mode, so creating the database
    this way before SQLite opens it makes all three owner-only.
    """
    try:
        os.close(create_private(path))
    except FileExistsError:
        return False
    return True


def write_atomic(path: Path, data: bytes, *, replace: bool, mode: int = PRIVATE_FILE) -> None:
    """Write `data` to `path` all at once: a temporary file beside it (created exclusively,
    owner-only), fsync, then rename over `path` (`replace`) or link to it only if nothing is
    there (not `replace`: `FileExistsError`, never an overwrite, even in a race).

    A symbolic link at `path` is replaced itself, never written through.
    """
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.partial")
    fd = create_private(temporary, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path, follow_symlinks=False)
            temporary.unlink()
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def mode_of(path: Path) -> int | None:
    """The permission bits of `path` (not following a link); None if nothing is there."""
    try:
        return stat.S_IMODE(os.lstat(path).st_mode)
    except FileNotFoundError:
        return None
