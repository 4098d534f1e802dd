"""`cme token create|list|revoke`: administrators only (refusals exit 2 and are logged), the
token printed once and only its SHA-256 stored, a revoked or expired token refused by the API."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cme.api import create_api, mounted
from storage.access import refusals
from storage.tokens import all_tokens
from tests.identity.conftest import Desk, cme


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    found = Desk(f"sqlite:///{tmp_path}/cme.db", tmp_path, monkeypatch)
    monkeypatch.setenv("CME_ROLE", "admin")  # no accounts yet: roles are self-declared
    found.app().check_schema()
    yield found
    found.close()


def status(desk: Desk, token: str) -> int:
    app = desk.app()
    with TestClient(mounted(create_api(app))) as client:
        code = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    return int(code.status_code)


def test_create_prints_the_token_once_and_stores_only_its_hash(desk: Desk, tmp_path: Path) -> None:
    made: dict[str, Any] = cme("token", "create", "social-care", "--role", "caseworker", "--json")

    token = made["token"]
    assert token.startswith("cme_") and len(token) > 40
    assert (made["name"], made["actor"], made["role"], made["status"]) == (
        "social-care",
        "api:social-care",
        "caseworker",
        "active",
    )
    assert made["expires_at"] is None
    [row] = all_tokens(desk.db)
    assert (row.name, row.role, row.revoked_at) == ("social-care", "caseworker", None)
    with desk.db.connect() as conn:
        digest = conn.exec_driver_sql("SELECT token_sha256 FROM api_token").scalar_one()
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert token.encode() not in (tmp_path / "cme.db").read_bytes()
    listed = cme("token", "list", "--json")
    assert [t["name"] for t in listed] == ["social-care"] and "token" not in listed[0]
    assert status(desk, token) == 200


def test_plain_output_shows_the_token_and_says_it_is_not_kept(desk: Desk) -> None:
    out = cme("token", "create", "admissions", "--role", "auditor", "--expires", "30").output

    assert "not stored" in out and "cme_" in out
    assert "admissions  role auditor  active  expires" in cme("token", "list").output


def test_revoke_then_the_api_refuses_the_token(desk: Desk) -> None:
    token = cme("token", "create", "front-door", "--role", "cmeo", "--json")["token"]

    revoked = cme("token", "revoke", "front-door", "--json")
    again = cme("token", "revoke", "front-door", "--json")

    assert revoked["status"] == "revoked" and revoked["revoked_at"]
    assert again["revoked_at"] == revoked["revoked_at"]
    assert [t["status"] for t in cme("token", "list", "--json")] == ["revoked"]
    assert status(desk, token) == 401


def test_an_expired_token_is_refused(desk: Desk) -> None:
    from datetime import timedelta

    token = cme("token", "create", "short", "--role", "cmeo", "--expires", "1", "--json")["token"]
    desk.clock.advance(timedelta(days=2))

    assert status(desk, token) == 401
    assert [t["status"] for t in cme("token", "list", "--json")] == ["expired"]


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        (("create", "x", "--role", "system"), "BadInput"),
        (("create", "x", "--role", "boss"), "BadInput"),
        (("create", "Bad Name", "--role", "cmeo"), "BadInput"),
        (("create", "x", "--role", "cmeo", "--expires", "0"), "BadInput"),
        (("create", "taken", "--role", "cmeo"), "TokenExists"),
        (("revoke", "nobody"), "NoToken"),
    ],
)
def test_bad_input_exits_2_naming_the_field(desk: Desk, args: tuple[str, ...], kind: str) -> None:
    cme("token", "create", "taken", "--role", "auditor", "--json")
    before = len(all_tokens(desk.db))

    result = cme("token", *args, "--json", code=2)

    assert result["error"]["kind"] == kind
    assert result["error"]["field"] in ("name", "role", "expires")
    assert len(all_tokens(desk.db)) == before


@pytest.mark.parametrize("role", ["caseworker", "cmeo", "auditor", "mash", "ehe_officer"])
def test_only_an_administrator_manages_tokens(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    cme("token", "create", "kept", "--role", "cmeo", "--json")
    monkeypatch.setenv("CME_ROLE", role)

    for args in (("create", "new", "--role", "cmeo"), ("list",), ("revoke", "kept")):
        refused = cme("token", *args, "--json", code=2)
        assert refused["error"]["kind"] == "NotPermitted"
    assert [(t.name, t.revoked_at) for t in all_tokens(desk.db)] == [("kept", None)]
    assert {r["detail"].split(":")[0] for r in refusals(desk.db)[:3]} == {
        "token.create",
        "token.list",
        "token.revoke",
    }


def test_with_accounts_the_bound_administrator_creates_and_others_are_refused(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.login = "ann"
    cme("user", "add", "ann", "--role", "admin", "--login", "ann", "--json")
    cme("user", "add", "bob", "--role", "cmeo", "--login", "bob", "--json")
    monkeypatch.delenv("CME_ROLE")

    made = cme("token", "create", "social-care", "--role", "cmeo", "--json")
    desk.login = "bob"
    refused = cme("token", "list", "--json", code=2)

    assert made["created_by"] == "ann"
    assert refused["error"]["kind"] == "NotPermitted"
