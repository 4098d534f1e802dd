"""`cme user add --password-stdin` caps the password and refuses control characters; `cme
user disable` of a disabled account says it already was and writes nothing (hostile-tester
probe G). On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.identity.conftest import Desk, cme


@pytest.fixture
def admin(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Desk:
    desk.app().check_schema()
    monkeypatch.setenv("CME_ROLE", "admin")
    cme("user", "add", "ann", "--role", "admin", "--login", "ann")
    monkeypatch.delenv("CME_ROLE")
    desk.login = "ann"
    return desk


@pytest.mark.parametrize(
    ("stdin", "rule"),
    [
        ("\0" * (20 * 1024 * 1024), "at most 1024 characters"),
        ("\0\n", "control or invisible"),
        ("x" * 1025 + "\n", "at most 1024 characters"),
        ("pass\u202eword\n", "control or invisible"),
        ("pass\tword\n", "control or invisible"),
    ],
    ids=["20MB-NUL", "NUL", "1025-chars", "RLO", "tab"],
)
def test_a_hostile_password_is_refused(admin: Desk, stdin: str, rule: str) -> None:
    before = admin.snapshot()

    result = cme(
        "user", "add", "eve", "--role", "cmeo", "--login", "eve", "--password-stdin",
        code=2, stdin=stdin,
    )  # fmt: skip

    assert result.output.startswith("password: must")
    assert rule in result.output
    assert admin.snapshot() == before


def test_a_password_of_1024_characters_is_taken(admin: Desk) -> None:
    added = cme(
        "user", "add", "eve", "--role", "cmeo", "--login", "eve", "--password-stdin", "--json",
        stdin="é" * 1024 + "\n",
    )  # fmt: skip

    assert added["password"] is True


def test_disabling_a_disabled_account_says_so_and_writes_nothing(admin: Desk) -> None:
    cme("user", "add", "eve", "--role", "cmeo", "--login", "eve")
    first = cme("user", "disable", "eve", "--json")
    before = admin.snapshot()

    again = cme("user", "disable", "eve")
    again_json = cme("user", "disable", "eve", "--json")

    assert first["already_disabled"] is False
    assert "eve (login eve) was already disabled: nothing changed." in again.output
    assert again_json["already_disabled"] is True
    assert admin.snapshot() == before
