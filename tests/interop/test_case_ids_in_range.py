"""Issue 17: a case id past the database's integer (2^31 - 1, PostgreSQL's `integer`) names no
case at every door that parses case references: the CLI refuses it (exit 2, naming CASE), the
web and the API answer 404; it is never sent to the database, where PostgreSQL would fail."""

from __future__ import annotations

from typing import Any

import pytest

from cme.services.refs import MAX_ID, BadCaseReference, parse_case_ref
from tests.interop.conftest import Dump, run
from tests.support import make_app
from tests.web.conftest import add_accounts, sign_in

PAST = [str(2**31), f"CME-{2**31}", str(2**63 - 1), "9" * 19]


def test_the_largest_id_is_the_databases() -> None:
    assert MAX_ID == 2**31 - 1
    assert parse_case_ref(str(MAX_ID)) == MAX_ID
    with pytest.raises(BadCaseReference) as refused:
        parse_case_ref(str(2**31), "CASE")
    assert str(refused.value) == f"CASE: '{2**31}' names no case: case ids go up to {MAX_ID}"
    assert refused.value.details() == {"field": "CASE"}


@pytest.mark.parametrize("ref", PAST)
@pytest.mark.parametrize(
    "command",
    [("case", "show"), ("case", "actions"), ("audit", "history"), ("case", "timeline")],
)
def test_the_cli_refuses_an_id_past_the_database(
    db_dump: Dump, ref: str, command: tuple[str, ...]
) -> None:
    before = db_dump()
    result = run(*command, ref)
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "CASE" in said
    assert "names no case" in said
    assert db_dump() == before


def test_the_web_and_the_api_answer_404(db_url: str, tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    from cme.web.app import create_app

    app = make_app(db_url)
    try:
        add_accounts(app)
        client = TestClient(create_app(app))
        sign_in(client, "colin", "cmeo")
        for ref in PAST[:2]:
            assert client.get(f"/cases/{ref}").status_code == 404
            assert client.get(f"/cases/{ref}/history").status_code == 404
    finally:
        app.db.dispose()
