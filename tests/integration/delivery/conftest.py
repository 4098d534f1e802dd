"""Fixtures for delivery through the real path: an app with a fake clock whose outbox is sent by
`cme.delivery.deliver` to a real SMTP server (aiosmtpd, STARTTLS with a trustme CA, AUTH).

The CA, the log silencing and the garbage collection come from the notifications tests; the
gateway here can also be stopped and started again on the same port (server down, then up).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller

from cme.bootstrap import App
from engine import Actor
from engine.testing import FakeClock
from tests.integration.notifications.conftest import (  # noqa: F401 - fixtures, reused
    _collect_garbage,
    _quiet_mail_log,
    ca,
    ca_file,
)
from tests.integration.notifications.smtp_server import (
    PASSWORD,
    USER,
    Inbox,
    ServerMode,
    authenticator,
    free_port,
)
from tests.support import START, make_app, school_referral

CASEWORKER = Actor("Jane Caseworker", "caseworker")
CONCERN = {"concern": "bruising seen by a neighbour", "raised_by": "Bob Visitor"}


@dataclass
class Gateway:
    """A test mail gateway on a fixed port that can go down and come back."""

    certificate_ca: trustme.CA
    mode: ServerMode = "starttls"
    port: int = field(default_factory=free_port)
    inbox: Inbox = field(default_factory=Inbox)
    controller: Controller | None = None

    def start(self) -> Gateway:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.certificate_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        options: dict[str, Any] = {"authenticator": authenticator}
        if self.mode == "starttls":
            options.update(
                tls_context=context,
                require_starttls=True,
                auth_required=True,
                auth_require_tls=True,
            )
        else:  # "plain": no TLS offered at all
            options.update(auth_required=False, auth_require_tls=False)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def message_ids(self) -> list[str]:
        return [str(r.message["Message-ID"]) for r in self.inbox.received]


StartGateway = Callable[..., Gateway]


@pytest.fixture
def gateways(ca: trustme.CA) -> Iterator[StartGateway]:  # noqa: F811 - the imported fixture
    """`gateways(mode="starttls", ca=None, start=True)`: gateways stopped after the test."""
    made: list[Gateway] = []

    def make(
        mode: ServerMode = "starttls", certificate_ca: trustme.CA | None = None, start: bool = True
    ) -> Gateway:
        gateway = Gateway(certificate_ca or ca, mode)
        made.append(gateway)
        return gateway.start() if start else gateway

    yield make
    for gateway in made:
        gateway.stop()


@pytest.fixture
def gateway(gateways: StartGateway) -> Gateway:
    """The authority's gateway: STARTTLS required, AUTH required."""
    return gateways()


MakeApp = Callable[..., App]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def delivery_app(
    tmp_path: Path,
    ca_file: Path,  # noqa: F811 - the imported fixture
    clock: FakeClock,
) -> Iterator[MakeApp]:
    """`delivery_app(gateway, url=None, **settings)`: an app on a SQLite file (or `url`) whose
    SMTP settings reach `gateway` (None: no SMTP, .eml files); databases disposed after."""
    built: list[App] = []

    def make(gateway: Gateway | None, url: str | None = None, **settings: Any) -> App:
        values: dict[str, Any] = {"outbox_dir": tmp_path / "outbox"}
        if gateway is not None:
            values.update(
                smtp_host="127.0.0.1",
                smtp_port=gateway.port,
                smtp_username=USER,
                smtp_password=PASSWORD,
                smtp_tls="starttls",
                smtp_ca_file=ca_file,
                mail_from="Luton CME <cme-noreply@luton.gov.uk>",
            )
        values.update(settings)
        application = make_app(url or f"sqlite:///{tmp_path}/cme.db", clock, **values)
        built.append(application)
        return application

    yield make
    for application in built:
        application.db.dispose()


def open_case(application: App, **overrides: Any) -> int:
    """Open a low-risk school referral (it queues `referral_received` to the CMEO)."""
    applied = application.engine.open_case(
        "school-referral", school_referral(**overrides), CASEWORKER
    )
    return applied.case.id


def raise_concern(application: App, case_id: int) -> None:
    """A child-protection concern: the case goes to MASH and `mash_escalation` is queued."""
    application.engine.apply(case_id, "raise_concern", CONCERN, CASEWORKER)
