"""FollowUpService's use cases: list, get, complete and cancel follow-ups.

Follow-ups are created by ProcessCall (services/calls.py) from the call's
commitments; here they are read and closed. Closing is idempotent (marking a
done follow-up done again changes nothing) and final (a done follow-up cannot
be cancelled, nor the reverse). A follow-up of another tenant is not found:
row-level security hides it, and the statements name the tenant too.

`OverdueFollowUpsTask` counts each tenant's overdue follow-ups for the metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from alice_server.domain.errors import NotFound
from alice_server.domain.follow_ups import (
    CANCELLED,
    DONE,
    FollowUp,
    FollowUpStatus,
    check_transition,
)
from alice_server.domain.paging import PageTokens
from alice_server.storage import expiry
from alice_server.storage.database import Database
from alice_server.storage.repositories.follow_ups import PAGE_KEY_TYPES, page_position

logger = logging.getLogger("alice.follow_ups")


@dataclass(frozen=True, slots=True)
class Closing:
    """The outcome of CompleteFollowUp / CancelFollowUp."""

    follow_up: FollowUp
    changed: bool
    """False when it already had that status (a retry): nothing was written."""


def _not_found(follow_up: uuid.UUID) -> NotFound:
    return NotFound(f"follow-up {follow_up} does not exist")


class FollowUpService:
    def __init__(self, db: Database, tokens: PageTokens) -> None:
        self._db = db
        self._tokens = tokens

    async def page(
        self,
        customer_id: int,
        user_id: str | None,
        status: FollowUpStatus,
        requested_page_size: int,
        page_token: str,
    ) -> tuple[list[FollowUp], str]:
        """One caller's (or, with None, every caller's) follow-ups of `status`, due
        first, undated last."""
        page = self._tokens.request(
            kind="follow_ups",
            scope=[customer_id, user_id, status],
            requested_size=requested_page_size,
            page_token=page_token,
            key_types=PAGE_KEY_TYPES,
        )
        rows = await self._db.read(
            customer_id, lambda uow: uow.follow_ups.page(user_id, status, page)
        )
        return self._tokens.finish(page, rows, page_position)

    async def get(self, customer_id: int, follow_up: uuid.UUID) -> FollowUp:
        async with self._db.tenant(customer_id) as uow:
            found = await uow.follow_ups.get(follow_up)
        if found is None:
            raise _not_found(follow_up)
        return found

    async def complete(self, customer_id: int, follow_up: uuid.UUID) -> Closing:
        return await self._close(customer_id, follow_up, DONE)

    async def cancel(self, customer_id: int, follow_up: uuid.UUID) -> Closing:
        return await self._close(customer_id, follow_up, CANCELLED)

    async def _close(
        self, customer_id: int, follow_up: uuid.UUID, status: FollowUpStatus
    ) -> Closing:
        async with self._db.tenant(customer_id) as uow:
            current = await uow.follow_ups.lock(follow_up)
            if current is None:
                raise _not_found(follow_up)
            if not check_transition(current, status):
                return Closing(current, changed=False)
            closed = await uow.follow_ups.close(follow_up, status)
        assert closed is not None  # locked and open above
        return Closing(closed, changed=True)


# The overdue gauge: refreshed this often, each tenant's count cut at this many.
OVERDUE_REFRESH_SECONDS = 60.0
OVERDUE_COUNT_CAP = 100_000


class OverdueFollowUpsTask:
    """Counts every tenant's open follow-ups past due and hands the counts to
    `publish` (the metrics gauge), now and then every `interval_seconds`.

    Each tenant costs one short transaction (an index range of its open
    follow-ups due before now, cut at OVERDUE_COUNT_CAP), under row-level
    security like every read."""

    def __init__(
        self,
        db: Database,
        publish: Callable[[dict[int, int]], None],
        *,
        interval_seconds: float = OVERDUE_REFRESH_SECONDS,
    ) -> None:
        self._db = db
        self._publish = publish
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> dict[int, int]:
        counts = {}
        for customer_id in await expiry.customer_ids(self._db):
            async with self._db.tenant(customer_id) as uow:
                counts[customer_id] = await uow.follow_ups.count_overdue(OVERDUE_COUNT_CAP)
        self._publish(counts)
        return counts

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next round retries
                logger.warning("overdue follow-up count failed: %s", type(exc).__name__)
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        if self._interval > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._loop(), name="alice-overdue-follow-ups"
            )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
