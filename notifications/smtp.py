"""Hand outbox messages to the authority's mail gateway over TLS, or to files for the demo.

LAW.md ("Secure email"): the engine sends through the authority's own accredited gateway,
refuses to send without TLS (1.2 or newer, certificate verified), and refuses personal data to
a domain not on the allow-list. So `SmtpSender` never sends in clear: `starttls` demands the
upgrade (a server that does not offer it is a permanent failure), `implicit` speaks TLS from the
first byte. Every failure becomes a `TransientDeliveryError` (try again later) or a
`PermanentDeliveryError` (an operator must act), with the reason in words an operator can use.

This module does not retry, wait or record anything: `notifications.dispatch` does that.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import aiosmtplib

from engine.ports import OutboxMessage, case_ref
from notifications.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from notifications.recipients import AllowList, address_domain

TlsMode = Literal["starttls", "implicit"]
"""`starttls`: connect, then upgrade or refuse (port 587). `implicit`: TLS at once (465)."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """How to reach the authority's mail gateway.

    Attributes:
        host: the gateway's host name (it must match its certificate).
        port: usually 587 for `starttls`, 465 for `implicit`.
        username: the SMTP login, or None for a gateway that relays without AUTH.
        password: the SMTP password (kept out of `repr`).
        tls: `starttls` or `implicit`; there is no plaintext mode.
        ca_file: a PEM bundle to trust instead of the system store (a private CA).
        mail_from: the From address, optionally with a display name
            ("Luton CME <cme@luton.gov.uk>").
        timeout_s: seconds allowed for the connection and for each SMTP command.
    """

    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    tls: TlsMode
    ca_file: str | None
    mail_from: str
    timeout_s: float = 30

    def __post_init__(self) -> None:
        if self.tls not in ("starttls", "implicit"):
            raise ValueError(f"SMTP tls must be 'starttls' or 'implicit', not {self.tls!r}")
        if not 0 < self.port < 65536:
            raise ValueError(f"SMTP port {self.port} is out of range")
        if (self.username is None) != (self.password is None):
            raise ValueError("set both the SMTP username and password, or neither")
        if address_domain(self.mail_from) is None:
            raise ValueError(f"mail_from {self.mail_from!r} is not an email address")
        if self.timeout_s <= 0:
            raise ValueError("SMTP timeout_s must be positive")


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A client context: certificate and host name verified, TLS 1.2 or newer.

    With `ca_file` only that bundle is trusted (the system store is not loaded), which is
    what a gateway behind a private CA needs.
    """
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    # "Securing government email": TLS 1.2 or newer (LAW.md).
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def build_email(message: OutboxMessage, mail_from: str) -> EmailMessage:
    """The MIME message for an outbox row: text, with the HTML as its alternative.

    `Message-ID` is the row's stable id, so a receiving system can drop a duplicate when a
    retry follows a delivery whose confirmation was lost. The boundary is derived from the
    content, so the same row always gives the same bytes.

    Raises:
        PermanentDeliveryError: the row has no id (it was never stored), so it cannot have a
            stable Message-ID.
    """
    if message.id is None:
        raise PermanentDeliveryError(
            f"outbox message for {case_ref(message.case_id)} has no id; only stored messages "
            "can be sent (their Message-ID must be stable)"
        )
    created_at = message.created_at
    if created_at.tzinfo is None:
        # Rows are stored in UTC; some drivers (SQLite) hand them back naive.
        created_at = created_at.replace(tzinfo=UTC)
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(created_at)
    email["Message-ID"] = message.message_id
    email["X-CME-Case"] = case_ref(message.case_id)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    email["X-Auto-Response-Suppress"] = "All"  # the same, for Exchange
    email.set_content(message.body_text, subtype="plain")
    email.add_alternative(message.body_html, subtype="html")
    digest = hashlib.sha256(
        f"{message.message_id}\0{message.body_text}\0{message.body_html}".encode()
    ).hexdigest()
    email.set_boundary(f"==cme-{digest[:32]}")
    return email


class SmtpSender:
    """Sends outbox messages through the mail gateway, over TLS only.

    Args:
        settings: the gateway and its credentials.
        allow_list: the domains that may receive personal data; checked before connecting.
    """

    def __init__(self, settings: SmtpSettings, allow_list: AllowList) -> None:
        self.settings = settings
        self.allow_list = allow_list
        self._context = tls_context(settings.ca_file)

    def send(self, message: OutboxMessage) -> None:
        """Send one message and wait for the gateway to accept it.

        Runs its own event loop (`asyncio.run`), so call it from synchronous code only; from
        a coroutine, await `asend`.

        Raises:
            TransientDeliveryError: try again later.
            PermanentDeliveryError: retrying will not help; the reason says what to fix.
        """
        asyncio.run(self.asend(message))

    async def asend(self, message: OutboxMessage) -> None:
        """Send one message; see `send`."""
        self.allow_list.check(message.recipient)
        email = build_email(message, self.settings.mail_from)
        implicit = self.settings.tls == "implicit"
        client = _SMTP(
            hostname=self.settings.host,
            port=self.settings.port,
            username=self.settings.username,
            password=self.settings.password,
            use_tls=implicit,
            start_tls=not implicit,  # True = required, never the opportunistic default
            tls_context=self._context,
            timeout=self.settings.timeout_s,
        )
        try:
            async with client:
                await client.send_message(
                    email,
                    sender=parseaddr(self.settings.mail_from)[1],
                    recipients=[message.recipient],
                )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise delivery_error(exc, self.settings) from exc
        finally:
            # Let the aborted connection's close callbacks run before the caller's loop ends.
            await asyncio.sleep(0)


class _SMTP(aiosmtplib.SMTP):
    """aiosmtplib's client, closing its connection at once instead of gracefully.

    aiosmtplib closes a TLS connection by starting the TLS shutdown (close_notify) without
    waiting for it to finish, so `asyncio.run` can close the loop first and leave the socket
    open until garbage collection (seen as a ResourceWarning). Close happens after QUIT or
    after a failure, when nothing is left to say, so aborting loses nothing.
    """

    def close(self) -> None:
        """Abort the transport (the socket closes on the next loop turn), then reset."""
        transport = self.transport
        if isinstance(transport, asyncio.Transport) and not transport.is_closing():
            transport.abort()
        super().close()


def delivery_error(exc: BaseException, settings: SmtpSettings) -> DeliveryError:
    """Classify a failure to send as transient or permanent, in an operator's words.

    Transient: no connection, timeouts, a dropped connection, 4xx replies. Permanent: 5xx
    replies, a certificate that does not verify or a failed TLS handshake, a gateway that does
    not offer STARTTLS or AUTH, a refused login (LIBRARIES.md section 4).
    """
    gateway = f"the mail gateway {settings.host}:{settings.port}"
    for cause in _chain(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            trust = f"the CA file {settings.ca_file}" if settings.ca_file else "the system store"
            # Attributes set by the ssl module on real handshakes; absent on hand-made errors.
            detail = getattr(cause, "verify_message", None) or str(cause)
            return PermanentDeliveryError(
                f"{gateway} presented a certificate that could not be verified ({detail}); "
                f"check the gateway's host name and that its CA is in {trust}. Nothing was sent."
            )
        if isinstance(cause, ssl.SSLError) and not isinstance(
            cause, ssl.SSLEOFError | ssl.SSLZeroReturnError
        ):
            return PermanentDeliveryError(
                f"the TLS handshake with {gateway} failed "
                f"({getattr(cause, 'reason', None) or cause}); it must "
                f"offer TLS 1.2 or newer on this port (tls={settings.tls}). Nothing was sent."
            )
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        text = f"{gateway} refused the login for user '{settings.username}' ({_reply(exc)})"
        if _is_temporary(exc.code):
            return TransientDeliveryError(f"{text}; will try again", exc.code)
        return PermanentDeliveryError(f"{text}; check the SMTP username and password", exc.code)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        refused = "; ".join(f"{r.recipient} ({_reply(r)})" for r in exc.recipients)
        if codes and all(_is_temporary(c) for c in codes):
            return TransientDeliveryError(f"{gateway} deferred the recipient {refused}", codes[0])
        return PermanentDeliveryError(
            f"{gateway} refused the recipient {refused}; check the address",
            next((c for c in codes if not _is_temporary(c)), None),
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if 500 <= exc.code < 600:
            return PermanentDeliveryError(
                f"{gateway} refused the message ({_reply(exc)})", exc.code
            )
        return TransientDeliveryError(f"{gateway} asked to try later ({_reply(exc)})", exc.code)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return TransientDeliveryError(
            f"{gateway} did not answer within {settings.timeout_s:g} seconds ({exc}); "
            "will try again"
        )
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected | OSError):
        return TransientDeliveryError(f"could not talk to {gateway} ({exc}); will try again")
    text = str(exc)
    if re.search(r"STARTTLS", text, re.IGNORECASE):
        return PermanentDeliveryError(
            f"{gateway} does not offer STARTTLS, and personal data is never sent without TLS; "
            f"use the gateway's TLS port or tls=implicit ({text}). Nothing was sent."
        )
    if re.search(r"\bAUTH|authentication", text, re.IGNORECASE):
        return PermanentDeliveryError(
            f"{gateway} cannot log in user '{settings.username}' ({text}); check that it "
            "offers AUTH over TLS and the SMTP credentials."
        )
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return PermanentDeliveryError(f"{gateway} cannot take this message ({text})")
    return TransientDeliveryError(f"sending through {gateway} failed ({text}); will try again")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes: aiosmtplib wraps TLS errors on connect in SMTPConnectError."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_temporary(code: int) -> bool:
    return 400 <= code < 500


def _reply(exc: aiosmtplib.SMTPResponseException) -> str:
    return f"{exc.code} {exc.message}".strip()


class FileSender:
    """Writes each message as `<outbox-id>-<template>.eml` instead of sending it.

    For the demo and for development when no gateway is configured. Writing the same message
    again gives the same file with the same bytes, so a retry is harmless.

    Args:
        directory: where the files go (created if missing).
        mail_from: the From header to write.
    """

    def __init__(self, directory: Path, mail_from: str = "cme@cme.invalid") -> None:
        self.directory = directory
        self.mail_from = mail_from

    def path_for(self, message: OutboxMessage) -> Path:
        """The file a message is written to."""
        template = re.sub(r"[^A-Za-z0-9_-]", "_", message.template)
        return self.directory / f"{message.id}-{template}.eml"

    def send(self, message: OutboxMessage) -> None:
        """Write the message's file, replacing it atomically if it exists.

        Raises:
            PermanentDeliveryError: the message has no id.
            TransientDeliveryError: the file could not be written.
        """
        data = build_email(message, self.mail_from).as_bytes()
        target = self.path_for(message)
        partial = target.with_suffix(".eml.partial")
        try:
            _private_folder(self.directory)
            partial.unlink(missing_ok=True)  # a crash's leftover, or a planted link (not followed)
            fd = os.open(partial, _CREATE_PRIVATE, _PRIVATE_FILE)
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), _PRIVATE_FILE)  # exactly 0600, whatever the umask
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)  # a link at `target` is replaced, never written through
        except OSError as exc:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            raise TransientDeliveryError(f"could not write {target}: {exc}") from exc


_PRIVATE_FILE = 0o600
_PRIVATE_DIR = 0o700
_CREATE_PRIVATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
"""A message file holds a child's details: created owner-only, exclusively, never through a
symbolic link (as `storage.files` does for the database; notifications cannot import storage)."""


def _private_folder(folder: Path) -> None:
    """Create `folder` and missing parents owner-only (0700); an existing one is left as is."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, _PRIVATE_DIR)
        except FileExistsError:
            continue
        os.chmod(path, _PRIVATE_DIR)


if TYPE_CHECKING:
    from notifications.dispatch import Sender

    def _senders_satisfy_the_port(smtp: SmtpSender, files: FileSender) -> tuple[Sender, Sender]:
        return smtp, files  # checked by mypy
