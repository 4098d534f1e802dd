"""Who calls: the bearer token (`cme.services.tokens`) and its rate limit.

The rate limit is a token bucket per API token, kept in this process's memory: each token may
make `burst` requests at once, refilled at `per_minute` a minute (`CME_API_RATE_PER_MINUTE`,
`CME_API_BURST`). Several processes each keep their own buckets, so the limit across a farm
of N processes is N times as much: it protects one process from one noisy caller, and is not
a quota.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Bucket:
    """One token's bucket: how many requests it may still make, as of when."""

    tokens: float
    at: float


@dataclass
class RateLimiter:
    """Token buckets, one per caller, refilled continuously."""

    per_minute: int
    burst: int
    now: Callable[[], float] = time.monotonic
    buckets: dict[str, Bucket] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, caller: str) -> int:
        """Take one request from `caller`'s bucket: 0 if allowed, else the whole seconds to
        wait before the next one would be."""
        rate = self.per_minute / 60.0
        with self.lock:
            now = self.now()
            bucket = self.buckets.get(caller)
            if bucket is None:
                bucket = self.buckets[caller] = Bucket(float(self.burst), now)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0
            return max(1, math.ceil((1.0 - bucket.tokens) / rate))
