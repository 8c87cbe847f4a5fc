"""The expiry task: bounded batches, every tenant, row-level security, one replica at a time."""

from __future__ import annotations

import asyncio

import asyncpg

from alice_server.services.expiry import ExpiryTask
from alice_server.storage.database import Database, PoolOptions
from alice_server.storage.expiry import EXPIRY_LOCK_KEY
from alice_server.testing import running_server
from chad_client.v1 import memory_service_pb2 as mem
from tests.helpers import struct
from tests.support.database import as_tenant


async def store(memories, tenant, user_id: str, keys: list[str]) -> None:
    for key in keys:
        await memories.StoreMemory(
            mem.StoreMemoryRequest(user_id=user_id, type="fact", key=key, value=struct(v=key)),
            metadata=tenant.metadata(),
        )


async def expire(owner_url: str, customer_id: int, prefix: str) -> None:
    async with as_tenant(owner_url, customer_id) as connection:
        await connection.execute(
            "UPDATE memories SET expires_at = now() - interval '1 minute' "
            "WHERE customer_id = $1 AND key LIKE $2",
            customer_id,
            prefix + "%",
        )


async def keys_of(owner_url: str, customer_id: int, user_id: str) -> list[str]:
    async with as_tenant(owner_url, customer_id) as connection:
        rows = await connection.fetch(
            "SELECT key FROM memories WHERE customer_id = $1 AND user_id = $2 ORDER BY key",
            customer_id,
            user_id,
        )
    return [r["key"] for r in rows]


async def test_one_round_deletes_every_tenants_expired_memories_in_batches(
    database, memories, peterson, smith, caller_phone
):
    await store(memories, peterson, caller_phone, [f"old{i}" for i in range(5)] + ["fresh"])
    await store(memories, smith, caller_phone, ["old-a", "keep"])
    await expire(database.owner_url, peterson.id, "old")
    await expire(database.owner_url, smith.id, "old")

    db = Database(database.app_url, PoolOptions(size=2))  # the service role, as in the server
    try:
        result = await ExpiryTask(db, interval_seconds=0, batch_size=2).run_once()
    finally:
        await db.close()
    assert result is not None
    assert result.deleted >= 6  # other tests' expired rows may be purged too
    assert result.batches >= 3 + 1  # 5 rows of one tenant in batches of 2: 2+2+1
    assert await keys_of(database.owner_url, peterson.id, caller_phone) == ["fresh"]
    assert await keys_of(database.owner_url, smith.id, caller_phone) == ["keep"]


async def test_a_second_replica_skips_the_round_while_one_holds_the_lock(
    database, memories, peterson, caller_phone
):
    await store(memories, peterson, caller_phone, ["old-x"])
    await expire(database.owner_url, peterson.id, "old")
    other_replica = await asyncpg.connect(database.app_url)
    db = Database(database.app_url, PoolOptions(size=2))
    try:
        assert await other_replica.fetchval("SELECT pg_try_advisory_lock($1)", EXPIRY_LOCK_KEY)
        assert await ExpiryTask(db, interval_seconds=0, batch_size=10).run_once() is None
        assert await keys_of(database.owner_url, peterson.id, caller_phone) == ["old-x"]
        await other_replica.execute("SELECT pg_advisory_unlock($1)", EXPIRY_LOCK_KEY)
        result = await ExpiryTask(db, interval_seconds=0, batch_size=10).run_once()
        assert result is not None and result.deleted >= 1
        assert await keys_of(database.owner_url, peterson.id, caller_phone) == []
    finally:
        await db.close()
        await other_replica.close()


async def test_the_server_runs_the_task_on_its_period(
    database, secret, memories, peterson, caller_phone
):
    await store(memories, peterson, caller_phone, ["old-y", "fresh-y"])
    await expire(database.owner_url, peterson.id, "old")
    async with running_server(
        database.app_url, secret, expiry_interval_seconds=0.2, expiry_batch_size=50
    ):
        for _ in range(50):
            if await keys_of(database.owner_url, peterson.id, caller_phone) == ["fresh-y"]:
                break
            await asyncio.sleep(0.1)
    assert await keys_of(database.owner_url, peterson.id, caller_phone) == ["fresh-y"]
