"""The test database seen directly, beside the service: as the schema owner, with a
tenant set, the way row-level security expects."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import grpc

from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import memory_service_pb2_grpc
from tests.helpers import status_of, struct


@asynccontextmanager
async def as_tenant(owner_url: str, customer_id: int) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the owner in a transaction with `customer_id` set (committed
    when the block ends without an exception)."""
    connection = await asyncpg.connect(owner_url)
    try:
        async with connection.transaction():
            await connection.execute(
                "SELECT set_config('alice.customer_id', $1, true)", str(customer_id)
            )
            yield connection
    finally:
        await connection.close()


@asynccontextmanager
async def locked_memory(owner_url: str, customer_id: int, memory_id: str) -> AsyncIterator[None]:
    """Hold a row lock on one memory until the block ends."""
    async with as_tenant(owner_url, customer_id) as blocker:
        await blocker.execute(
            "SELECT 1 FROM memories WHERE id = $1 FOR UPDATE", uuid.UUID(memory_id)
        )
        yield


async def update_of_a_locked_memory(
    address: str, owner_url: str, tenant: Any, caller: str
) -> tuple[grpc.StatusCode, str, Any]:
    """Store a memory of `caller` through the server at `address`, lock its row, and
    update it while the lock is held (a 10 s deadline): the update's status and
    details, and the memory's stored value afterwards. With a short
    ALICE_DB_STATEMENT_TIMEOUT_MS the update is cut by the statement timeout."""
    async with grpc.aio.insecure_channel(address) as channel:
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)  # type: ignore[no-untyped-call]
        md = tenant.metadata()
        stored = await memories.StoreMemory(
            mem.StoreMemoryRequest(user_id=caller, type="fact", key="k", value=struct(v=1)),
            metadata=md,
        )
        async with locked_memory(owner_url, tenant.id, stored.memory.id):
            code, details = await status_of(
                memories.StoreMemory(
                    mem.StoreMemoryRequest(user_id=caller, type="fact", key="k", value=struct(v=2)),
                    metadata=md,
                    timeout=10,
                )
            )
        again = await memories.GetMemory(mem.GetMemoryRequest(id=stored.memory.id), metadata=md)
    return code, details, again.memory.value
