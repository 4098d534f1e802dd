"""A real SMTP server on 127.0.0.1 (aiosmtpd) with TLS from a throwaway CA (trustme) and AUTH.

LIBRARIES.md section 4: aiosmtpd cannot bind port 0, so a free port is picked first, and
`mail.log` is silenced (aiosmtpd logs every session, and a deprecation on every AUTH).
"""

from __future__ import annotations

import gc
import logging
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller

from tests.integration.notifications.smtp_server import (
    Inbox,
    ServerMode,
    SmtpServer,
    StartServer,
    authenticator,
    free_port,
)


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


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """Collect after each test, so a socket it leaves open is reported against it."""
    yield
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
        options: dict[str, Any] = {"authenticator": authenticator}
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
