"""A real SMTP server on 127.0.0.1 (aiosmtpd) with TLS from a throwaway CA (trustme) and AUTH.

LIBRARIES.md section 4: aiosmtpd cannot bind port 0, so a free port is picked first; the
authenticator returns `handled=False` so a bad login gets its 535 at once; `mail.log` is
silenced (aiosmtpd logs every session, and a deprecation on every AUTH).
"""

from __future__ import annotations

import email
import email.policy
import gc
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from notifications.smtp import SmtpSettings

USER, PASSWORD = "cme-bot", "s3cret"


@dataclass
class Received:
    """One message the server accepted, and how the session that sent it looked."""

    authenticated: bool
    tls_version: str | None
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    """The aiosmtpd handler: keeps accepted messages; `reply` switches the DATA answer."""

    reply: str = "250 OK"
    received: list[Received] = field(default_factory=list)
    data_commands: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.data_commands += 1
        reply = self.reply
        if reply.startswith("250"):
            tls = server.transport.get_extra_info("ssl_object")
            parsed = email.message_from_bytes(
                envelope.original_content, policy=email.policy.default
            )
            assert isinstance(parsed, EmailMessage)
            self.received.append(
                Received(
                    authenticated=bool(session.authenticated),
                    tls_version=tls.version() if tls is not None else None,
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    message=parsed,
                )
            )
        return reply


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def free_port() -> int:
    """A port nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class SmtpServer:
    """A running test server and the client settings that reach it."""

    port: int
    inbox: Inbox
    ca_file: Path

    def settings(self, **changes: Any) -> SmtpSettings:
        """Client settings for this server (STARTTLS, our CA, the test login)."""
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "username": USER,
            "password": PASSWORD,
            "tls": "starttls",
            "ca_file": str(self.ca_file),
            "mail_from": "Luton CME <cme@luton.example>",
            "timeout_s": 5,
        }
        values.update(changes)
        return SmtpSettings(**values)


ServerMode = Literal["starttls", "implicit", "plain"]
StartServer = Callable[..., SmtpServer]


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """The CA the test server's certificate comes from."""
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    """The CA's certificate as a PEM file, as an operator would configure it."""
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(autouse=True)
def _quiet_mail_log() -> Iterator[None]:
    logger = logging.getLogger("mail.log")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)
    # Collect now, so a socket a test leaves open is reported against that test.
    gc.collect()


@pytest.fixture
def start_server(ca: trustme.CA, ca_file: Path) -> Iterator[StartServer]:
    """Start servers for a test (`start_server("implicit")`, optionally with the names its
    certificate carries); all are stopped afterwards."""
    controllers: list[Controller] = []

    def start(
        mode: ServerMode = "starttls", names: tuple[str, ...] = ("127.0.0.1", "localhost")
    ) -> SmtpServer:
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*names).configure_cert(server_context)
        inbox = Inbox()
        options: dict[str, Any] = {"authenticator": _authenticator}
        if mode == "starttls":
            options.update(
                tls_context=server_context,
                require_starttls=True,
                auth_required=True,
                auth_require_tls=True,
            )
        elif mode == "implicit":
            # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; this is TLS throughout.
            options.update(ssl_context=server_context, auth_required=True, auth_require_tls=False)
        else:
            options.update(auth_required=False, auth_require_tls=False)
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        controllers.append(controller)
        return SmtpServer(port=controller.port, inbox=inbox, ca_file=ca_file)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(start_server: StartServer) -> SmtpServer:
    """A server demanding STARTTLS and AUTH, as the authority's gateway does."""
    return start_server("starttls")
