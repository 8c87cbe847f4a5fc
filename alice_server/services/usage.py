"""Durable RPC counts per tenant: the flush task, and GetTenantUsage.

Every server process counts its RPCs per (customer, hour) in memory
(`metrics.TENANT_USAGE`, a dict update per RPC); every FLUSH_SECONDS this
task adds them to tenant_usage in one statement (an additive upsert, so the
counts of several workers and replicas add up). A flush that fails keeps its
counts for the next one; the last flush runs when the server stops, so at
most the last minute of a killed process is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from alice_server import metrics
from alice_server.domain import console_users
from alice_server.domain.console_users import DailyUsage
from alice_server.domain.errors import FailedPrecondition, NotFound
from alice_server.domain.privacy import check_customer_id
from alice_server.services.tenants import PLATFORM_NOT_CONFIGURED
from alice_server.storage.database import Database

logger = logging.getLogger("alice.usage")
FLUSH_SECONDS = 60.0
STOP_FLUSH_SECONDS = 5.0


class UsageFlushTask:
    def __init__(
        self,
        db: Database,
        counter: metrics.TenantUsageCounter = metrics.TENANT_USAGE,
        *,
        interval_seconds: float = FLUSH_SECONDS,
    ) -> None:
        self._db = db
        self._counter = counter
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def flush(self) -> int:
        """Write what was counted; returns the (customer, hour) entries written."""
        counts = self._counter.take()
        if not counts:
            return 0
        rows = {
            (customer_id, dt.datetime.fromtimestamp(hour * 3600, dt.UTC)): (rpcs, errors)
            for (customer_id, hour), (rpcs, errors) in counts.items()
        }
        try:
            async with self._db.admin() as uow:
                await uow.usage_counts.add(rows)
        except BaseException:
            self._counter.give_back(counts)
            raise
        return len(rows)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - kept for the next flush
                logger.warning("usage counts not written (kept for the next flush): %s", exc)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="alice-usage")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        try:
            async with asyncio.timeout(STOP_FLUSH_SECONDS):
                await self.flush()
        except Exception as exc:  # noqa: BLE001 - stopping anyway
            logger.warning("usage counts of the last minute not written: %s", exc)


class TenantUsage:
    """GetTenantUsage: a customer's days, on the platform role's pool."""

    def __init__(self, platform_db: Database | None) -> None:
        self._platform_db = platform_db

    async def daily(
        self, customer_id: int, requested_days: int, today: dt.date | None = None
    ) -> list[DailyUsage]:
        check_customer_id(customer_id)
        days = console_users.usage_days(requested_days)
        if self._platform_db is None:
            raise FailedPrecondition(PLATFORM_NOT_CONFIGURED)
        last = today or dt.datetime.now(dt.UTC).date()
        first = last - dt.timedelta(days=days - 1)
        async with self._platform_db.tenant(customer_id) as uow:
            if await uow.profile.get() is None:
                raise NotFound(f"customer {customer_id} does not exist")
            return await uow.usage.daily(first, last)
