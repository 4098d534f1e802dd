"""SmtpSender against a real SMTP server: TLS always, failures classified, headers kept."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import trustme

from engine.ports import OutboxMessage
from notifications.errors import (
    PermanentDeliveryError,
    RecipientNotAllowed,
    TransientDeliveryError,
)
from notifications.recipients import AllowList
from notifications.rendering import TemplateRenderer
from notifications.smtp import SmtpSender
from notifications.testing import SAMPLE_RECIPIENTS, outbox_message, sample_context
from tests.integration.notifications.smtp_server import SmtpServer, StartServer, free_port

pytestmark = [
    pytest.mark.smtp,
    # aiosmtpd counts only STARTTLS as TLS when it warns about AUTH; the implicit-TLS server
    # is TLS from the first byte, so the warning does not apply.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]

ALLOW = AllowList(frozenset({"luton.example", "bedford.example"}))


def _rendered_message(message_id: int = 42) -> OutboxMessage:
    """A real rendered letter as the outbox would hold it."""
    [rendered] = TemplateRenderer(SAMPLE_RECIPIENTS).render(
        "mash_escalation", sample_context("mash_escalation")
    )
    return replace(
        outbox_message(message_id),
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
    )


def test_a_message_arrives_over_starttls_authenticated_with_its_headers_and_both_parts(
    smtp_server: SmtpServer,
) -> None:
    """What the gateway receives is what the outbox row says, over TLS, after AUTH."""
    message = _rendered_message()

    SmtpSender(smtp_server.settings(), ALLOW).send(message)

    [received] = smtp_server.inbox.received
    assert received.authenticated is True
    assert received.tls_version in {"TLSv1.2", "TLSv1.3"}
    assert (received.mail_from, received.rcpt_tos) == ("cme@luton.example", ["mash@luton.example"])
    headers = received.message
    assert {
        k: str(headers[k])
        for k in ("Subject", "From", "To", "Message-ID", "X-CME-Case", "Auto-Submitted")
    } == {
        "Subject": "CME-000042: child protection concern — referral to MASH",
        "From": "Luton CME <cme@luton.example>",
        "To": "mash@luton.example",
        "Message-ID": "<cme-outbox-42-case-42-3@cme.invalid>",
        "X-CME-Case": "CME-000042",
        "Auto-Submitted": "auto-generated",
    }
    text, html = headers.get_body(("plain",)), headers.get_body(("html",))
    assert text is not None and html is not None
    # SMTP carries CRLF line ends; the parts are otherwise exactly the rendered bodies.
    assert (
        text.get_content().replace("\r\n", "\n"),
        html.get_content().replace("\r\n", "\n"),
    ) == (message.body_text, message.body_html)


def test_implicit_tls_delivers_too(start_server: StartServer) -> None:
    """Port-465 style: TLS from the first byte."""
    server = start_server("implicit")

    SmtpSender(server.settings(tls="implicit"), ALLOW).send(_rendered_message())

    [received] = server.inbox.received
    assert (received.authenticated, received.tls_version in {"TLSv1.2", "TLSv1.3"}) == (True, True)


def test_a_server_without_starttls_gets_nothing_and_the_failure_is_permanent(
    start_server: StartServer,
) -> None:
    """Never in clear: a gateway that cannot do TLS is a configuration error."""
    server = start_server("plain")

    with pytest.raises(PermanentDeliveryError, match="does not offer STARTTLS"):
        SmtpSender(server.settings(), ALLOW).send(_rendered_message())

    assert (server.inbox.data_commands, server.inbox.received) == (0, [])


def test_a_certificate_from_an_untrusted_ca_is_permanent(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """Trusting another CA than the one that signed the gateway's certificate fails closed."""
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))

    with pytest.raises(PermanentDeliveryError, match="could not be verified"):
        SmtpSender(smtp_server.settings(ca_file=str(other)), ALLOW).send(_rendered_message())

    assert smtp_server.inbox.received == []


def test_a_certificate_for_another_host_name_is_permanent(start_server: StartServer) -> None:
    """A trusted CA is not enough: the certificate must name the host we connect to."""
    server = start_server("starttls", names=("gateway.luton.example",))

    with pytest.raises(PermanentDeliveryError, match="could not be verified"):
        SmtpSender(server.settings(), ALLOW).send(_rendered_message())

    assert server.inbox.received == []


def test_untrusted_ca_on_implicit_tls_is_permanent_too(
    start_server: StartServer, tmp_path: Path
) -> None:
    """aiosmtplib wraps the handshake failure in SMTPConnectError; it is still permanent."""
    server = start_server("implicit")
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))

    with pytest.raises(PermanentDeliveryError, match="could not be verified"):
        SmtpSender(server.settings(tls="implicit", ca_file=str(other)), ALLOW).send(
            _rendered_message()
        )


def test_a_server_that_is_down_is_transient(smtp_server: SmtpServer) -> None:
    """Nothing listening: try again later."""
    settings = smtp_server.settings(port=free_port())

    with pytest.raises(TransientDeliveryError, match="could not talk to the mail gateway"):
        SmtpSender(settings, ALLOW).send(_rendered_message())


def test_a_451_is_transient_and_the_retry_is_delivered_once(smtp_server: SmtpServer) -> None:
    """The gateway says try later; the second attempt goes through, once."""
    sender = SmtpSender(smtp_server.settings(), ALLOW)
    message = _rendered_message()
    smtp_server.inbox.reply = "451 4.3.0 try later"

    with pytest.raises(
        TransientDeliveryError, match=r"asked to try later \(451 4.3.0 try later\)"
    ):
        sender.send(message)
    smtp_server.inbox.reply = "250 OK"
    sender.send(message)

    assert smtp_server.inbox.data_commands == 2
    assert [r.message["Message-ID"] for r in smtp_server.inbox.received] == [message.message_id]


def test_a_550_is_permanent(smtp_server: SmtpServer) -> None:
    """The gateway refuses the message for good."""
    smtp_server.inbox.reply = "550 5.7.1 message refused"

    with pytest.raises(PermanentDeliveryError) as caught:
        SmtpSender(smtp_server.settings(), ALLOW).send(_rendered_message())

    assert caught.value.code == 550
    assert smtp_server.inbox.received == []


def test_a_wrong_password_is_permanent(smtp_server: SmtpServer) -> None:
    """A refused login needs an operator, not a retry."""
    settings = smtp_server.settings(password="wrong")

    with pytest.raises(PermanentDeliveryError, match="refused the login for user 'cme-bot'"):
        SmtpSender(settings, ALLOW).send(_rendered_message())


def test_a_recipient_off_the_allow_list_is_refused_before_connecting(
    smtp_server: SmtpServer,
) -> None:
    """Refused even with a working server, and nothing reaches it."""
    message = replace(_rendered_message(), recipient="someone@elsewhere.example")

    with pytest.raises(RecipientNotAllowed, match="elsewhere.example is not on the allow-list"):
        SmtpSender(smtp_server.settings(), ALLOW).send(message)

    assert smtp_server.inbox.data_commands == 0
