"""The check every RPC makes: may this customer use Alice now?

The service role sees only the customers row of the tenant it has set (RLS on
customers), so the check runs in a tenant unit of work like everything else.
Its answer is cached for ALICE_CUSTOMER_CACHE_SECONDS: suspending a customer
takes effect within that time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from alice_server.domain.customers import ACTIVE
from alice_server.domain.errors import PermissionDenied
from alice_server.storage.database import Database


class CustomerDirectory:
    """Answers "may this customer use Alice now?" with a short-lived cache."""

    def __init__(
        self,
        db: Database,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[int, tuple[str | None, float]] = {}

    async def check_active(self, customer_id: int) -> None:
        status = await self._status(customer_id)
        if status is None:
            raise PermissionDenied(f"customer {customer_id} does not exist")
        if status != ACTIVE:
            raise PermissionDenied(f"customer {customer_id} is {status}")

    async def _status(self, customer_id: int) -> str | None:
        now = self._clock()
        cached = self._cache.get(customer_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        async with self._db.tenant(customer_id) as uow:
            status = await uow.customers.status()
        if self._ttl > 0:
            self._cache[customer_id] = (status, now + self._ttl)
        return status
