"""Test doubles and sample data for notifications, shipped like `engine.testing`.

`sample_context(template)` is a complete, realistic rendering context for each template (the
golden files and the definition tests render it). `InMemoryOutboxStore`, `RecordingSender` and
`ScriptedSender` are hand-written fakes for the dispatcher. The sample data lives in
notifications/samples.py (re-exported here). Nothing here touches the network,
the disk or the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.ports import OutboxMessage
from notifications.samples import SAMPLE_CHILD, SAMPLE_RECIPIENTS, sample_context, sample_templates

__all__ = [
    "SAMPLE_CHILD",
    "SAMPLE_RECIPIENTS",
    "InMemoryOutboxStore",
    "RecordingSender",
    "ScriptedSender",
    "outbox_message",
    "sample_context",
    "sample_templates",
]


def outbox_message(
    message_id: int = 1,
    *,
    case_id: int = 42,
    template: str = "mash_escalation",
    recipient_role: str = "mash",
    recipient: str = "mash@luton.example",
    attempts: int = 0,
    created_at: datetime = datetime(2026, 11, 16, 10, 5, tzinfo=UTC),
) -> OutboxMessage:
    """A stored, pending outbox message with plain sample content."""
    return OutboxMessage(
        case_id=case_id,
        event_seq=3,
        template=template,
        recipient_role=recipient_role,
        recipient=recipient,
        subject=f"CME-{case_id:06d}: sample subject",
        body_text="Sample body.\n",
        body_html="<p>Sample body.</p>\n",
        created_at=created_at,
        attempts=attempts,
        next_attempt_at=created_at,
        id=message_id,
    )


class InMemoryOutboxStore:
    """An `OutboxStore` in a dict, keeping the rows' status as storage would."""

    def __init__(self, messages: Iterable[OutboxMessage] = ()) -> None:
        self.rows: dict[int, OutboxMessage] = {}
        for message in messages:
            if message.id is None:
                raise ValueError("messages in the fake store need an id")
            self.rows[message.id] = message

    def claim_sendable(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Claim due pending/deferred rows, oldest first, and mark them `sending`."""
        due = sorted(
            (
                m
                for m in self.rows.values()
                if m.status in ("pending", "deferred")
                and (m.next_attempt_at is None or m.next_attempt_at <= now)
            ),
            key=lambda m: (m.next_attempt_at or m.created_at, m.id or 0),
        )[:limit]
        for message in due:
            self._set(message, status="sending")
        return [self.rows[m.id] for m in due if m.id is not None]

    def mark_sent(self, message_id: int, at: datetime) -> None:
        """Record a delivery."""
        message = self._claimed(message_id)
        self._set(message, status="sent", sent_at=at, attempts=message.attempts + 1)

    def mark_deferred(
        self, message_id: int, at: datetime, next_attempt_at: datetime, error: str
    ) -> None:
        """Record a transient failure."""
        message = self._claimed(message_id)
        self._set(
            message,
            status="deferred",
            next_attempt_at=next_attempt_at,
            last_error=error,
            attempts=message.attempts + 1,
        )

    def mark_failed(self, message_id: int, at: datetime, error: str) -> None:
        """Record a final failure."""
        message = self._claimed(message_id)
        self._set(message, status="failed", last_error=error, attempts=message.attempts + 1)

    def _claimed(self, message_id: int) -> OutboxMessage:
        message = self.rows[message_id]
        if message.status != "sending":
            raise AssertionError(f"outbox {message_id} is {message.status}, not claimed")
        return message

    def _set(self, message: OutboxMessage, **changes: Any) -> None:
        if message.id is not None:
            self.rows[message.id] = replace(message, **changes)


class RecordingSender:
    """A `Sender` that keeps every message it is given."""

    def __init__(self) -> None:
        self.sent: list[OutboxMessage] = []

    def send(self, message: OutboxMessage) -> None:
        """Keep the message."""
        self.sent.append(message)


class ScriptedSender:
    """A `Sender` that raises the next scripted error for a message id, then succeeds.

    Args:
        script: message id -> the errors its successive attempts raise; once a message's list
            is used up, its attempts succeed.
    """

    def __init__(self, script: Mapping[int, Iterable[Exception]]) -> None:
        self._script = {k: list(v) for k, v in script.items()}
        self.attempts: list[int] = []
        self.sent: list[OutboxMessage] = []

    def send(self, message: OutboxMessage) -> None:
        """Raise the next scripted error for this message, or accept it."""
        if message.id is not None:
            self.attempts.append(message.id)
            errors = self._script.get(message.id, [])
            if errors:
                raise errors.pop(0)
        self.sent.append(message)


if TYPE_CHECKING:
    from notifications.dispatch import OutboxStore, Sender

    def _fakes_satisfy_the_ports(
        store: InMemoryOutboxStore, recording: RecordingSender, scripted: ScriptedSender
    ) -> tuple[OutboxStore, Sender, Sender]:
        return store, recording, scripted  # checked by mypy
