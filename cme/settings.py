"""Configuration from the environment (prefix `CME_`), with defaults for the embedded set-up."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

import workflows


class Settings(BaseSettings):
    """Every knob an operator can set. `cme config` prints the values in force."""

    model_config = SettingsConfigDict(env_prefix="CME_", extra="ignore")

    database_url: str = "sqlite:///./var/cme.db"
    """Any SQLAlchemy URL; SQLite (the default) or PostgreSQL."""
    sqlite_synchronous: Literal["FULL", "EXTRA", "NORMAL"] = "FULL"
    calendar: Path = workflows.DEFAULT_CALENDAR
    """The authority's school calendar (term dates, closures, per-school overrides)."""
    workflows_dir: Path | None = None
    """A folder of chart YAML files to use instead of the shipped ones."""
    tick_seconds: int = Field(default=30, ge=1)
    actor: str | None = None
    role: str = "cmeo"
    deadlines: dict[str, int] = Field(default_factory=dict)
    """JSON: deadline id (or `id.high_priority`) -> days, e.g. {"case_stalled": 3}."""
    working_day_starts: time = time(9, 0)
    """Local (Europe/London) time a working day begins, `HH:MM`: a deadline of "1 working day
    from sending" (MASH's acknowledgement) falls due at this time on the next working day."""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    log_format: Literal["json", "kv"] = "json"
    """Operator log on stderr; personal data is masked (cme/log.py), cases go by reference."""

    audit_key_file: Path | None = None
    """Ed25519 private key (PEM) signing audit checkpoints and exports (`cme audit keygen`)."""
    audit_public_key_file: Path | None = None
    """The public key alone, for a host that verifies but must not sign."""
    retention_years: int = Field(default=6, ge=1)
    """Years after closure before a case's personal data is erased (`cme audit erase --due`)."""

    authority_name: str = "Luton Borough Council"
    cme_contact_name: str = "Children Missing Education Officer"
    cme_contact_email: str = "cme@luton.gov.uk"
    cme_contact_phone: str = "01582 000000"

    mash_email: str | None = None
    cmeo_email: str | None = None
    ehe_email: str | None = None
    manager_email: str | None = None
    recipients_file: Path | None = None
    mail_allowed_domains: str = ""
    mail_from: str = "cme-noreply@luton.gov.uk"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_tls: Literal["starttls", "implicit"] = "starttls"
    smtp_ca_file: Path | None = None
    outbox_dir: Path = Path("./var/outbox")
    mail_files_only: bool = False
    """Without an SMTP host, messages go to `.eml` files in `outbox_dir`: true says that is
    intended (a demonstration or test system), so `cme check` does not report it."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value  # CME_LOG_LEVEL=info, too

    @field_validator("deadlines", mode="before")
    @classmethod
    def _deadlines(cls, value: object) -> object:
        if isinstance(value, str):
            parsed = json.loads(value) if value.strip() else {}
            if not isinstance(parsed, dict) or not all(
                isinstance(v, int) and v >= 0 for v in parsed.values()
            ):
                raise ValueError('must be a JSON object of whole days, e.g. {"case_stalled": 3}')
            return parsed
        return value
