"""The scheduler's use cases (`cme scheduler`, `cme tick`): fire what is due, and sign the
head of every chain nightly. The scheduler calls them with its own principal
(`principal.SCHEDULER`, the `system` role no other door can claim); they are authorized
here like every other use case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cme.services.permissions import authorize

if TYPE_CHECKING:
    from collections.abc import Callable

    from cme.bootstrap import App
    from cme.services.principal import Principal
    from engine.apply import TickReport


def fire_due(app: App, principal: Principal) -> TickReport:
    """Fire every deadline due by now, each once (`Engine.fire_due_timers`)."""
    authorize(app, principal, "tick")
    return app.engine.fire_due_timers()


def checkpoint(
    app: App, principal: Principal, key_id: str, sign: Callable[[bytes], bytes]
) -> dict[str, Any]:
    """Record the head (seq, hash) of every chain, signed by the key `key_id` names.

    Raises:
        ValueError: a chain is broken (nothing is signed).
    """
    from storage.audit import record_checkpoint

    authorize(app, principal, "audit.checkpoint")
    return record_checkpoint(app.db, app.clock.now(), key_id, sign)
