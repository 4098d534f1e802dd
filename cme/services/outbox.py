"""The outbox, for every door: queue a failed or deferred message again now (`retry`); it is
sent on the next scheduler pass. A message that failed because its role had no address takes
the address configured since (refused, naming what to set, while there is still none).

`retry` takes the `Principal` its door established and asks `permissions.authorize` itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cme.services.errors import Refused
from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from engine.ports import OutboxMessage

WHY_NOT = {
    "sent": "it was already sent",
    "pending": "it is already queued",
    "sending": "it is being sent now",
}


def retry(app: App, principal: Principal, message_id: int) -> OutboxMessage:
    """Queue outbox message `message_id` again now; the message as it stands after.

    Raises:
        ServiceRefusal: the principal may not (recorded in the access log).
        Refused: `NotFound` (no such message), `StillUnaddressed` (its role still has no
            address), `NotRetryable` (neither failed nor deferred; `status` says what it is).
    """
    from cme.outcomes import StillUnaddressed, readdress
    from storage.outbox import SqlOutboxStore

    authorize(app, principal, "outbox.retry")
    store = SqlOutboxStore(app.db)
    found = store.get(message_id)
    if found is None:
        raise Refused(f"there is no outbox message {message_id}", "NotFound")
    try:
        readdressed = readdress(app, found)  # no address before: the one configured now
    except StillUnaddressed as exc:
        raise Refused(str(exc), "StillUnaddressed") from exc
    if not readdressed and not store.retry(message_id, app.clock.now()):
        current = store.get(message_id)
        state = current.status if current is not None else found.status
        why = WHY_NOT.get(state, f"it is {state}")
        raise Refused(
            f"outbox message {message_id} cannot be retried: {why} "
            "(only failed or deferred messages can)",
            "NotRetryable",
            status=state,
        )
    message = store.get(message_id)
    assert message is not None  # noqa: S101 - it was just updated
    return message
