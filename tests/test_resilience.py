"""Overload, deadlines and a missing database: clear statuses, nothing half-written."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from alice_server.server import start_server
from alice_server.storage.database import Database
from alice_server.testing import running_server, settings_for_tests
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from tests.helpers import status_of, struct
from tests.support.database import locked_memory


async def test_rate_limit_answers_resource_exhausted_with_retry_info(
    database, secret, peterson, smith
):
    async with (
        running_server(
            database.app_url, secret, rate_limit_per_second=1, rate_limit_burst=3
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        stub = context_service_pb2_grpc.ContextServiceStub(channel)
        request = ctx.GetEnrichedContextRequest(user_id="+15550000000")
        for _ in range(3):
            await stub.GetEnrichedContext(request, metadata=peterson.metadata())

        call = stub.GetEnrichedContext(request, metadata=peterson.metadata())
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await call
        assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "rate limit" in (failure.value.details() or "")
        status = await rpc_status.aio.from_call(call)
        assert status is not None
        info = error_details_pb2.RetryInfo()
        assert status.details[0].Unpack(info)
        assert 0 < info.retry_delay.ToTimedelta().total_seconds() <= 1

        # Per tenant: another customer is not affected.
        await stub.GetEnrichedContext(request, metadata=smith.metadata())


async def test_deadline_during_a_blocked_write_leaves_nothing_behind(
    alice, memories, database, peterson, caller_phone
):
    md = peterson.metadata()
    stored = await memories.StoreMemory(
        mem.StoreMemoryRequest(user_id=caller_phone, type="fact", key="k", value=struct(v="old")),
        metadata=md,
    )
    async with locked_memory(database.owner_url, peterson.id, stored.memory.id):
        code, _ = await status_of(
            memories.StoreMemory(
                mem.StoreMemoryRequest(
                    user_id=caller_phone, type="fact", key="k", value=struct(v="new")
                ),
                metadata=md,
                timeout=0.5,
            )
        )
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED

    await asyncio.sleep(0.2)
    # The abandoned upsert was rolled back, and the pool's connections all work.
    results = await asyncio.gather(
        *(
            memories.GetMemory(mem.GetMemoryRequest(id=stored.memory.id), metadata=md)
            for _ in range(12)
        )
    )
    assert {r.memory.value["v"] for r in results} == {"old"}


async def test_unreachable_database_is_unavailable(secret, peterson):
    # Nothing listens on port 1.
    database = Database("postgresql://alice@127.0.0.1:1/alice")
    server = await start_server(settings_for_tests(rate_limit_per_second=0), database, secret)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
            code, details = await status_of(
                stub.ListMemories(
                    mem.ListMemoriesRequest(user_id="+15550000000"), metadata=peterson.metadata()
                )
            )
    finally:
        await server.stop(0)
        await database.close()
    assert code == grpc.StatusCode.UNAVAILABLE
    assert details == "the database is unavailable; retry with backoff"
