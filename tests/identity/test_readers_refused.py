"""Reading case data needs the same identity as acting (hostile-tester probe B): once accounts
exist, a disabled account or a login with no account is refused (exit 2, recorded) by every
command that reads case data, before anything is read or written; and `case timeline` and
`notifications preview` of a case are written to the access log like `case show`. On SQLite and
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.audit import access_log
from tests.identity.conftest import Desk, cme


def _readers(case_id: int, folder: Path) -> list[tuple[str, ...]]:
    case = str(case_id)
    return [
        ("case", "show", case, "--json"),
        ("case", "timeline", case, "--json"),
        ("case", "actions", case, "--json"),
        ("cases", "--json"),
        ("notifications", "preview", "case_stalled", case, "--json"),
        ("outbox", "list", "--json"),
        ("audit", "access", case, "--json"),
        ("audit", "verify", "--json"),
        ("audit", "verify", case, "--json"),
        ("audit", "history", case, "--json"),
        ("audit", "replay", case, "--json"),
        ("audit", "export", case, "--out", str(folder / "export.jsonl"), "--json"),
        ("audit", "refusals", "--json"),
    ]


@pytest.fixture
def accounts(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> int:
    """ann (admin, cmeo) on login ann; eve (caseworker) on login eve, disabled; a case."""
    case_id = desk.open_case()
    monkeypatch.setenv("CME_ROLE", "admin")
    cme("user", "add", "ann", "--role", "admin", "--role", "cmeo", "--login", "ann")
    monkeypatch.delenv("CME_ROLE")
    desk.login = "ann"
    cme("user", "add", "eve", "--role", "caseworker", "--login", "eve")
    cme("user", "disable", "eve")
    return case_id


@pytest.mark.parametrize("login", ["eve", "stranger"])
def test_a_disabled_or_unknown_login_reads_nothing(
    desk: Desk, accounts: int, login: str, tmp_path: Path
) -> None:
    desk.login = login
    before = desk.snapshot()
    for args in _readers(accounts, tmp_path):
        refused = cme(*args, code=2)
        assert refused["error"]["kind"] in ("AccountDisabled", "NoAccount"), args
        assert login in refused["error"]["message"], args
    assert desk.snapshot() == before
    assert not (tmp_path / "export.jsonl").exists()
    assert len(desk.refusals()) >= len(_readers(accounts, tmp_path))


def test_a_disabled_login_cannot_back_up_the_database(
    sqlite_desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sqlite_desk.open_case()
    monkeypatch.setenv("CME_ROLE", "admin")
    cme("user", "add", "ann", "--role", "admin", "--login", "ann")
    monkeypatch.delenv("CME_ROLE")
    sqlite_desk.login = "nobody-here"

    refused = cme("db", "backup", str(tmp_path / "copy.db"), "--json", code=2)

    assert refused["error"]["kind"] == "NoAccount"
    assert not (tmp_path / "copy.db").exists()


def test_timeline_and_preview_are_in_the_access_log(desk: Desk, accounts: int) -> None:
    desk.login = "ann"
    cme("case", "timeline", str(accounts), "--json")
    cme("notifications", "preview", "case_stalled", str(accounts), "--json")

    rows = [(r["actor"], r["action"], r["detail"]) for r in access_log(desk.db, accounts)]

    assert ("ann", "case timeline", "") in rows
    assert ("ann", "notifications preview", "case_stalled") in rows
