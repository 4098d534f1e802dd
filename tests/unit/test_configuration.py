"""One configuration source (issue 14): `Settings` is read once and passed in; audit keys load
in one module with typed errors, which the CLI turns into exit 2 and the scheduler logs."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from cme import console
from cme.audit_keys import BadKey, load_private_key, load_public_key
from cme.bootstrap import build_app
from cme.scheduler import checkpoint
from cme.services.errors import ServiceRefusal
from cme.settings import Settings
from engine.testing import FakeClock
from tests.support import START

ROOT = Path(__file__).resolve().parents[2]
READS_ENVIRONMENT = re.compile(r"os\.environ(?!\.setdefault)|os\.getenv|getenv\(")


def test_no_module_but_the_settings_reads_the_environment() -> None:
    """Configuration is read only in cme/settings.py (the demo may set defaults for itself)."""
    readers = [
        str(path.relative_to(ROOT))
        for package in ("cme", "engine", "storage", "notifications", "workflows")
        for path in (ROOT / package).rglob("*.py")
        if path.name != "settings.py" and READS_ENVIRONMENT.search(path.read_text("utf-8"))
    ]

    assert readers == []


def test_a_bad_key_is_a_typed_refusal_naming_the_file(tmp_path: Path) -> None:
    garbage = tmp_path / "audit.pem"
    garbage.write_text("not a key", encoding="utf-8")

    with pytest.raises(BadKey) as private:
        load_private_key(garbage)
    with pytest.raises(BadKey) as public:
        load_public_key(None, tmp_path / "missing.pub")

    assert isinstance(private.value, ServiceRefusal)
    assert str(private.value).startswith(f"audit_key: cannot load the private key {garbage}")
    assert str(public.value).startswith(f"audit_key: cannot load the public key {tmp_path}")
    assert load_private_key(None) is None
    assert load_public_key(None, None) is None


def test_the_scheduler_logs_a_bad_key_and_signs_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """The nightly checkpoint once called the CLI's loader, which raised typer.Exit in a job."""
    garbage = tmp_path / "audit.pem"
    garbage.write_text("not a key", encoding="utf-8")
    app = build_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'cme.db'}", audit_key_file=garbage),
        FakeClock(START),
    )

    with caplog.at_level(logging.ERROR, logger="cme.scheduler"):
        checkpoint(app)  # returns: no exception escapes into the scheduler

    assert len(caplog.records) == 1
    assert (
        caplog.records[0]
        .getMessage()
        .startswith(f"checkpoint not signed: audit_key: cannot load the private key {garbage}: ")
    )
    assert "CHECKPOINT NOT SIGNED: audit_key:" in capsys.readouterr().out


def test_the_process_reads_its_configuration_once_for_the_log_and_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CME_LOG_LEVEL", "info")
    monkeypatch.setenv("CME_RETENTION_YEARS", "9")
    monkeypatch.setattr(console, "SETTINGS", None)
    monkeypatch.setattr(console, "APP_FACTORY", None)

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        console.configure_process()
        configured = root.level
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
    monkeypatch.setenv("CME_RETENTION_YEARS", "3")  # too late: read once, at start

    assert console.SETTINGS is not None
    assert configured == logging.INFO
    assert console.current_settings() is console.SETTINGS
    assert console.current_settings().retention_years == 9
