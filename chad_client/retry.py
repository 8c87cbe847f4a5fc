"""Retries: only calls that are safe to repeat, only on statuses that say so.

Which calls are safe to repeat is declared on each proto method: an
`idempotency_level` of NO_SIDE_EFFECTS (the reads) or IDEMPOTENT (the
StoreMemory upsert, ProcessCall on its call_id, transcript appends by
sequence, the record, profile and settings updates) gives the `Rpc` in
chad_client/rpcs.py its `retry_on` codes: UNAVAILABLE (unreachable, busy or
stopping), CANCELLED (by the server or the transport, not by you) and ABORTED
(a conflict that rolled back). Any other unary RPC is retried only on
UNAVAILABLE with the reason SERVER_DRAINING: a stopping server refused it
before it started; such a refusal is retried at once (up to 20 ms of jitter)
and does not count against `max_attempts`: round_robin sends the next attempt
to another replica. Retries use exponential backoff and full jitter, as long
as the call's deadline leaves time for another attempt. Nothing else is
retried: not a stream, not INVALID_ARGUMENT, not RESOURCE_EXHAUSTED, not
DeleteMemory or CreateCustomer on a plain UNAVAILABLE.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    initial_backoff: float = 0.05
    max_backoff: float = 1.0
    multiplier: float = 2.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (0-based): full jitter."""
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier**retry)
        return self.rng.uniform(0, ceiling)


NO_RETRIES = RetryPolicy(max_attempts=1)
