"""Binding accounts to the council's sign-in (`cme user oidc`), the `CME_OIDC_*` settings and
the mapping of the provider's groups to roles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cme.services.oidc_signin import roles_from_claims
from cme.settings import Settings, load_settings
from cme.settings_rules import SettingsInvalid
from storage.oidc_identities import account_for
from tests.identity.conftest import Desk, cme

ISSUER = "https://login.council.example/realms/staff"


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    """A SQLite desk with an administrator (ann) and a caseworker (eve); the issuer set."""
    monkeypatch.setenv("CME_OIDC_ISSUER", ISSUER)
    found = Desk(f"sqlite:///{tmp_path}/cme.db", tmp_path, monkeypatch)
    found.app().check_schema()
    monkeypatch.setenv("CME_ROLE", "admin")
    cme("user", "add", "ann", "--role", "admin", "--login", "ann")
    monkeypatch.delenv("CME_ROLE")
    found.login = "ann"
    cme("user", "add", "eve", "--role", "caseworker", "--login", "eve")
    yield found
    found.close()


def test_an_administrator_binds_and_removes_a_subject(desk: Desk) -> None:
    bound = cme("user", "oidc", "eve", "--subject", "8f2c-eve", "--json")

    assert bound == {"name": "eve", "issuer": ISSUER, "subject": "8f2c-eve", "removed": False}
    assert account_for(desk.db, ISSUER, "8f2c-eve") == "eve"
    assert "Removed eve's binding" in cme("user", "oidc", "eve", "--remove").output
    assert account_for(desk.db, ISSUER, "8f2c-eve") is None
    assert "nothing changed" in cme("user", "oidc", "eve", "--remove").output


def test_one_subject_one_account_and_one_account_one_subject(desk: Desk) -> None:
    cme("user", "add", "max", "--role", "mash", "--login", "max")
    cme("user", "oidc", "eve", "--subject", "sub-1")
    before = desk.snapshot()

    twice = cme("user", "oidc", "max", "--subject", "sub-1", "--json", code=2)
    second = cme("user", "oidc", "eve", "--subject", "sub-2", "--json", code=2)
    nobody = cme("user", "oidc", "zed", "--subject", "sub-3", "--json", code=2)
    blank = cme("user", "oidc", "max", "--subject", " ", "--json", code=2)

    assert "bound to account 'eve' already" in twice["error"]["message"]
    assert "bound to subject 'sub-1' already" in second["error"]["message"]
    assert "no account named 'zed'" in nobody["error"]["message"]
    assert blank["error"]["kind"] == "AccountRefused"
    assert desk.snapshot() == before


def test_only_an_administrator_binds_and_the_refusal_is_recorded(desk: Desk) -> None:
    desk.login = "eve"
    before = desk.snapshot()

    refused = cme("user", "oidc", "eve", "--subject", "sub-9", "--json", code=2)

    assert refused["error"]["kind"] == "NotPermitted"
    assert desk.snapshot() == before
    assert "user.oidc" in desk.refusals()[0]["detail"]


def test_without_an_issuer_a_subject_means_nothing(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CME_OIDC_ISSUER")

    refused = cme("user", "oidc", "eve", "--subject", "sub-1", "--json", code=2)

    assert "CME_OIDC_ISSUER is not set" in refused["error"]["message"]


def test_subject_and_remove_go_one_at_a_time(desk: Desk) -> None:
    assert cme("user", "oidc", "eve", code=2).exit_code == 2
    assert cme("user", "oidc", "eve", "--subject", "x", "--remove", code=2).exit_code == 2


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("CME_OIDC_ISSUER", "http://login.council.example", "http is allowed only on this"),
        ("CME_OIDC_ISSUER", "https://login.example/?x=1", "issuer URL"),
        ("CME_OIDC_ISSUER", "ftp://login.example", "issuer URL"),
        ("CME_OIDC_ROLES", '{"staff": "system"}', "staff maps to 'system'"),
        ("CME_OIDC_ROLES", '["caseworker"]', "must be a JSON object"),
        ("CME_OIDC_ROLES", "{", "not valid JSON"),
        ("CME_OIDC_ROLE_CLAIM", "two words", "name of a claim"),
        ("CME_OIDC_CLIENT_SECRET", "a\nb", "CME_OIDC_CLIENT_SECRET: must not contain"),
    ],
)
def test_settings_that_break_their_rule_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsInvalid) as refused:
        load_settings()

    assert name in str(refused.value) and words in str(refused.value)
    if "SECRET" in name:
        assert value not in str(refused.value)


def test_groups_map_to_roles_in_the_order_the_claim_gives_them() -> None:
    mapped = Settings(oidc_roles={"cme-cw": "caseworker", "cme-mash": "mash"})
    plain = Settings()
    custom = Settings(oidc_role_claim="roles")

    assert roles_from_claims(mapped, {"groups": ["x", "cme-mash", "cme-cw"]}) == (
        "mash",
        "caseworker",
    )
    assert roles_from_claims(mapped, {"groups": "cme-cw, other"}) == ("caseworker",)
    assert roles_from_claims(mapped, {"groups": ["caseworker"]}) == ()  # the map alone counts
    assert roles_from_claims(plain, {"groups": ["caseworker", "system", 3]}) == ("caseworker",)
    assert roles_from_claims(custom, {"groups": ["mash"], "roles": ["auditor"]}) == ("auditor",)
    assert roles_from_claims(plain, {}) == ()
    assert not plain.oidc_enabled
