"""Building the MIME message, writing it to files, and classifying SMTP failures."""

from __future__ import annotations

import email
import email.policy
import ssl
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from notifications.errors import (
    DeliveryError,
    PermanentDeliveryError,
    RecipientNotAllowed,
    TransientDeliveryError,
)
from notifications.recipients import AllowList
from notifications.smtp import (
    FileSender,
    SmtpSender,
    SmtpSettings,
    build_email,
    delivery_error,
    tls_context,
)
from notifications.testing import outbox_message

SETTINGS = SmtpSettings(
    host="smtp.luton.example",
    port=587,
    username="cme-bot",
    password="s3cret",
    tls="starttls",
    ca_file=None,
    mail_from="Luton CME <cme@luton.example>",
    timeout_s=10,
)


def _parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_email_carries_the_outbox_headers_and_both_bodies() -> None:
    """From, To, Subject, Date, the stable Message-ID, the case and Auto-Submitted."""
    message = replace(outbox_message(17), body_text="Dear colleague,\n", body_html="<p>Hi</p>\n")

    parsed = _parse(build_email(message, "Luton CME <cme@luton.example>").as_bytes())

    assert {
        k: str(parsed[k])
        for k in ("From", "To", "Subject", "Date", "Message-ID", "X-CME-Case", "Auto-Submitted")
    } == {
        "From": "Luton CME <cme@luton.example>",
        "To": "mash@luton.example",
        "Subject": "CME-000042: sample subject",
        "Date": "Mon, 16 Nov 2026 10:05:00 +0000",
        "Message-ID": "<cme-outbox-17-case-42-3@cme.invalid>",
        "X-CME-Case": "CME-000042",
        "Auto-Submitted": "auto-generated",
    }
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert text is not None and html is not None
    assert (text.get_content(), html.get_content()) == ("Dear colleague,\n", "<p>Hi</p>\n")


def test_the_same_outbox_row_always_gives_the_same_bytes() -> None:
    """A retried file write or send is byte-identical (no random MIME boundary)."""
    message = outbox_message(5)

    assert (
        build_email(message, "cme@luton.example").as_bytes()
        == build_email(message, "cme@luton.example").as_bytes()
    )


def test_a_naive_created_at_is_taken_as_utc() -> None:
    """SQLite hands back naive UTC datetimes."""
    message = replace(outbox_message(5), created_at=datetime(2026, 11, 16, 10, 5))

    assert build_email(message, "cme@luton.example")["Date"] == "Mon, 16 Nov 2026 10:05:00 +0000"


def test_an_unsaved_message_cannot_be_sent() -> None:
    """Without an id there is no stable Message-ID, so duplicates could not be dropped."""
    with pytest.raises(PermanentDeliveryError, match="has no id"):
        build_email(replace(outbox_message(5), id=None), "cme@luton.example")


def test_the_file_sender_writes_one_eml_file_per_message_idempotently(tmp_path: Path) -> None:
    """`<outbox-id>-<template>.eml`; writing it twice leaves one identical file."""
    sender = FileSender(tmp_path / "outbox")
    message = outbox_message(9, template="pro_forma")

    sender.send(message)
    first = (tmp_path / "outbox" / "9-pro_forma.eml").read_bytes()
    sender.send(message)

    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == ["9-pro_forma.eml"]
    assert (tmp_path / "outbox" / "9-pro_forma.eml").read_bytes() == first
    assert _parse(first)["Message-ID"] == "<cme-outbox-9-case-42-3@cme.invalid>"


def test_the_file_sender_reports_an_unwritable_folder_as_transient(tmp_path: Path) -> None:
    """A full or read-only disk may recover; the message is kept for a retry."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")

    with pytest.raises(TransientDeliveryError, match="could not write"):
        FileSender(blocker).send(outbox_message(1))


def test_the_tls_context_verifies_and_demands_tls_1_2() -> None:
    """LAW.md "Secure email": TLS 1.2 or newer, certificate and host name checked."""
    context = tls_context()

    assert (context.minimum_version, context.verify_mode, context.check_hostname) == (
        ssl.TLSVersion.TLSv1_2,
        ssl.CERT_REQUIRED,
        True,
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tls": "none"}, "must be 'starttls' or 'implicit'"),
        ({"port": 0}, "out of range"),
        ({"password": None}, "both the SMTP username and password"),
        ({"mail_from": "nobody"}, "not an email address"),
        ({"timeout_s": 0}, "must be positive"),
    ],
)
def test_settings_that_cannot_work_are_refused(changes: dict[str, Any], message: str) -> None:
    """Plaintext is not an option, and half a login is a mistake."""
    with pytest.raises(ValueError, match=message):
        replace(SETTINGS, **changes)


def test_the_password_is_not_shown_in_the_settings_repr() -> None:
    """Settings get logged; the secret must not be."""
    assert "s3cret" not in repr(SETTINGS)


def test_a_recipient_off_the_allow_list_is_refused_before_any_connection() -> None:
    """The host does not exist: reaching the network would be a transient error instead."""
    sender = SmtpSender(replace(SETTINGS, host="smtp.invalid"), AllowList(frozenset({"gov.uk"})))

    with pytest.raises(RecipientNotAllowed, match="mash@luton.example|luton.example"):
        sender.send(outbox_message(1))


def _connect_error_from(cause: BaseException) -> aiosmtplib.SMTPConnectError:
    try:
        try:
            raise cause
        except OSError as exc:
            raise aiosmtplib.SMTPConnectError("Error connecting") from exc
    except aiosmtplib.SMTPConnectError as wrapped:
        return wrapped


def _cert_error() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "unable to get local issuer certificate"
    return error


@pytest.mark.parametrize(
    ("exc", "kind", "text"),
    [
        (
            ConnectionRefusedError(111, "Connection refused"),
            TransientDeliveryError,
            "could not talk to the mail gateway smtp.luton.example:587",
        ),
        (
            aiosmtplib.SMTPConnectTimeoutError("Timed out connecting"),
            TransientDeliveryError,
            "did not answer within 10 seconds",
        ),
        (
            aiosmtplib.SMTPServerDisconnected("Connection lost"),
            TransientDeliveryError,
            "could not talk to",
        ),
        (
            aiosmtplib.SMTPDataError(451, "try later"),
            TransientDeliveryError,
            "asked to try later (451 try later)",
        ),
        (
            aiosmtplib.SMTPDataError(550, "rejected"),
            PermanentDeliveryError,
            "refused the message (550 rejected)",
        ),
        (
            aiosmtplib.SMTPSenderRefused(553, "not allowed", "cme@luton.example"),
            PermanentDeliveryError,
            "refused the message (553 not allowed)",
        ),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(450, "mailbox busy", "mash@luton.example")]
            ),
            TransientDeliveryError,
            "deferred the recipient mash@luton.example (450 mailbox busy)",
        ),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(550, "no such user", "mash@luton.example")]
            ),
            PermanentDeliveryError,
            "refused the recipient mash@luton.example (550 no such user); check the address",
        ),
        (
            aiosmtplib.SMTPAuthenticationError(535, "bad credentials"),
            PermanentDeliveryError,
            "refused the login for user 'cme-bot' (535 bad credentials); check the SMTP",
        ),
        (
            aiosmtplib.SMTPAuthenticationError(454, "try again"),
            TransientDeliveryError,
            "refused the login for user 'cme-bot' (454 try again); will try again",
        ),
        (
            aiosmtplib.SMTPException("SMTP STARTTLS extension not supported by server."),
            PermanentDeliveryError,
            "does not offer STARTTLS",
        ),
        (
            aiosmtplib.SMTPException("The SMTP AUTH extension is not supported by this server."),
            PermanentDeliveryError,
            "cannot log in user 'cme-bot'",
        ),
        (
            _cert_error(),
            PermanentDeliveryError,
            "certificate that could not be verified (unable to get local issuer certificate)",
        ),
        (
            _connect_error_from(_cert_error()),
            PermanentDeliveryError,
            "certificate that could not be verified",
        ),
        (
            ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
            PermanentDeliveryError,
            "the TLS handshake with the mail gateway",
        ),
        (
            ssl.SSLEOFError(8, "EOF occurred in violation of protocol"),
            TransientDeliveryError,
            "could not talk to",
        ),
        (
            aiosmtplib.SMTPException("something new"),
            TransientDeliveryError,
            "failed (something new); will try again",
        ),
    ],
)
def test_failures_are_classified_transient_or_permanent_in_operator_words(
    exc: BaseException, kind: type[DeliveryError], text: str
) -> None:
    """LIBRARIES.md section 4: retry the network and 4xx, stop on 5xx, TLS and login."""
    error = delivery_error(exc, SETTINGS)

    assert type(error) is kind
    assert text in str(error)
