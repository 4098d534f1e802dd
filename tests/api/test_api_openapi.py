"""The OpenAPI document: served at /api/v1/openapi.json with every path under /api/v1, and
kept in docs/openapi.json, equal to what the code serves (`make openapi` writes it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cme.api.openapi import KEPT, main, render
from tests.api.conftest import Api


def test_the_served_document_is_the_kept_one(api: Api) -> None:
    response = api.client.get("/api/v1/openapi.json")  # no token needed to read the contract

    assert response.status_code == 200
    served = response.json()
    assert render(served) == KEPT.read_text(encoding="utf-8"), "run `make openapi`"


def test_every_path_reads_api_v1_and_every_problem_is_problem_json(api: Api) -> None:
    served = api.client.get("/api/v1/openapi.json").json()

    assert set(served["paths"]) == {
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/actions",
        "/api/v1/cases/{id}/actions/{trigger}",
        "/api/v1/cases/{id}/history",
        "/api/v1/cases/{id}/replay",
        "/api/v1/reports",
        "/api/v1/reports/{name}",
    }
    assert "servers" not in served  # the paths carry the prefix themselves
    for item in served["paths"].values():
        for operation in item.values():
            assert operation["security"] == [{"HTTPBearer": []}]
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], code
                    assert {"401", "429"} <= set(operation["responses"])


def test_the_check_command_fails_when_the_kept_document_drifts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "cme.api.openapi", "--check"], capture_output=True, check=False
    )
    assert ok.returncode == 0, ok.stderr
    changed = json.loads(KEPT.read_text(encoding="utf-8"))
    changed["paths"].pop("/api/v1/reports")
    drifted = tmp_path / "openapi.json"
    drifted.write_text(render(changed), encoding="utf-8")

    assert main(["--check", str(drifted)]) == 1
    assert "make openapi" in capsys.readouterr().err
    assert main([str(drifted)]) == 0  # regenerated
    assert main(["--check", str(drifted)]) == 0
