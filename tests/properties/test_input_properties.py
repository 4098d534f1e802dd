"""The hostile-input probe as property tests (issue 13): whatever a person feeds a file reader
or a `CME_*` variable, the CLI answers with exit 0 or a refusal (exit 2, a message), never a
traceback (exit 1, "Traceback").

Sizes: `tests.fuzzing.examples(ci, fuzz)`; `make fuzz` (CME_FUZZ=1) runs the larger numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from cme import cli, console
from cme.settings import Settings
from tests.fuzzing import examples
from tests.support import school_referral

runner = CliRunner()
CHART = Path(cli.__file__).parent.parent / "workflows" / "school-referral.yaml"
VARIABLES = sorted(f"CME_{name.upper()}" for name in Settings.model_fields)

awkward_bytes = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from(
        [
            b"",
            b"\xff\xfe{}",
            '{"a": "caf\u00e9"}'.encode("cp1252"),
            b'{"a": "\\ud800"}',
            b"[" * 5000,
            b"{" * 3000,
            b'{"a": ' + b"9" * 5000 + b"}",
            b'{"a": 1e999}',
            b"NaN",
            b"\x00" * 64,
            b"- " * 3000,
            b"&a [*a, *a]",
            b"!!python/object/apply:os.system ['true']",
        ]
    ),
)
"""Anything, plus the probe's shapes: wrong encodings, surrogates, depth, huge numbers."""

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


def env_text() -> st.SearchStrategy[str]:
    """Strings an environment variable can hold (no NUL; encodable for the OS)."""
    awkward = st.sampled_from(
        [
            "",
            " ",
            "-1",
            "0",
            "9" * 40,
            "true",
            "null",
            "{}",
            "[]",
            '{"case_stalled": -1}',
            '{"case_stalled": true}',
            '{"nope": 1}',
            "[" * 3000,
            "a@luton.gov.uk, evil@attacker.example",
            "a@luton.gov.uk\r\nBcc: x@y.z",
            "sqlite:///",
            "sqlite:////nonexistent/x.db",
            "postgresql://u@127.0.0.1:1/x",
            "postgresql://u@h:port/x",
            "mysql://x",
            "\u202e\u200b\u2028\u0085",
            "DEBUG",
            "kv",
            "implicit",
        ]
    )
    text = st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
        max_size=60,
    )
    return awkward | text


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with an initialised SQLite database; commands run from it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(console, "APP_FACTORY", None)
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CME_DATABASE_URL", f"sqlite:///{tmp_path}/cme.db")
    monkeypatch.setenv("CME_ACTOR", "fuzzer")
    monkeypatch.setenv("CME_CMEO_EMAIL", "cme@luton.gov.uk")
    monkeypatch.setenv("CME_OUTBOX_DIR", str(tmp_path / "outbox"))
    assert runner.invoke(cli.app, ["init"]).exit_code == 0
    referral = school_referral(first_absence_date=None, leave_end_date="2025-10-06")
    (tmp_path / "referral.json").write_text(json.dumps(referral))
    return tmp_path


def assert_answered(result: Result) -> None:
    """Exit 0, or exit 2 with a message; never an exception or a traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback: {result.exception!r}\n{result.output[-2000:]}"
    )
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), result.output[-2000:]
    if result.exit_code == 2:
        assert result.output.strip(), "a refusal must say why"


# --- arbitrary bytes to each file reader ------------------------------------------------------
@examples(ci=40, fuzz=2000)
@given(content=awkward_bytes)
def test_any_bytes_as_a_referral(home: Path, content: bytes) -> None:
    (home / "in.json").write_bytes(content)
    assert_answered(
        runner.invoke(
            cli.app, ["case", "open", "--workflow", "school-referral", "--file", "in.json"]
        )
    )


@examples(ci=40, fuzz=2000)
@given(document=json_values)
def test_any_json_as_a_referral(home: Path, document: Any) -> None:
    (home / "in.json").write_text(json.dumps(document))
    assert_answered(
        runner.invoke(
            cli.app, ["case", "open", "--workflow", "school-referral", "--file", "in.json"]
        )
    )


@examples(ci=40, fuzz=2000)
@given(content=awkward_bytes | st.builds(lambda b: CHART.read_bytes() + b, awkward_bytes))
def test_any_bytes_to_workflow_validate(home: Path, content: bytes) -> None:
    (home / "chart.yaml").write_bytes(content)
    assert_answered(runner.invoke(cli.app, ["workflow", "validate", "chart.yaml"]))


@examples(ci=40, fuzz=2000)
@given(
    lines=st.lists(
        awkward_bytes
        | json_values.map(lambda v: json.dumps(v).encode())
        | st.fixed_dictionaries(
            {"kind": st.sampled_from(["case", "event", "definition", "signature"])},
            optional=dict.fromkeys(("case_id", "seq", "at", "version", "source"), json_values),
        ).map(lambda v: json.dumps(v).encode()),
        max_size=4,
    )
)
def test_any_lines_to_audit_verify_file(home: Path, lines: list[bytes]) -> None:
    (home / "export.jsonl").write_bytes(b"\n".join(lines))
    result = runner.invoke(cli.app, ["audit", "verify", "--file", "export.jsonl"])
    # exit 1 is the verifier's "broken" answer, without a traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2)


@examples(ci=40, fuzz=2000)
@given(content=awkward_bytes)
def test_any_bytes_as_the_recipients_file(home: Path, content: bytes) -> None:
    (home / "recipients.yaml").write_bytes(content)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CME_RECIPIENTS_FILE", str(home / "recipients.yaml"))
        assert_answered(
            runner.invoke(
                cli.app,
                ["case", "open", "--workflow", "school-referral", "--file", "referral.json"],
            )
        )


# --- arbitrary strings to each CME_* variable --------------------------------------------------
@examples(ci=60, fuzz=3000)
@given(variable=st.sampled_from(VARIABLES), value=env_text())
def test_any_string_in_any_variable(home: Path, variable: str, value: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(variable, value)
        result = runner.invoke(
            cli.app,
            ["case", "open", "--workflow", "school-referral", "--file", "referral.json"],
        )
    assert_answered(result)
