"""FairShare (alice_server/fairshare.py): searches of all tenants take turns.

The order in which waiting sections are admitted is checked on a real event
loop with sections that wait on events (no timing): a tenant with many waiting
searches does not go before one that sends a single search, a tenant whose
sections take longer gets fewer turns, a cancelled waiter leaves the queue, and
the number of sections running at once stays within the slots.
"""

from __future__ import annotations

import asyncio

from alice_server.fairshare import FairShare


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _section(share: FairShare, tenant: int, order: list[int], gate: asyncio.Event) -> None:
    async with share.turn(tenant):
        order.append(tenant)
        await gate.wait()


async def _settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_a_tenant_with_one_search_waits_behind_one_of_the_floods_not_all() -> None:
    share = FairShare(1)
    order: list[int] = []
    gate = asyncio.Event()
    flood = [asyncio.create_task(_section(share, 1, order, gate)) for _ in range(6)]
    await _settle()
    quiet = asyncio.create_task(_section(share, 2, order, gate))
    await _settle()
    gate.set()
    await asyncio.gather(*flood, quiet)
    # The flooder's first runs; the quiet tenant's one goes next, not after all six.
    assert order.index(2) <= 2, order
    assert order.count(1) == 6


async def test_sections_running_at_once_stay_within_the_slots() -> None:
    share = FairShare(2)
    gate = asyncio.Event()
    order: list[int] = []
    tasks = [asyncio.create_task(_section(share, t % 3, order, gate)) for t in range(9)]
    await _settle()
    assert share.running == 2
    assert share.waiting == 7
    assert len(order) == 2
    gate.set()
    await asyncio.gather(*tasks)
    assert share.running == 0 and share.waiting == 0
    assert len(order) == 9


async def test_a_cancelled_waiter_leaves_the_queue_and_takes_no_slot() -> None:
    share = FairShare(1)
    gate = asyncio.Event()
    order: list[int] = []
    first = asyncio.create_task(_section(share, 1, order, gate))
    await _settle()
    cancelled = asyncio.create_task(_section(share, 2, order, gate))
    third = asyncio.create_task(_section(share, 3, order, gate))
    await _settle()
    cancelled.cancel()
    await _settle()
    assert share.waiting == 1
    gate.set()
    await asyncio.gather(first, third)
    assert cancelled.cancelled()
    assert order == [1, 3]
    assert share.running == 0


async def test_a_tenant_whose_sections_take_longer_gets_fewer_turns() -> None:
    clock = FakeClock()
    share = FairShare(1, clock=clock)
    order: list[int] = []

    async def section(tenant: int, cost: float, release: asyncio.Event) -> None:
        async with share.turn(tenant):
            order.append(tenant)
            await release.wait()
            clock.now += cost

    # Both tenants first run one section each, so the share knows their costs:
    # tenant 1's take 10 units, tenant 2's 1 unit.
    for tenant, cost in ((1, 10.0), (2, 1.0)):
        release = asyncio.Event()
        release.set()
        await section(tenant, cost, release)
    order.clear()
    release = asyncio.Event()
    blocker = asyncio.create_task(section(3, 0.0, release))  # holds the slot while both queue
    await _settle()
    tasks = [asyncio.create_task(section(1, 10.0, release)) for _ in range(5)]
    tasks += [asyncio.create_task(section(2, 1.0, release)) for _ in range(20)]
    await _settle()
    release.set()
    await asyncio.gather(blocker, *tasks)
    first_ten = order[1:11]  # after the blocker
    assert first_ten.count(2) >= 7, order


async def test_no_slots_means_no_gate() -> None:
    share = FairShare(0)
    gate = asyncio.Event()
    order: list[int] = []
    tasks = [asyncio.create_task(_section(share, 1, order, gate)) for _ in range(5)]
    await _settle()
    assert len(order) == 5
    gate.set()
    await asyncio.gather(*tasks)
