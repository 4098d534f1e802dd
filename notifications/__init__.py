"""Notifications: render a case's letters, and deliver them over TLS from the outbox.

`TemplateRenderer` implements the engine's `Renderer` port: it renders a template
(`notifications/templates/NAME.{subject,txt,html}.j2`) for a case and addresses it to the roles
in `TEMPLATE_RECIPIENTS`. The engine stores the results in the outbox in the same commit as the
event. `Dispatcher` later drains the outbox through a `Sender` (`SmtpSender` over TLS to the
authority's gateway, or `FileSender` for the demo), retrying with back-off, and reports what it
sent, deferred and gave up on so the application can record it and alert the CMEO.

This package imports only the standard library, `engine`, `jinja2`, `aiosmtplib` and (to read
the recipients file) `yaml`; never `storage`, `workflows` or `cme`. It never reads the clock.
The names below are imported on first use, so a command that renders nothing loads no jinja2.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from notifications.catalogue import TEMPLATES_DIR
    from notifications.dispatch import (
        Backoff,
        DeliveryOutcome,
        Dispatcher,
        DispatchReport,
        OutboxStore,
        Sender,
    )
    from notifications.errors import (
        DeliveryError,
        MissingTemplateVariable,
        NotificationError,
        PermanentDeliveryError,
        RecipientNotAllowed,
        RecipientsFileError,
        SubjectDisclosesIdentity,
        TemplateRenderError,
        TransientDeliveryError,
        UnknownTemplate,
    )
    from notifications.recipients import (
        TEMPLATE_RECIPIENTS,
        AllowList,
        Recipients,
        load_recipients_file,
    )
    from notifications.rendering import (
        OPTIONAL_EXTRAS,
        TEMPLATE_EXTRAS,
        TEMPLATE_TITLES,
        TemplateRenderer,
    )
    from notifications.smtp import FileSender, SmtpSender, SmtpSettings, build_email, tls_context

__all__ = [
    "OPTIONAL_EXTRAS",
    "TEMPLATES_DIR",
    "TEMPLATE_EXTRAS",
    "TEMPLATE_RECIPIENTS",
    "TEMPLATE_TITLES",
    "AllowList",
    "Backoff",
    "DeliveryError",
    "DeliveryOutcome",
    "DispatchReport",
    "Dispatcher",
    "FileSender",
    "MissingTemplateVariable",
    "NotificationError",
    "OutboxStore",
    "PermanentDeliveryError",
    "RecipientNotAllowed",
    "Recipients",
    "RecipientsFileError",
    "Sender",
    "SmtpSender",
    "SmtpSettings",
    "SubjectDisclosesIdentity",
    "TemplateRenderError",
    "TemplateRenderer",
    "TransientDeliveryError",
    "UnknownTemplate",
    "build_email",
    "load_recipients_file",
    "tls_context",
]

_HOME = {
    **dict.fromkeys(
        ("Backoff", "DeliveryOutcome", "Dispatcher", "DispatchReport", "OutboxStore", "Sender"),
        "dispatch",
    ),
    **dict.fromkeys(
        (
            "DeliveryError",
            "MissingTemplateVariable",
            "NotificationError",
            "PermanentDeliveryError",
            "RecipientNotAllowed",
            "RecipientsFileError",
            "SubjectDisclosesIdentity",
            "TemplateRenderError",
            "TransientDeliveryError",
            "UnknownTemplate",
        ),
        "errors",
    ),
    **dict.fromkeys(
        ("TEMPLATE_RECIPIENTS", "AllowList", "Recipients", "load_recipients_file"), "recipients"
    ),
    "TEMPLATES_DIR": "catalogue",
    **dict.fromkeys(
        ("OPTIONAL_EXTRAS", "TEMPLATE_EXTRAS", "TEMPLATE_TITLES", "TemplateRenderer"), "rendering"
    ),
    **dict.fromkeys(
        ("FileSender", "SmtpSender", "SmtpSettings", "build_email", "tls_context"), "smtp"
    ),
}
"""The module each name of `__all__` lives in: a name is imported on first use (PEP 562), so
importing one light module of the package (`notifications.catalogue`) loads neither jinja2 nor
aiosmtplib."""


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
