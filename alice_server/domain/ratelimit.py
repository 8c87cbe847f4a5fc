"""Per-tenant rate limiting: a token bucket per customer, in this process.

Each customer may make ALICE_RATE_LIMIT_PER_SECOND calls per second on
average, with bursts up to ALICE_RATE_LIMIT_BURST. Past that, calls fail with
RESOURCE_EXHAUSTED and a retry delay, so that one tenant cannot starve the
others. A rate of 0 turns the limit off.

A customer may have its own rate (the `rate_limit_per_second` stored with the
customer, passed in as `rate`): its bucket then holds as many seconds of calls
as the default one does. `alice_server.ratelimit` has the Redis-backed limiter
that replicas share; both answer `acquire` the same way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from alice_server.domain.errors import ResourceExhausted

# Buckets of customers not seen for this long are forgotten (they are full again).
_IDLE_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Limit:
    """A bucket's refill rate (calls per second; 0 = unlimited) and size."""

    rate: float
    burst: float

    def scaled(self, rate: float | None) -> Limit:
        """This limit with another rate (a customer's own), the bucket holding as
        many seconds of calls as this one; None keeps this limit."""
        if rate is None or rate == self.rate:
            return self
        seconds = self.burst / self.rate if self.rate > 0 else 2.0
        return Limit(rate, max(1.0, math.ceil(rate * seconds)))


def exceeded(limit: Limit, retry_after: float) -> ResourceExhausted:
    return ResourceExhausted(
        f"rate limit of {limit.rate:g} calls per second exceeded for this customer; "
        f"retry in {retry_after:.3f} s",
        retry_after=retry_after,
    )


class RateLimiter:
    """Token buckets in this process's memory (ALICE_RATE_LIMIT_BACKEND=memory)."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = Limit(rate, float(burst))
        self._clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # key -> (tokens, at)
        self._swept = clock()

    def take(self, key: int, rate: float | None = None) -> None:
        """Take one call from `key`'s bucket or raise ResourceExhausted."""
        limit = self.limit.scaled(rate)
        if limit.rate <= 0:
            return
        now = self._clock()
        if now - self._swept > _IDLE_SECONDS:
            self._sweep(now)
        tokens, at = self._buckets.get(key, (limit.burst, now))
        tokens = min(limit.burst, tokens + (now - at) * limit.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise exceeded(limit, (1.0 - tokens) / limit.rate)
        self._buckets[key] = (tokens - 1.0, now)

    async def acquire(self, key: int, rate: float | None = None) -> None:
        self.take(key, rate)

    def _sweep(self, now: float) -> None:
        self._swept = now
        idle = [k for k, (_, at) in self._buckets.items() if now - at > _IDLE_SECONDS]
        for key in idle:
            del self._buckets[key]

    async def close(self) -> None:
        return None
