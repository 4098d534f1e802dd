"""Files holding children's data (issue 13, items 4, 8 and 9).

Every `--out` (audit export, audit keygen, workflow diagram) and `db backup FILE` refuses the
database and its WAL/SHM files, symbolic links, and an existing file unless `--force`; writes are
atomic and owner-only. The database, its WAL and SHM, `var/`, outbox `.eml` files and exports
are created 0600 (folders 0700) under umask 022; the outbox never writes through a planted link.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cme import cli, console
from notifications.smtp import FileSender
from notifications.testing import outbox_message
from storage.database import make_engine
from storage.files import write_atomic
from tests.support import school_referral

runner = CliRunner()


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    """The usual umask: without care, every new file is world-readable."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CME_DATABASE_URL", f"sqlite:///{tmp_path}/var/cme.db")
    monkeypatch.setenv("CME_ACTOR", "tester")
    monkeypatch.setattr(console, "APP_FACTORY", None)
    return tmp_path / "var" / "cme.db"


def cme(*args: str, code: int = 0) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if "--json" in args and code == 0:
        return json.loads(result.stdout)
    return result


def one_case(folder: Path) -> None:
    cme("init")
    path = folder / "referral.json"
    path.write_text(json.dumps(school_referral(first_absence_date="2026-01-05")))
    cme("case", "open", "--workflow", "school-referral", "--file", str(path))


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# --- item 4: every --out ---------------------------------------------------------------------
def test_audit_export_never_overwrites_the_database_or_its_wal_and_shm(database: Path) -> None:
    one_case(database.parent.parent)
    before = database.read_bytes()
    for target in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        target.touch()
        for extra in ((), ("--force",)):
            refused = cme("audit", "export", "1", "--out", str(target), *extra, code=2)
            assert str(target) in refused.output
            assert "database's own file" in refused.output
    assert database.read_bytes() == before
    assert cme("db", "check", "--integrity", "--json")["ok"]


def test_audit_export_refuses_the_database_under_another_name(
    database: Path, tmp_path: Path
) -> None:
    one_case(tmp_path)
    hard = tmp_path / "innocent.jsonl"
    os.link(database, hard)
    dotted = tmp_path / "var" / ".." / "var" / "cme.db"

    for target in (hard, dotted):
        refused = cme("audit", "export", "1", "--out", str(target), "--force", code=2)
        assert "database's own file" in refused.output


def test_audit_export_refuses_an_existing_file_unless_forced(
    database: Path, tmp_path: Path
) -> None:
    one_case(tmp_path)
    out = tmp_path / "case-1.jsonl"
    out.write_text("keep me")

    refused = cme("audit", "export", "1", "--out", str(out), "--json", code=2)
    assert json.loads(refused.stdout)["error"]["kind"] == "OutputRefused"
    assert "exists; choose another name or pass --force" in refused.output
    assert out.read_text() == "keep me"

    cme("audit", "export", "1", "--out", str(out), "--force")
    assert json.loads(out.read_text().splitlines()[0])["kind"] == "case"
    assert mode(out) == 0o600
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_audit_export_refuses_a_symbolic_link_even_with_force(
    database: Path, tmp_path: Path
) -> None:
    one_case(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for name, target in (("link.jsonl", victim), ("dangling.jsonl", tmp_path / "nowhere")):
        link = tmp_path / name
        link.symlink_to(target)
        refused = cme("audit", "export", "1", "--out", str(link), "--force", code=2)
        assert "symbolic link" in refused.output
        assert str(link) in refused.output
    assert victim.read_text() == "precious"
    assert not (tmp_path / "nowhere").exists()


def test_a_new_export_is_owner_only(database: Path, tmp_path: Path) -> None:
    one_case(tmp_path)
    out = tmp_path / "exports" / "case-1.jsonl"

    cme("audit", "export", "1", "--out", str(out))

    assert mode(out) == 0o600
    assert mode(out.parent) == 0o700


def test_keygen_refuses_the_database_and_links_and_writes_owner_only(
    database: Path, tmp_path: Path
) -> None:
    cme("init")
    refused = cme("audit", "keygen", "--out", str(Path(f"{database}-wal")), code=2)
    assert "database's own file" in refused.output
    (tmp_path / "key.pem.pub").symlink_to(tmp_path / "elsewhere")
    refused = cme("audit", "keygen", "--out", str(tmp_path / "key.pem"), code=2)
    assert not (tmp_path / "elsewhere").exists()

    cme("audit", "keygen", "--out", str(tmp_path / "new.pem"))
    assert mode(tmp_path / "new.pem") == 0o600
    assert mode(tmp_path / "new.pem.pub") == 0o600


def test_db_backup_refuses_the_wal_file_and_links(database: Path, tmp_path: Path) -> None:
    one_case(tmp_path)
    wal = Path(f"{database}-wal")
    wal.touch()
    refused = cme("db", "backup", str(wal), "--force", code=2)
    assert "database's own file" in refused.output
    link = tmp_path / "backup.db"
    link.symlink_to(tmp_path / "victim.db")
    refused = cme("db", "backup", str(link), "--force", code=2)
    assert "symbolic link" in refused.output
    assert not (tmp_path / "victim.db").exists()


def test_workflow_diagram_out_follows_the_same_rules(database: Path, tmp_path: Path) -> None:
    cme("init")
    before = database.read_bytes()
    cme("workflow", "diagram", "school-referral", "--out", str(database), "--force", code=2)
    assert database.read_bytes() == before
    out = tmp_path / "chart.mmd"
    out.write_text("old")
    cme("workflow", "diagram", "school-referral", "--out", str(out), code=2)
    cme("workflow", "diagram", "school-referral", "--out", str(out), "--force")
    assert "stateDiagram-v2" in out.read_text()


def test_an_atomic_write_never_clobbers_without_replace(tmp_path: Path) -> None:
    target = tmp_path / "x"
    write_atomic(target, b"one", replace=False)
    with pytest.raises(FileExistsError):
        write_atomic(target, b"two", replace=False)
    assert target.read_bytes() == b"one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]


# --- item 8: owner-only under umask 022 --------------------------------------------------------
def test_the_database_its_wal_and_shm_and_var_are_owner_only(database: Path) -> None:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as conn:  # a write, while the connection stays open: -wal, -shm
            conn.exec_driver_sql("CREATE TABLE t (x)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT * FROM t").all()
            files = {p.name: mode(p) for p in database.parent.iterdir()}
    finally:
        engine.dispose()

    assert files == {"cme.db": 0o600, "cme.db-wal": 0o600, "cme.db-shm": 0o600}
    assert mode(database.parent) == 0o700


def test_a_database_made_by_cme_init_is_owner_only(database: Path) -> None:
    cme("init")

    assert mode(database) == 0o600
    assert mode(database.parent) == 0o700
    with sqlite3.connect(database) as conn:  # still a database SQLite reads
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


def test_outbox_files_and_folder_are_owner_only(tmp_path: Path) -> None:
    sender = FileSender(tmp_path / "var" / "outbox")

    sender.send(outbox_message(7, template="pro_forma"))

    assert mode(tmp_path / "var" / "outbox" / "7-pro_forma.eml") == 0o600
    assert mode(tmp_path / "var" / "outbox") == 0o700
    assert mode(tmp_path / "var") == 0o700


# --- item 9: the outbox never follows a planted link ---------------------------------------------
def test_a_planted_partial_link_is_not_written_through(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (outbox / "7-pro_forma.eml.partial").symlink_to(victim)
    (tmp_path / "dangling-target").unlink(missing_ok=True)
    (outbox / "8-pro_forma.eml.partial").symlink_to(tmp_path / "dangling-target")

    FileSender(outbox).send(outbox_message(7, template="pro_forma"))
    FileSender(outbox).send(outbox_message(8, template="pro_forma"))

    assert victim.read_text() == "precious"
    assert not (tmp_path / "dangling-target").exists()
    written = outbox / "7-pro_forma.eml"
    assert not written.is_symlink() and mode(written) == 0o600
    assert b"Message-ID" in written.read_bytes()
    assert sorted(p.name for p in outbox.iterdir()) == ["7-pro_forma.eml", "8-pro_forma.eml"]


def test_a_planted_link_at_the_message_file_is_replaced_not_followed(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (outbox / "7-pro_forma.eml").symlink_to(victim)

    FileSender(outbox).send(outbox_message(7, template="pro_forma"))

    assert victim.read_text() == "precious"
    assert not (outbox / "7-pro_forma.eml").is_symlink()
