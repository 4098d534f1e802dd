"""Identity on the command line (issue 13): accounts bound to operating-system logins.

Without accounts roles are self-declared (as before, and `identity_problems` says so); the first
administrator is added with `CME_ROLE=admin`; from then on the CLI acts as the account bound to
the login, `--role` / `CME_ROLE` choose only among its roles, and a login with no account or a
disabled one is refused. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cme.services.accounts import password_matches
from cme.services.identity import SELF_DECLARED, identity_problems
from storage.accounts import account_table, disable_account
from tests.identity.conftest import Desk, cme


def _bootstrap(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """ann (admin, cmeo) bound to login ann; eve (caseworker) bound to eve."""
    desk.app().check_schema()
    monkeypatch.setenv("CME_ROLE", "admin")
    cme("user", "add", "ann", "--role", "admin", "--role", "cmeo", "--login", "ann")
    monkeypatch.delenv("CME_ROLE")
    desk.login = "ann"
    cme("user", "add", "eve", "--role", "caseworker", "--login", "eve")


def test_without_accounts_roles_are_self_declared_and_check_says_so(desk: Desk) -> None:
    case_id = desk.open_case()

    cme("case", "advance", str(case_id), "begin_enquiries", "--actor", "bob", "--role", "cmeo")

    history = cme("audit", "history", str(case_id), "--json")
    assert (history[-1]["actor"], history[-1]["role"]) == ("bob", "cmeo")
    assert identity_problems(desk.db) == [("identity", SELF_DECLARED)]
    assert SELF_DECLARED == (
        "roles are self-declared: no accounts exist (add one with cme user add)"
    )


def test_the_first_administrator_is_added_through_cme_role(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.app().check_schema()
    refused = cme("user", "add", "ann", "--role", "admin", "--login", "ann", "--json", code=2)
    monkeypatch.setenv("CME_ROLE", "admin")
    not_admin = cme("user", "add", "eve", "--role", "cmeo", "--login", "eve", "--json", code=2)

    added = cme("user", "add", "ann", "--role", "admin", "--login", "ann", "--json")

    assert refused["error"]["message"] == (
        "role 'cmeo' may not run `cme user add` (allowed: admin)"
    )
    assert not_admin["error"]["field"] == "role"
    assert (added["name"], added["login"], added["roles"]) == ("ann", "ann", ["admin"])
    assert (added["disabled"], added["password"]) == (False, False)
    assert identity_problems(desk.db) == []
    # from now on CME_ROLE no longer makes an administrator: the login must have an account
    desk.login = "mallory"
    intruder = cme("user", "add", "mal", "--role", "admin", "--login", "mal", "--json", code=2)
    assert intruder["error"]["kind"] == "NoAccount"


def test_the_cli_acts_as_the_account_bound_to_the_login(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bootstrap(desk, monkeypatch)
    case_id = desk.open_case()
    desk.login = "eve"
    monkeypatch.setenv("CME_ACTOR", "eve")  # naming yourself is allowed

    cme("case", "advance", str(case_id), "begin_enquiries")
    desk.login = "ann"
    monkeypatch.delenv("CME_ACTOR")
    cme(
        "case",
        "advance",
        str(case_id),
        "update_risk",
        "--set",
        "risk_flags=runaway",
        "--role",
        "cmeo",
    )

    history = cme("audit", "history", str(case_id), "--json")
    assert [(e["actor"], e["role"]) for e in history[-2:]] == [
        ("eve", "caseworker"),
        ("ann", "cmeo"),
    ]


@pytest.mark.parametrize(
    ("login", "flags", "env", "kind"),
    [
        ("eve", ["--role", "cmeo"], {}, "RoleNotHeld"),
        ("eve", [], {"CME_ROLE": "cmeo"}, "RoleNotHeld"),
        ("eve", ["--role", "bogus"], {}, "UnknownRole"),
        ("eve", ["--role", "system"], {}, "SystemReserved"),
        ("eve", ["--actor", "ann"], {}, "ActorMismatch"),
        ("eve", [], {"CME_ACTOR": "ann"}, "ActorMismatch"),
        ("mallory", [], {}, "NoAccount"),
        ("mallory", ["--role", "caseworker", "--actor", "eve"], {}, "NoAccount"),
        ("zed", [], {}, "AccountDisabled"),
    ],
)
def test_claims_outside_the_bound_account_are_refused(
    desk: Desk,
    monkeypatch: pytest.MonkeyPatch,
    login: str,
    flags: list[str],
    env: dict[str, str],
    kind: str,
) -> None:
    _bootstrap(desk, monkeypatch)
    cme("user", "add", "zed", "--role", "caseworker", "--login", "zed")
    cme("user", "disable", "zed")
    case_id = desk.open_case()
    before = desk.snapshot()
    desk.login = login
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    refused = cme("case", "advance", str(case_id), "begin_enquiries", *flags, "--json", code=2)

    assert refused["error"]["kind"] == kind
    assert desk.snapshot() == before
    assert desk.refusals()[0]["detail"].startswith("case.advance: ")
    if not flags:  # reading too: whoever reads is known
        shown = cme("case", "show", str(case_id), "--json", code=2)
        assert shown["error"]["kind"] == kind


def test_users_are_listed_and_disabled_by_an_administrator_only(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bootstrap(desk, monkeypatch)
    desk.login = "eve"
    assert cme("user", "disable", "ann", "--json", code=2)["error"]["kind"] == "NotPermitted"
    assert cme("user", "list", "--json", code=2)["error"]["kind"] == "NotPermitted"
    desk.login = "ann"

    last_admin = cme("user", "disable", "ann", "--json", code=2)
    taken = cme("user", "add", "eve2", "--role", "mash", "--login", "eve", "--json", code=2)
    system = cme("user", "add", "system:timer", "--role", "mash", "--login", "x", "--json", code=2)
    cme("user", "disable", "eve")
    listed = cme("user", "list", "--json")

    assert last_admin["error"]["message"].startswith("name: 'ann' is the last enabled admin")
    assert taken["error"]["message"] == "login: login 'eve' is bound to account 'eve' already"
    assert system["error"]["field"] == "name"
    assert [(u["name"], u["login"], u["roles"], u["disabled"]) for u in listed] == [
        ("ann", "ann", ["admin", "cmeo"], False),
        ("eve", "eve", ["caseworker"], True),
    ]
    desk.login = "eve"
    assert cme("cases", "--json", code=2)["error"]["kind"] == "AccountDisabled"


def test_a_password_is_kept_only_as_an_argon2_hash(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bootstrap(desk, monkeypatch)

    added = cme(
        "user",
        "add",
        "pat",
        "--role",
        "mash",
        "--login",
        "pat",
        "--password-stdin",
        "--json",
        stdin="correct horse battery staple\n",
    )

    with desk.db.connect() as conn:
        stored = conn.execute(
            select(account_table.c.password_hash).where(account_table.c.name == "pat")
        ).scalar_one()
    assert added["password"] is True and "password_hash" not in added
    assert stored.startswith("$argon2id$") and "staple" not in stored
    assert password_matches(stored, "correct horse battery staple")
    assert not password_matches(stored, "Tr0ub4dor&3")


def test_check_reports_when_no_enabled_administrator_is_left(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bootstrap(desk, monkeypatch)
    assert identity_problems(desk.db) == []

    disable_account(desk.db, "ann")  # behind cme's back: `cme user disable` refuses this

    assert identity_problems(desk.db) == [
        (
            "identity",
            "no enabled account holds the admin role: nobody can add, disable or restore "
            "(an operator with database access must add one)",
        )
    ]
