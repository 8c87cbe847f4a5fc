"""The database pool under pressure: a tenant's share, a full pool, a statement timeout.

A tenant's calls are made to hold connections for real: each StoreMemory waits
for a row lock that a test connection holds (as the schema owner), so it sits
in its transaction with a pooled connection until the lock is released.
"""

from __future__ import annotations

import asyncio

import asyncpg
import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from alice_server.testing import running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from tests.helpers import status_of, struct
from tests.support.database import locked_memory, update_of_a_locked_memory


async def _wait_for_lock_waiters(owner_url: str, count: int) -> None:
    connection = await asyncpg.connect(owner_url)
    try:
        for _ in range(200):
            waiting = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if waiting >= count:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {count} blocked statements, saw {waiting}")
    finally:
        await connection.close()


def _blocked_store(
    stub: memory_service_pb2_grpc.MemoryServiceStub, user_id: str, metadata: object
) -> asyncio.Task[object]:
    request = mem.StoreMemoryRequest(user_id=user_id, type="fact", key="k", value=struct(v="new"))
    return asyncio.ensure_future(stub.StoreMemory(request, metadata=metadata, timeout=20))


async def test_a_tenant_holding_its_full_share_leaves_connections_for_the_others(
    database, secret, peterson, smith, caller_phone
):
    # 2 pooled connections (size 1, as many again under load); a tenant may hold half.
    async with (
        running_server(
            database.app_url,
            secret,
            pool_size=1,
            pool_overrides={"acquire_timeout_seconds": 1.0},
            db_max_tenant_share=0.5,
            rate_limit_per_second=0,
            customer_cache_seconds=60,
        ) as alice,
        grpc.aio.insecure_channel(alice.address) as channel,
    ):
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        # Warm the customer checks: they would take a connection too.
        await contexts.GetEnrichedContext(
            ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=smith.metadata()
        )
        stored = await memories.StoreMemory(
            mem.StoreMemoryRequest(user_id=caller_phone, type="fact", key="k", value=struct(v=1)),
            metadata=peterson.metadata(),
        )
        async with locked_memory(database.owner_url, peterson.id, stored.memory.id):
            holder = _blocked_store(memories, caller_phone, peterson.metadata())
            await _wait_for_lock_waiters(database.owner_url, 1)
            assert alice.database.slots.in_use(peterson.id) == 1  # its full share

            # Peterson's next call waits for its own share, then is told to come back.
            call = memories.GetMemory(
                mem.GetMemoryRequest(id=stored.memory.id), metadata=peterson.metadata()
            )
            code, details = await status_of(call)
            assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "ALICE_DB_MAX_TENANT_SHARE" in details
            status = await rpc_status.aio.from_call(call)
            assert status is not None
            info = error_details_pb2.RetryInfo()
            assert status.details[0].Unpack(info) and info.retry_delay.seconds == 1

            # Smith's call start is served from the connection Peterson may not take.
            response = await contexts.GetEnrichedContext(
                ctx.GetEnrichedContextRequest(user_id=caller_phone),
                metadata=smith.metadata(),
                timeout=5,
            )
            assert response.customer_id == smith.id
        await holder  # the lock is gone: Peterson's write completes
        assert alice.database.slots.in_use(peterson.id) == 0


async def test_a_full_pool_is_reported_as_server_busy(
    database, secret, peterson, smith, caller_phone
):
    # Without a per-tenant limit, one tenant can take every connection: the others
    # are told the server is busy, not that the database is down.
    async with (
        running_server(
            database.app_url,
            secret,
            pool_size=1,
            pool_overrides={"acquire_timeout_seconds": 0.5},
            db_max_tenant_share=1.0,
            rate_limit_per_second=0,
            customer_cache_seconds=60,
        ) as alice,
        grpc.aio.insecure_channel(alice.address) as channel,
    ):
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        await contexts.GetEnrichedContext(
            ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=smith.metadata()
        )
        stored = await memories.StoreMemory(
            mem.StoreMemoryRequest(user_id=caller_phone, type="fact", key="k", value=struct(v=1)),
            metadata=peterson.metadata(),
        )
        async with locked_memory(database.owner_url, peterson.id, stored.memory.id):
            holders = [_blocked_store(memories, caller_phone, peterson.metadata()) for _ in (1, 2)]
            await _wait_for_lock_waiters(database.owner_url, 2)
            code, details = await status_of(
                contexts.GetEnrichedContext(
                    ctx.GetEnrichedContextRequest(user_id=caller_phone),
                    metadata=smith.metadata(),
                )
            )
        await asyncio.gather(*holders)
        assert alice.database.slots.in_use(peterson.id) == 0
    assert code == grpc.StatusCode.UNAVAILABLE
    assert details == (
        "the server is busy: all database connections are in use; retry with backoff"
    )


async def test_a_statement_over_the_statement_timeout_says_so(
    database, secret, peterson, caller_phone
):
    async with running_server(
        database.app_url, secret, db_statement_timeout_ms=300, rate_limit_per_second=0
    ) as alice:
        code, details, value = await update_of_a_locked_memory(
            alice.address, database.owner_url, peterson, caller_phone
        )
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "300 ms" in details and "ALICE_DB_STATEMENT_TIMEOUT_MS" in details
    assert value["v"] == 1  # rolled back: the stored value is the old one
