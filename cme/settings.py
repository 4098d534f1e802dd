"""Configuration from the environment (prefix `CME_`), with defaults for the embedded set-up."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

import workflows
from cme import settings_oidc as oidc
from cme import settings_rules as rules
from cme.settings_rules import SettingsInvalid

Line = Annotated[str, AfterValidator(rules.line)]
"""One line of text: no control or invisible characters, at most 200 characters."""
Address = Annotated[str, AfterValidator(rules.one_address)]
"""One plain email address (the recipients file's rule)."""


class Settings(BaseSettings):
    """Every knob an operator can set. `cme config` prints the values in force."""

    model_config = SettingsConfigDict(env_prefix="CME_", extra="ignore")

    database_url: Annotated[str, AfterValidator(rules.database_url)] = "sqlite:///./var/cme.db"
    """Any SQLAlchemy URL; SQLite (the default) or PostgreSQL."""
    sqlite_synchronous: Literal["FULL", "EXTRA", "NORMAL"] = "FULL"
    calendar: Path = workflows.DEFAULT_CALENDAR
    """The authority's school calendar (term dates, closures, per-school overrides)."""
    workflows_dir: Path | None = None
    """A folder of chart YAML files to use instead of the shipped ones."""
    tick_seconds: int = Field(default=30, ge=1, le=86400)
    actor: Line | None = None
    role: str = "cmeo"
    deadlines: Annotated[dict[str, int], NoDecode] = Field(default_factory=dict)
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
    retention_years: int = Field(default=6, ge=1, le=100)
    """Years after closure before a case's personal data is erased (`cme audit erase --due`)."""

    # OpenID Connect sign-in to the web pages (docs/oidc.md); off unless all three are set
    oidc_issuer: Annotated[str, AfterValidator(oidc.issuer)] | None = None
    """The council's identity provider (issuer URL); its discovery document is read from
    `<issuer>/.well-known/openid-configuration`."""
    oidc_client_id: Line | None = None
    oidc_client_secret: Annotated[str, AfterValidator(rules.secret)] | None = None
    oidc_role_claim: Annotated[str, AfterValidator(oidc.role_claim)] = "groups"
    """The ID-token claim whose values (groups) give the roles a person may act in."""
    oidc_roles: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """JSON: group -> cme role, e.g. {"cme-caseworkers": "caseworker"}; empty: a group named
    as a role (`caseworker`) gives that role."""

    authority_name: Line = "Luton Borough Council"
    cme_contact_name: Line = "Children Missing Education Officer"
    cme_contact_email: Address = "cme@luton.gov.uk"
    cme_contact_phone: Line = "01582 000000"

    la_number: Annotated[str, Field(pattern=r"^\d{3}$")] | None = None
    """The authority's three-digit LA number (Luton: 821): the source of every CTF it writes
    (`cme ctf export` refuses without it)."""
    la_estab: Annotated[str, Field(pattern=r"^(\d{4}|LLLL)$")] = "LLLL"
    """The establishment number a CTF from the authority carries: `LLLL` (the CTF
    specification's mark for a local authority as sender) unless the LA has its own."""
    ctf_xsd: Path | None = None
    """The official CTF XML schema (XSD): when set, every CTF written is validated against it
    instead of the schema cme ships in its tests."""

    mash_email: Address | None = None
    cmeo_email: Address | None = None
    ehe_email: Address | None = None
    manager_email: Address | None = None
    recipients_file: Path | None = None
    mail_allowed_domains: Annotated[str, AfterValidator(rules.domains)] = ""
    mail_from: Annotated[str, AfterValidator(rules.sender)] = "cme-noreply@luton.gov.uk"
    smtp_host: Annotated[str, AfterValidator(rules.host)] | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: Line | None = None
    smtp_password: Annotated[str, AfterValidator(rules.secret)] | None = None
    smtp_tls: Literal["starttls", "implicit"] = "starttls"
    smtp_ca_file: Path | None = None
    outbox_dir: Path = Path("./var/outbox")
    report_mail: bool = False
    """True: the scheduler emails last month's monthly report to `manager_email` on the first
    school day of each month, and reminds `cmeo_email` of each DfE return ten school days
    before its deadline (cme/services/report_mail.py)."""
    mail_files_only: bool = False
    """Without an SMTP host, messages go to `.eml` files in `outbox_dir`: true says that is
    intended (a demonstration or test system), so `cme check` does not report it."""

    # the web application (`cme serve`, docs/web.md)
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    """A signed-in web session ends after this many minutes without a request."""
    signin_max_failures: int = Field(default=5, ge=1, le=1000)
    """Failed sign-ins for one username, within `signin_lockout_minutes`, that lock it."""
    signin_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    """How long a locked username stays locked (and the window failures are counted in)."""
    web_trusted_proxies: Annotated[str, AfterValidator(rules.proxies)] = ""
    """Comma-separated addresses of reverse proxies whose X-Forwarded-Proto and
    X-Forwarded-For are believed (`*`: any); empty: none (the headers are ignored)."""
    api_rate_per_minute: int = Field(default=120, ge=1, le=100_000)
    """HTTP API: requests each token may make per minute, on average (a token bucket per
    token, in each process)."""
    api_burst: int = Field(default=30, ge=1, le=100_000)
    """HTTP API: requests a token may make at once before `api_rate_per_minute` applies."""

    @field_validator(
        "actor",
        "mash_email",
        "cmeo_email",
        "ehe_email",
        "manager_email",
        "smtp_host",
        "smtp_username",
        "smtp_password",
        "recipients_file",
        "la_number",
        "ctf_xsd",
        "oidc_issuer",
        "oidc_client_id",
        "oidc_client_secret",
        mode="before",
    )
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        """An empty variable (`CME_MASH_EMAIL=`) means "not set"."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "calendar",
        "workflows_dir",
        "audit_key_file",
        "audit_public_key_file",
        "recipients_file",
        "smtp_ca_file",
        "outbox_dir",
        "ctf_xsd",
        mode="after",
    )
    @classmethod
    def _paths(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        rules.path(value)
        if info.field_name == "workflows_dir" and not value.is_dir():
            raise ValueError("must be a folder that exists, holding chart YAML files")
        return value

    @field_validator("oidc_roles", mode="before")
    @classmethod
    def _oidc_roles(cls, value: object) -> object:
        return oidc.role_map(value)

    @property
    def oidc_enabled(self) -> bool:
        """Whether OpenID Connect sign-in is configured (issuer, client id and secret)."""
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @field_validator("log_level", "sqlite_synchronous", mode="before")
    @classmethod
    def _capitals(cls, value: object) -> object:
        return rules.upper(value)

    @field_validator("log_format", "smtp_tls", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("deadlines", mode="before")
    @classmethod
    def _deadlines(cls, value: object) -> object:
        """Checked here, on the text: pydantic would read `true` as 1 and let -5 through."""
        return rules.deadline_days(value)


def load_settings(**values: Any) -> Settings:
    """The settings from the environment (and `values`); raise `SettingsInvalid` (one line
    naming the variable and its rule) if any breaks its rule."""
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise rules.refusal(exc.errors(include_url=False)) from None
    except SettingsError as exc:  # a source could not be read at all
        raise SettingsInvalid(" ".join(str(exc).split())) from None


__all__ = ["Settings", "SettingsInvalid", "load_settings"]
