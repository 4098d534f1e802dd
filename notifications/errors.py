"""The exceptions `notifications` raises on purpose, drawn as a tree (httpx style)::

    NotificationError
    ├── RecipientsFileError          the recipients file is unreadable or has unknown keys
    ├── TemplateRenderError          (also a jinja2.TemplateError) a template failed to render
    │   ├── UnknownTemplate              no such template (all three files are needed)
    │   ├── MissingTemplateVariable      names the template, the file, the line and the variable
    │   └── SubjectDisclosesIdentity     a subject line would carry the child's identity
    └── DeliveryError                a message could not be handed to the mail gateway
        ├── TransientDeliveryError       worth retrying later (network, timeout, 4xx)
        └── PermanentDeliveryError       retrying will not help (5xx, TLS, auth, config)
            └── RecipientNotAllowed          the recipient's domain is not on the allow-list

Messages name the case reference, the template and the role, never a child's name: they end up
in logs and in the CMEO's `delivery_failed` alert.
"""

from __future__ import annotations

from collections.abc import Sequence

import jinja2


class NotificationError(Exception):
    """Base of every error this package raises on purpose."""


class RecipientsFileError(NotificationError):
    """The recipients file cannot be used; the message says which key or value is wrong."""

    def __init__(self, source: str, reason: str) -> None:
        self.source, self.reason = source, reason
        super().__init__(f"{source}: {reason}")


class TemplateRenderError(NotificationError, jinja2.TemplateError):
    """A notification template could not be rendered."""

    def __init__(self, template: str, reason: str) -> None:
        self.template, self.reason = template, reason
        super().__init__(f"template '{template}': {reason}")


class UnknownTemplate(TemplateRenderError):
    """No template of that name exists (subject, text and HTML files are all required)."""

    def __init__(self, template: str, known: Sequence[str]) -> None:
        self.known = tuple(known)
        super().__init__(template, f"no such template (known: {', '.join(self.known) or 'none'})")


class MissingTemplateVariable(TemplateRenderError):
    """The context lacks a value the template uses (`StrictUndefined`)."""

    def __init__(self, template: str, variable: str, file: str, line: int | None) -> None:
        self.variable, self.file, self.line = variable, file, line
        where = file if line is None else f"{file}:{line}"
        super().__init__(template, f"{where}: the context has no '{variable}'")


class SubjectDisclosesIdentity(TemplateRenderError):
    """A rendered subject line contains the child's name, date of birth or UPN.

    PROCESS.md: "Subjects carry a case reference, never a child's name." The message names the
    field, never its value.
    """

    def __init__(self, template: str, case_ref: str, field: str) -> None:
        self.case_ref, self.field = case_ref, field
        super().__init__(
            template,
            f"case {case_ref}: the subject line would contain the child's {field}; "
            "subjects carry the case reference only",
        )


class DeliveryError(NotificationError):
    """A message could not be handed to the mail gateway.

    Attributes:
        reason: what went wrong, in words an operator can act on.
        code: the SMTP reply code, when the server gave one.
    """

    def __init__(self, reason: str, code: int | None = None) -> None:
        self.reason, self.code = reason, code
        super().__init__(reason)


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: the gateway was unreachable, slow, or said "try later" (4xx)."""


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help: a 5xx refusal, a TLS or login failure, or a configuration error."""


class RecipientNotAllowed(PermanentDeliveryError):
    """The recipient's domain is not on the configured allow-list (LAW.md, "Secure email")."""

    def __init__(self, recipient: str, reason: str) -> None:
        self.recipient = recipient
        super().__init__(reason)
