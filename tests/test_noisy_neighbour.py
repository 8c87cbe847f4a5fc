"""A noisy neighbour: one tenant floods (concurrent long searches over thousands
of memories, large ProcessCalls, as fast as it can) while other tenants start
calls. The others get no error at all; the flooder gets RESOURCE_EXHAUSTED or
its own slowness (DEADLINE_EXCEEDED). Functional only: nothing here is timed
(benchmarks/ prints the latencies)."""

from __future__ import annotations

import asyncio
import collections

import asyncpg
import grpc

from alice_server.testing import running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests.support.tenants import TenantHandle, create_customer

WORDS = [
    "policy",
    "claim",
    "premium",
    "deductible",
    "coverage",
    "renewal",
    "accident",
    "windshield",
    "roof",
    "flood",
    "basement",
    "storm",
    "adjuster",
    "invoice",
    "payment",
    "address",
    "vehicle",
    "driver",
    "license",
    "daughter",
    "son",
]
QUERY = " ".join(WORDS * 3)
CALL_STARTS = 6
BIG_CALL = [
    res.Turn(
        role=res.ROLE_CALLER if i % 2 else res.ROLE_AGENT,
        content=" ".join(WORDS) * 8 + f" turn {i}.",
    )
    for i in range(1200)
]


async def _seed_memories(owner_url: str, customer_id: int, count: int) -> None:
    connection = await asyncpg.connect(owner_url)
    try:
        await connection.execute(
            """
            INSERT INTO memories (customer_id, scope, user_id, type, key, value, source,
                                  ttl_days, expires_at)
            SELECT $1, 'user', '+15550009999', 'fact', 'note-' || n,
                   jsonb_build_object('text', repeat($2 || ' ', 20) || n), 'api', 365,
                   now() + interval '365 days'
            FROM generate_series(1, $3) AS n
            """,
            customer_id,
            " ".join(WORDS),
            count,
        )
    finally:
        await connection.close()


async def test_a_flooding_tenant_does_not_cause_errors_for_the_others(database, secret):
    flooder = TenantHandle(await create_customer(database.owner_url, "Flooder"), "F", secret)
    others = [
        TenantHandle(await create_customer(database.owner_url, f"Quiet {i}"), f"Q{i}", secret)
        for i in range(4)
    ]
    await _seed_memories(database.owner_url, flooder.id, 6000)
    async with (
        running_server(
            database.app_url,
            secret,
            pool_size=4,
            rate_limit_per_second=40,
            rate_limit_burst=80,
            summarizer_processes=1,
            summarizer_queue_size=8,
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        flood_codes: collections.Counter[grpc.StatusCode] = collections.Counter()
        stop = asyncio.Event()

        async def flood_search() -> None:
            request = mem.SearchMemoriesRequest(user_id="+15550009999", query=QUERY, limit=100)
            while not stop.is_set():
                try:
                    await memories.SearchMemories(request, metadata=flooder.metadata(), timeout=30)
                    flood_codes[grpc.StatusCode.OK] += 1
                except grpc.aio.AioRpcError as exc:
                    flood_codes[exc.code()] += 1
                    if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                        await asyncio.sleep(0.05)

        async def flood_calls(n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                request = ctx.ProcessCallRequest(
                    user_id="+15550009998", call_id=f"flood-{n}-{i}", turns=BIG_CALL
                )
                try:
                    await contexts.ProcessCall(request, metadata=flooder.metadata(), timeout=30)
                    flood_codes[grpc.StatusCode.OK] += 1
                except grpc.aio.AioRpcError as exc:
                    flood_codes[exc.code()] += 1
                    if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                        await asyncio.sleep(0.05)

        other_errors: list[tuple[str, str]] = []
        other_calls = 0

        async def call_starts(tenant: TenantHandle, caller: int) -> None:
            nonlocal other_calls
            for i in range(CALL_STARTS):
                user = f"+1555001{caller:02d}{i:02d}"
                try:
                    await contexts.GetEnrichedContext(
                        ctx.GetEnrichedContextRequest(user_id=user),
                        metadata=tenant.metadata(),
                        timeout=10,
                    )
                    other_calls += 1
                except grpc.aio.AioRpcError as exc:
                    other_errors.append((exc.code().name, exc.details() or ""))

        flooders = [asyncio.create_task(flood_search()) for _ in range(100)]
        flooders += [asyncio.create_task(flood_calls(n)) for n in range(12)]
        await asyncio.sleep(1.0)  # the flood is on
        await asyncio.gather(*(call_starts(t, i) for i, t in enumerate(others)))
        stop.set()
        await asyncio.gather(*flooders)

    assert other_errors == [], other_errors[:5]
    assert other_calls == CALL_STARTS * len(others)
    assert set(flood_codes) <= {
        grpc.StatusCode.OK,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    }, flood_codes
    assert flood_codes[grpc.StatusCode.RESOURCE_EXHAUSTED] > 0, flood_codes
