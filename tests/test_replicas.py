"""Several replicas, one client (issue 17, item 1): three `alice-server` processes on
one database and one Redis, and one `AliceClient` given their three addresses.

Call starts of two tenants run in a loop while one replica is killed with SIGKILL
and another is restarted: none fails. A tenant with a small rate limit gets about
its limit in total across the three replicas (one Redis bucket), not three times
it. A suspension made through one replica is seen by every replica once
ALICE_CUSTOMER_CACHE_SECONDS has passed.

Also: the targets the client accepts (several addresses, a list, `dns:///`)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import statistics
import time
from collections import defaultdict

import pytest

from chad_client import AliceClient, CustomerChanges, PlatformClient, SyncAliceClient, Timeouts
from chad_client.channel import channel_target
from chad_client.errors import PermissionDenied, RateLimited
from tests.support.http import http_get
from tests.support.processes import clean_env
from tests.support.replicas import Replica

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")

CACHE_SECONDS = 2.0
# The machine running the tests is shared and loaded: a generous deadline, so that
# what is tested is the failover (a call to a dead replica fails at once and is
# retried on another), not the latency (benchmarks/bench_scale.py --replicas).
LOADED_MACHINE = Timeouts(per_method={"start_call": 10.0, "tenant_info": 10.0}, context=10.0)
CONTEXT = "/alice.memory.v1.ContextService/GetEnrichedContext"


def test_several_addresses_make_one_static_target():
    assert channel_target("alice.internal:50051") == "alice.internal:50051"
    assert channel_target("dns:///alice.internal:50051") == "dns:///alice.internal:50051"
    assert channel_target("10.0.0.5:1, 10.0.0.6:2") == "ipv4:10.0.0.5:1,10.0.0.6:2"
    assert channel_target(["10.0.0.5:1", "10.0.0.6:2"]) == "ipv4:10.0.0.5:1,10.0.0.6:2"
    assert channel_target(["[::1]:1", "[fe80::1]:2"]) == "ipv6:[::1]:1,[fe80::1]:2"
    assert channel_target(["localhost:1", "127.0.0.1:2"]) == "ipv4:127.0.0.1:1,127.0.0.1:2"
    assert channel_target(["127.0.0.1:1"]) == "127.0.0.1:1"
    for bad in ([], "a:1,", ["127.0.0.1:1", "[::1]:2"], ["127.0.0.1:x", "127.0.0.1:2"]):
        with pytest.raises(ValueError):
            channel_target(bad)


def _requests_served(replica: Replica, customer_id: int) -> float:
    """GetEnrichedContext calls of the customer this replica answered (any code)."""
    text = http_get(f"http://127.0.0.1:{replica.metrics_port}/metrics")
    pattern = re.compile(
        rf'^alice_rpc_requests_total\{{(?=[^}}]*method="{re.escape(CONTEXT)}")'
        rf'(?=[^}}]*customer_id="{customer_id}")[^}}]*\}} (\S+)$',
        re.M,
    )
    return sum(float(value) for value in pattern.findall(text))


@pytest.mark.slow
async def test_three_replicas_one_client(
    redis_process, database, secret, peterson, smith, caller_phone, tmp_path
):
    env = clean_env(
        DATABASE_URL=database.app_url,
        ALICE_PLATFORM_DATABASE_URL=database.platform_url,
        JWT_SECRET_KEY=secret,
        ALICE_WORKERS="1",
        ALICE_RATE_LIMIT_BACKEND="redis",
        ALICE_REDIS_URL=redis_process.url,
        ALICE_CUSTOMER_CACHE_SECONDS=str(CACHE_SECONDS),
        # Far above what the call-start loops make (a customer of its own rate
        # gets a bucket of 2 s of calls, as with the defaults).
        ALICE_RATE_LIMIT_PER_SECOND="1000",
        ALICE_RATE_LIMIT_BURST="2000",
        ALICE_SUMMARIZER_PROCESSES="0",
    )
    replicas = [Replica(env, tmp_path / f"replica-{i}.log", metrics=True) for i in range(3)]
    try:
        await asyncio.gather(*(replica.start() for replica in replicas))
        async with AliceClient(
            [r.address for r in replicas], secret=secret, timeouts=LOADED_MACHINE
        ) as client:
            await _failover(client, replicas, [peterson.id, smith.id], caller_phone)
            platform = client.platform(secret=secret, scope="platform:admin")
            await _rate_limit_is_shared(
                client, platform, replicas, secret, peterson.id, caller_phone
            )
            await _suspension_reaches_every_replica(
                client, platform, replicas, secret, smith.id, caller_phone
            )
    finally:
        await asyncio.gather(*(replica.stop() for replica in replicas))


async def _failover(
    client: AliceClient, replicas: list[Replica], tenants: list[int], phone: str
) -> None:
    """Call starts of two tenants, in a loop each, while replica 0 is SIGKILLed and
    replica 1 is stopped and started again: every call start succeeds."""
    done = asyncio.Event()
    started: list[int] = []
    failures: list[str] = []
    phase = ["all up"]
    durations: dict[str, list[float]] = defaultdict(list)

    async def call_starts(customer_id: int) -> None:
        tenant = client.for_customer(customer_id)
        while not done.is_set():
            began = time.perf_counter()
            start = await tenant.start_call(phone)
            durations[phase[0]].append(time.perf_counter() - began)
            started.append(customer_id)
            async with progress:
                progress.notify_all()
            if start.degraded_reasons:
                failures.append(f"{phase[0]}: " + "; ".join(start.degraded_reasons))
            await asyncio.sleep(0.005)

    progress = asyncio.Condition()

    async def calls_made(count: int) -> None:
        target = len(started) + count
        async with progress:
            await progress.wait_for(lambda: len(started) >= target)

    loops = [asyncio.create_task(call_starts(customer_id)) for customer_id in tenants]
    try:
        await calls_made(30)
        phase[0] = "replica 0 killed"
        replicas[0].kill()
        await replicas[0].wait_exit()
        await calls_made(30)
        phase[0] = "replica 1 stopping"
        await replicas[1].stop()  # graceful, then back on the same address
        phase[0] = "replica 1 stopped"
        await calls_made(10)
        phase[0] = "replica 1 starting"
        await replicas[1].start()
        phase[0] = "replica 1 restarted"
        await calls_made(60)
        phase[0] = "replica 0 starting"
        await replicas[0].start()  # the killed one comes back too
        phase[0] = "all up again"
        # Both come back into the rotation (their counters started at 0): the
        # client reconnects with a backoff of at most 5 s.
        async with asyncio.timeout(60):
            for replica in (replicas[1], replicas[0]):
                while not any(_requests_served(replica, tenant) for tenant in tenants):
                    await calls_made(10)
        await calls_made(30)
    finally:
        done.set()
        await asyncio.gather(*loops)
    # Figures, not assertions (the machine is shared): how long call starts took
    # in each phase (`pytest -s` shows them).
    for name, seconds in durations.items():
        print(
            f"call starts, {name}: {len(seconds)}, slowest {max(seconds) * 1000:.0f} ms, "
            f"median {statistics.median(seconds) * 1000:.0f} ms"
        )
    assert failures == [], failures[:5]
    assert set(started) == set(tenants)


async def _rate_limit_is_shared(
    client: AliceClient,
    platform: PlatformClient,
    replicas: list[Replica],
    secret: str,
    customer_id: int,
    phone: str,
) -> None:
    """1 call/s (a bucket of 2) for one tenant: about that many in total across the
    three replicas, not three buckets' worth."""
    await platform.update_customer(customer_id, CustomerChanges(rate_limit_per_second=1.0))
    await asyncio.sleep(CACHE_SECONDS)  # every replica's cached customer expired
    # A replica checks the rate it last read, then renews its cache: one call each
    # (accepted or not) makes every replica hold the new rate.
    for replica in replicas:
        async with AliceClient(replica.address, secret=secret) as direct:
            with contextlib.suppress(RateLimited):
                await direct.for_customer(customer_id).get_enriched_context(phone)
    await asyncio.sleep(2.5)  # the bucket (2 calls) full again
    served_before = [_requests_served(r, customer_id) for r in replicas]
    tenant = client.for_customer(customer_id)
    accepted = refused = 0
    began = time.monotonic()
    for _ in range(30):
        try:
            await tenant.get_enriched_context(phone)
            accepted += 1
        except RateLimited:
            refused += 1
    elapsed = time.monotonic() - began
    served = [
        _requests_served(r, customer_id) - before
        for r, before in zip(replicas, served_before, strict=True)
    ]
    assert all(n > 0 for n in served), served  # every replica took its share
    assert accepted + refused == 30
    # One bucket of 2, refilled at 1/s (three separate buckets would give 6 + 3/s).
    assert 2 <= accepted <= 2 + elapsed + 1, (accepted, elapsed)


async def _suspension_reaches_every_replica(
    client: AliceClient,
    platform: PlatformClient,
    replicas: list[Replica],
    secret: str,
    customer_id: int,
    phone: str,
) -> None:
    """Suspended through one replica; every replica, asked directly once the cache
    time has passed, refuses the tenant."""
    direct = [AliceClient(r.address, secret=secret) for r in replicas]
    try:
        for one in direct:  # every replica has the customer cached as active
            await one.for_customer(customer_id).get_enriched_context(phone)
        await platform.suspend_customer(customer_id)
        await asyncio.sleep(CACHE_SECONDS)
        for one in direct:
            with pytest.raises(PermissionDenied):
                await one.for_customer(customer_id).get_enriched_context(phone)
        with pytest.raises(PermissionDenied):  # and through the balanced client
            await client.for_customer(customer_id).get_enriched_context(phone)
    finally:
        for one in direct:
            await one.close()


async def test_a_dns_target_and_the_sync_client_with_several_addresses(
    alice, secret, peterson, caller_phone
):
    port = alice.address.rsplit(":", 1)[1]
    # localhost may resolve to ::1 too, where nothing listens: round_robin skips it.
    async with AliceClient(f"dns:///localhost:{port}", secret=secret) as client:
        assert await client.health()
        context = await client.for_customer(peterson.id).get_enriched_context(caller_phone)
        assert context.customer_id == peterson.id
    # In a worker thread: the test's event loop serves the in-process server.
    await asyncio.to_thread(_sync_call_start, [alice.address, alice.address], secret, peterson.id)


def _sync_call_start(addresses: list[str], secret: str, customer_id: int) -> None:
    with SyncAliceClient(addresses, secret=secret) as client:
        assert client.client.target == f"ipv4:{addresses[0]},{addresses[1]}"
        start = client.for_customer(customer_id).start_call("+15550100042")
        assert start.degraded_reasons == []
