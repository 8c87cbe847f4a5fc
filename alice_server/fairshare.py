"""A fair share of CPU-heavy work across tenants, in one server process.

Every RPC of every tenant runs on one event loop per worker process. A search
(SearchMemories, GetEnrichedContext with a query) costs milliseconds of CPU in
that loop (scoring, ranking and converting up to a caller's every memory); one
tenant sending many at once fills the loop's ready queue, and every other
tenant's call start, a few cheap steps each, waits behind all of them.

`FairShare` bounds how many such sections run at once in this process
(ALICE_FAIR_SHARE_SLOTS) and hands the free slots out fairly: start-time fair
queueing (Goyal, Vin and Cheng, SIGCOMM 1996) over the time each tenant's work
actually took. A tenant's request is tagged on arrival with the later of the
queue's virtual time and the tag its previous request will finish at (its start
tag plus that tenant's recent cost per request); the free slot goes to the
lowest tag. So a tenant with 20 searches waiting gets one slot in turn with a
tenant that sends one, not 20 before it, and a tenant whose searches take twice
as long gets half as many turns. Waiting costs nothing: no CPU, no database
connection (the section is entered before the unit of work opens). A waiting
request that is cancelled (its deadline) leaves the queue.

Call starts without a query are not gated: they are the work the gate keeps
fast. Summaries run in the summariser's processes, shared by tenants in their
own fair queue (summarizer_pool.py).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

# The cost assumed for a tenant's first request (seconds); then a moving average.
FIRST_COST_SECONDS = 0.002
COST_SMOOTHING = 0.2  # weight of the newest measurement


class FairShare:
    """`async with share.turn(customer_id):` around a CPU-heavy section; `slots` <= 0
    disables the gate."""

    def __init__(self, slots: int, clock: Callable[[], float] = time.perf_counter) -> None:
        self.slots = slots
        self._clock = clock
        self._running = 0
        self._virtual = 0.0  # the start tag of the section admitted last
        self._next_tag: dict[int, float] = {}  # tenant -> finish tag of its last request
        self._cost: dict[int, float] = {}  # tenant -> recent seconds per section
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return sum(1 for _, _, future in self._waiting if not future.done())

    def _tag(self, tenant: int) -> float:
        start = max(self._virtual, self._next_tag.get(tenant, 0.0))
        self._next_tag[tenant] = start + self._cost.get(tenant, FIRST_COST_SECONDS)
        return start

    @asynccontextmanager
    async def turn(self, tenant: int) -> AsyncIterator[None]:
        if self.slots <= 0:
            yield
            return
        tag = self._tag(tenant)
        if self._running < self.slots and not self.waiting:
            self._running += 1
            self._virtual = tag
        else:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (tag, next(self._order), future))
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._release()  # the slot was handed over as the wait was cancelled
                raise
        started = self._clock()
        try:
            yield
        finally:
            took = self._clock() - started
            previous = self._cost.get(tenant, took)
            self._cost[tenant] = previous + COST_SMOOTHING * (took - previous)
            self._release()
            self._forget_idle()

    def _release(self) -> None:
        self._running -= 1
        while self._waiting and self._running < self.slots:
            tag, _, future = heapq.heappop(self._waiting)
            if future.done():  # cancelled while waiting
                continue
            self._running += 1
            self._virtual = max(self._virtual, tag)
            future.set_result(None)

    def _forget_idle(self) -> None:
        """Tenants whose tags are behind the virtual time have no advantage left to keep."""
        if len(self._next_tag) > 1024:
            for tenant in [t for t, tag in self._next_tag.items() if tag <= self._virtual]:
                del self._next_tag[tenant]
                self._cost.pop(tenant, None)
