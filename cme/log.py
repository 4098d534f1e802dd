"""Logging: one JSON line per record on stderr, with children's personal data masked.

Log lines name cases by reference (CME-000042), triggers, states, actors and roles: never a
child's name, date of birth, address or UPN. `RedactingFilter` is defence in depth behind that
rule: it masks anything shaped like a UPN, a date of birth, an email address's local part or a
UK postcode in every message (and traceback) that reaches the handler, whichever library
logged it.

    configure_logging("INFO")
    logging.getLogger("cme.cli").info("case %s %s %s->%s by %s", ref, trigger, a, b, actor)
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

UPN = re.compile(r"\b[A-Za-z]\d{11}[0-9A-Za-z]\b")
"""13 characters: a check letter, 11 digits, a digit or a temporary UPN's letter."""
DATE_OF_BIRTH = re.compile(
    r"(?i)\b(?P<key>d\.?o\.?b\.?|date[ _]of[ _]birth|born(?: on)?)"
    r"(?P<sep>['\"]?\s*[:=]?\s*['\"]?\s*)"
    r"(?P<value>\d{4}-\d{2}-\d{2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})"
)
"""A date named as a date of birth (`dob=...`, `'date_of_birth': '...'`, `born 1 May 2014`)."""
NAMED_PERSON = re.compile(
    r"(?i)\b(?P<key>forename|surname|first_name|last_name|full_name|child_name|address)"
    r"(?P<sep>['\"]?\s*[:=]\s*['\"]?)(?P<value>[^'\",}\n]+)"
)
"""A value named as a child's name or address (`forename=...`, `'surname': '...'`)."""
EMAIL = re.compile(
    r"\b[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
POSTCODE = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b")
MASK = "[redacted]"

QUIET_LIBRARIES = ("sqlalchemy", "alembic", "aiosmtplib", "apscheduler", "mail.log", "asyncio")
"""Libraries held at WARNING: SQLAlchemy at INFO logs every statement with its parameters,
which are children's details."""

_HANDLER_NAME = "cme"


def redact(text: str) -> str:
    """Mask UPNs, dates of birth, named names and addresses, email local parts and postcodes."""
    text = UPN.sub(MASK, text)
    text = DATE_OF_BIRTH.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", text)
    text = NAMED_PERSON.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", text)
    text = EMAIL.sub(lambda m: f"{MASK}@{m['domain']}", text)
    return POSTCODE.sub(MASK, text)


class RedactingFilter(logging.Filter):
    """Masks personal data in a record's message, arguments and traceback; never drops one.

    The message is formatted with its arguments first (so `log.info("%s", upn)` is caught),
    then masked; the record keeps the masked text and no arguments.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: keep what can be shown
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


class JsonLinesFormatter(logging.Formatter):
    """One JSON object a line: at (UTC), level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value if isinstance(value, int | bool | None) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return redact(json.dumps(line, ensure_ascii=False, default=str))


class KeyValueFormatter(logging.Formatter):
    """`at=... level=info logger=engine.apply message="..."` a line, for people to read."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        parts = [
            f"at={at}",
            f"level={record.levelname.lower()}",
            f"logger={record.name}",
            f"message={json.dumps(record.getMessage(), ensure_ascii=False)}",
        ]
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            parts.append(f"exception={json.dumps(record.exc_text, ensure_ascii=False)}")
        return redact(" ".join(parts))


def configure_logging(
    level: str | int = "INFO", stream: TextIO | None = None, fmt: str = "json"
) -> logging.Handler:
    """Send every record at `level` or above to `stream` (stderr), redacted, one a line.

    Idempotent: a second call replaces the handler the first installed. `fmt` is `json`
    (JSON lines, for a log collector) or `kv` (key=value, for a terminal).
    """
    if fmt not in ("json", "kv"):
        raise ValueError("the log format must be json or kv")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonLinesFormatter() if fmt == "json" else KeyValueFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


__all__ = [
    "JsonLinesFormatter",
    "KeyValueFormatter",
    "RedactingFilter",
    "configure_logging",
    "redact",
]
