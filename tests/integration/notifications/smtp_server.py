"""The pieces of the test SMTP server: a handler that records what arrives, the login it
accepts, and the client settings that reach it (fixtures in `conftest.py`).

LIBRARIES.md section 4: the authenticator returns `handled=False` so a bad login gets its 535
at once instead of a silent timeout.
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

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


def authenticator(
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
"""`starttls` (required, with AUTH), `implicit` TLS, or `plain` (no TLS offered at all)."""

StartServer = Callable[..., SmtpServer]
"""The `start_server` fixture: `start_server(mode="starttls", names=(...))`."""
