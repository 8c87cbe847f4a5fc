"""The test database seen directly, beside the service: as the schema owner, with a
tenant set, the way row-level security expects."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg


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
