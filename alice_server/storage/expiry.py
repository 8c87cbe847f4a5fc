"""Storage side of the expiry task: the replicas' advisory lock and the list of
tenants (one bounded batch of expired memories is `uow.memories.delete_expired_batch`).

The service role cannot list customers (row-level security shows it its
current tenant only), so the migration gives it one SECURITY DEFINER function,
`alice_customer_ids()`, that returns the ids and nothing else. Deletions then
run tenant by tenant in `Database.tenant()` transactions, under row-level
security like every other write.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from alice_server.storage.database import Database

# pg_advisory_lock key of the expiry task ("alicexp1"): one holder across replicas.
EXPIRY_LOCK_KEY = 0x616C69636578_7031


@asynccontextmanager
async def advisory_lock(db: Database, key: int = EXPIRY_LOCK_KEY) -> AsyncIterator[bool]:
    """Try the session-level advisory lock on a connection of its own; yields
    whether this process holds it, and releases it at the end."""
    async with db.connection() as connection:
        held = bool(await connection.fetchval("SELECT pg_try_advisory_lock($1)", key))
        try:
            yield held
        finally:
            if held:
                await connection.execute("SELECT pg_advisory_unlock($1)", key)


async def customer_ids(db: Database) -> list[int]:
    async with db.connection() as connection:
        return [row[0] for row in await connection.fetch("SELECT alice_customer_ids()")]
