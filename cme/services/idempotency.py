"""`Idempotency-Key`: a request retried with the same key (by the same caller) gets the first
response again and does nothing twice, in whichever process it lands.

The key is claimed in the database before the request is acted on (its row unique per caller
and key), so of two copies racing only one acts; the other is told the first is still being
answered (`KeyInUse`, HTTP 409). The same key with a different request (another path or body)
is refused (`KeyReused`, HTTP 422): it would otherwise answer a request it never made. A
response is kept for `TTL` (24 hours); a server error keeps nothing, so a retry acts afresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cme.services.errors import Refused

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal

TTL = timedelta(hours=24)
"""How long a key keeps its first response."""
MAX_KEY = 255
HEADER = "Idempotency-Key"


class KeyReused(Refused):
    """The key was first sent with another request."""

    def __init__(self) -> None:
        super().__init__(
            f"{HEADER}: this key was first used with a different request (path or body); "
            "use a new key for a new request",
            "KeyReused",
            field=HEADER,
            rule="a key may be reused only for the same request",
        )


class KeyInUse(Refused):
    """The first request with this key has not been answered (yet, or ever)."""

    def __init__(self) -> None:
        super().__init__(
            f"{HEADER}: the first request with this key is still being answered; retry later "
            "(nothing was done twice)",
            "KeyInUse",
            field=HEADER,
        )


@dataclass(frozen=True, slots=True)
class Answer:
    """A response to keep: its status and JSON body."""

    status: int
    body: Any
    replayed: bool = False


def check_key(key: str) -> str:
    """A usable key: 1 to 255 visible ASCII characters.

    Raises:
        Refused: naming the header and the rule.
    """
    if not key or len(key) > MAX_KEY or not all("!" <= c <= "~" for c in key):
        raise Refused(
            f"{HEADER}: must be 1 to {MAX_KEY} visible ASCII characters (a UUID will do)",
            "BadInput",
            field=HEADER,
            rule=f"1 to {MAX_KEY} visible ASCII characters",
        )
    return key


def fingerprint(method: str, path: str, body: Any) -> str:
    """What identifies a request: its method, path and body (JSON in canonical form: sorted
    keys, no spacing, so neither spacing nor key order counts)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def once(
    app: App, principal: Principal, key: str, request: str, act: Callable[[], Answer]
) -> Answer:
    """Answer the request `act` answers, once per (caller, key): a retry gets the first answer
    (`replayed`), without acting.

    Args:
        key: the `Idempotency-Key` (checked with `check_key`).
        request: the request's `fingerprint`.
        act: acts and answers; a refusal it answers with (4xx) is kept like a success.

    Raises:
        KeyReused: the key came first with another request.
        KeyInUse: the first request with the key has no answer yet.
    """
    from storage import tokens

    now = app.clock.now()
    held = tokens.claim_key(app.db, principal.who, check_key(key), request, now, now + TTL)
    if held is not None:
        if held.request_sha256 != request:
            raise KeyReused()
        if held.status is None or held.body is None:
            raise KeyInUse()
        return Answer(held.status, json.loads(held.body), replayed=True)
    try:
        answer = act()
    except BaseException:
        tokens.release(app.db, principal.who, key)
        raise
    if answer.status >= 500:
        tokens.release(app.db, principal.who, key)
    else:
        tokens.remember(app.db, principal.who, key, answer.status, json.dumps(answer.body))
    return answer
