"""The rules each `CME_*` setting must meet, and the one-line refusal when one does not.

`cme.settings.Settings` declares the settings; this module holds the checks its validators
call and turns pydantic's errors into `SettingsInvalid`: one line naming the variable, the
rule and (except for secrets) the value given. Every command refuses with it (exit 2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from engine.text import TextRefused, single_line

ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$")
"""One plain email address: the rule the recipients file applies (notifications.recipients)."""
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DOMAIN = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+$")
HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$|^\[[0-9A-Fa-f:.]+\]$")
DEADLINE_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}(\.high_priority)?$")
MAX_DEADLINE_DAYS = 365
"""A deadline override longer than a year is a typing slip (no CME deadline comes near it)."""
SECRETS = frozenset({"smtp_password", "database_url", "oidc_client_secret"})
"""Settings whose value is never echoed in a refusal."""


class SettingsInvalid(Exception):
    """A `CME_*` setting breaks its rule; the message is one line naming it."""


def env_name(field: str) -> str:
    """`smtp_port` -> `CME_SMTP_PORT`."""
    return f"CME_{field.upper()}"


def shown(value: object) -> str:
    """A value as quoted in a refusal: repr, cut at 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def one_address(value: str) -> str:
    """One plain email address (no display name, no list, no line break)."""
    text = value.strip(" ")
    if not ADDRESS.match(text) or text.count("@") != 1 or "\n" in text:
        raise ValueError(
            "must be one plain email address like name@example.gov.uk "
            "(no name, no list, no spaces or line breaks)"
        )
    return text


def sender(value: str) -> str:
    """`CME_MAIL_FROM`: one address, with or without a display name (`Luton CME <a@b>`)."""
    from email.utils import parseaddr

    if any(ord(c) < 32 or ord(c) == 127 or c in "\u0085\u2028\u2029" for c in value):
        raise ValueError("must be one line: no control characters or line breaks")
    name, address = parseaddr(value.strip())
    if not address or "," in value.replace(name, "", 1) or address != address.strip():
        raise ValueError("must be one address, e.g. CME <cme-noreply@luton.gov.uk>")
    one_address(address)
    return value.strip()


def path(value: object) -> object:
    """A file or folder name the system can hold (no NUL, no name over 255 bytes)."""
    text = str(value)
    if (
        "\x00" in text
        or len(text.encode("utf-8", "surrogateescape")) > 4096
        or any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in text.split("/"))
    ):
        raise ValueError("is not a usable path (a name over 255 bytes, or 4096 in all)")
    return value


def domains(value: str) -> str:
    """A comma-separated list of mail domains, e.g. `luton.gov.uk, nhs.net`."""
    for part in value.split(","):
        domain = part.strip().lstrip("@.").rstrip(".")
        if part.strip() and not DOMAIN.match(domain):
            raise ValueError(
                f"must be mail domains separated by commas, e.g. luton.gov.uk,nhs.net "
                f"({shown(part.strip())} is not a domain)"
            )
    return value


def host(value: str) -> str:
    """A host name or [IP address] with no spaces or line breaks."""
    text = value
    if not HOST.match(text) or "\n" in text:
        raise ValueError("must be a host name like smtp.example.gov.uk (no spaces or ports)")
    return text


def proxies(value: str) -> str:
    """Comma-separated IP addresses (or `*`) of trusted reverse proxies; empty: none."""
    import ipaddress

    items = [v.strip() for v in value.split(",") if v.strip()]
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(
                f"'{item}' is not an IP address: give addresses like 127.0.0.1, comma-separated "
                "(or * for any)"
            ) from None
    return ",".join(items)


def line(value: str) -> str:
    """One line of text: no control or invisible characters (engine.text), NFC."""
    try:
        return single_line(value, max_length=200)
    except TextRefused as exc:
        raise ValueError(str(exc)) from None


def secret(value: str) -> str:
    """A password: kept as given, but no control character or line break."""
    if any(ord(c) < 32 or ord(c) == 127 or c in "\u0085\u2028\u2029" for c in value):
        raise ValueError("must not contain control characters or line breaks")
    if len(value) > 1000:
        raise ValueError("must be at most 1000 characters")
    return value


def database_url(value: str) -> str:
    """A SQLAlchemy URL for SQLite or PostgreSQL."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    rule = "must be a database URL like sqlite:///./var/cme.db or postgresql://user@host:5432/cme"
    try:
        parsed = make_url(value.strip())
        backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
        parsed.port  # noqa: B018 - a port that is not a number fails here
    except (ArgumentError, ValueError, TypeError):
        raise ValueError(rule) from None
    if (backend, driver) not in {
        ("sqlite", "pysqlite"),
        ("postgresql", "psycopg"),
        ("postgresql", "psycopg2"),
    }:
        raise ValueError(f"{rule} (SQLite or PostgreSQL only)")
    if backend == "sqlite" and "\x00" in (parsed.database or ""):
        raise ValueError(rule)
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ValueError(f"{rule}: a SQLite URL names a file (an in-memory database is lost)")
    return value.strip()


def upper(value: object) -> object:
    """`info` -> `INFO` (levels and modes are matched in capitals)."""
    return value.strip().upper() if isinstance(value, str) else value


def deadline_days(value: object) -> dict[str, int]:
    """`CME_DEADLINES`: a JSON object of deadline id -> whole days from 0 to 365."""
    rule = (
        f"must be a JSON object of deadline ids and whole days (0 to {MAX_DEADLINE_DAYS}), "
        'e.g. {"case_stalled": 3}'
    )
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise ValueError(f"{rule}; this is not valid JSON") from None
    if not isinstance(value, Mapping):
        raise ValueError(rule)
    days: dict[str, int] = {}
    for key, count in value.items():
        if not isinstance(key, str) or not DEADLINE_ID.match(key):
            raise ValueError(f"{rule}; {shown(key)} is not a deadline id")
        if type(count) is not int or not 0 <= count <= MAX_DEADLINE_DAYS:
            raise ValueError(f"{rule}; {key} is {shown(count)}")
        days[key] = count
    return days


def unknown_deadlines(overrides: Mapping[str, int], known: Mapping[str, bool]) -> str | None:
    """Why `overrides` names a deadline no chart has (None if every id is known).

    `known` maps each deadline id of the charts in use to whether it has a high-priority count
    (only then may `id.high_priority` be set).
    """
    for key in overrides:
        name, _, high = key.partition(".")
        if name not in known or (high and not known[name]):
            ids = sorted(known) + sorted(f"{n}.high_priority" for n, h in known.items() if h)
            return (
                f"{env_name('deadlines')}: unknown deadline id {key!r} (known: {', '.join(ids)})"
            )
    return None


def refusal(errors: Iterable[Mapping[str, Any]]) -> SettingsInvalid:
    """One line from pydantic's errors: `CME_SMTP_PORT='x': must be ...; CME_...`."""
    parts = []
    for error in errors:
        field = str(error["loc"][0]) if error.get("loc") else "?"
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        if field in SECRETS:
            parts.append(f"{env_name(field)}: {message}")
        else:
            given = error.get("input")
            where = (
                env_name(field)
                if isinstance(given, Mapping)
                else (f"{env_name(field)}={shown(given)}")
            )
            parts.append(f"{where}: {message}")
    text = "; ".join(parts) or "a CME_* setting is not valid"
    return SettingsInvalid(" ".join(text.split()))
