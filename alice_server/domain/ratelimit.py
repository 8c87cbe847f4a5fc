"""Per-tenant rate limiting: a token bucket per customer, in this process.

Each customer may make ALICE_RATE_LIMIT_PER_SECOND calls per second on
average, with bursts up to ALICE_RATE_LIMIT_BURST. Past that, calls fail with
RESOURCE_EXHAUSTED and a retry delay, so that one tenant cannot starve the
others. A rate of 0 turns the limit off.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from alice_server.domain.errors import ResourceExhausted


class RateLimiter:
    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # key -> (tokens, at)

    def acquire(self, key: int) -> None:
        if self._rate <= 0:
            return
        now = self._clock()
        tokens, at = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            retry_after = (1.0 - tokens) / self._rate
            raise ResourceExhausted(
                f"rate limit of {self._rate:g} calls per second exceeded for this customer; "
                f"retry in {retry_after:.3f} s",
                retry_after=retry_after,
            )
        self._buckets[key] = (tokens - 1.0, now)
