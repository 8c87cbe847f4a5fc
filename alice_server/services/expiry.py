"""The expiry task: deletes expired memories in the background.

Every ALICE_EXPIRY_INTERVAL_SECONDS, the replica that wins the advisory lock
goes through every tenant and deletes its expired memories in batches of
ALICE_EXPIRY_BATCH_SIZE, each batch its own short transaction (no long locks),
under row-level security (one tenant per transaction, the service role). The
other replicas skip that round. Reads never return expired memories anyway;
this keeps the table from growing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from alice_server.storage import expiry
from alice_server.storage.database import Database

logger = logging.getLogger("alice.expiry")


@dataclass(frozen=True, slots=True)
class ExpiryRound:
    tenants: int
    deleted: int
    batches: int


class ExpiryTask:
    def __init__(self, db: Database, *, interval_seconds: float, batch_size: int) -> None:
        if batch_size <= 0:
            raise ValueError("batch_size must be positive")
        self._db = db
        self._interval = interval_seconds
        self._batch = batch_size
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> ExpiryRound | None:
        """One round over every tenant; None when another replica holds the lock."""
        async with expiry.advisory_lock(self._db) as held:
            if not held:
                return None
            ids = await expiry.customer_ids(self._db)
            deleted = batches = 0
            for customer_id in ids:
                while True:
                    async with self._db.tenant(customer_id) as uow:
                        count = await uow.memories.delete_expired_batch(self._batch)
                    batches += 1
                    deleted += count
                    if count < self._batch:
                        break
            return ExpiryRound(len(ids), deleted, batches)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                result = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next round retries
                logger.warning("expiry round failed: %s", type(exc).__name__)
                continue
            if result is not None and result.deleted:
                logger.info(
                    "expiry: deleted %d expired memories of %d tenants in %d batches",
                    result.deleted,
                    result.tenants,
                    result.batches,
                )

    def start(self) -> None:
        if self._interval > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="alice-expiry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
