"""alice-admin's database commands, on the schema owner's connection.

Customers are managed in one `db.admin()` unit of work each. The purge goes
tenant by tenant (`db.tenant(id)`): the owner is bound by row-level security
too (FORCE), so it sets each tenant like the service does.
"""

from __future__ import annotations

import datetime as dt

from alice_server.domain.customers import CustomerRecord, NewCustomer, check_status
from alice_server.domain.errors import NotFound
from alice_server.domain.history import DEFAULT_RETENTION_DAYS
from alice_server.domain.transcripts import retention_cutoff
from alice_server.storage.database import Database


async def create_customer(db: Database, customer: NewCustomer) -> CustomerRecord:
    async with db.admin() as uow:
        return await uow.customers.create(customer)


async def list_customers(db: Database) -> list[CustomerRecord]:
    async with db.admin() as uow:
        return await uow.customers.list_all()


async def set_status(db: Database, customer_id: int, status: str) -> CustomerRecord:
    check_status(status)
    async with db.admin() as uow:
        record = await uow.customers.set_status(customer_id, status)
    if record is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return record


async def purge_expired(db: Database, history_days: int = DEFAULT_RETENTION_DAYS) -> int:
    """Delete every tenant's expired memories, and memory history older than
    `history_days` (ALICE_MEMORY_HISTORY_DAYS); returns how many memories."""
    async with db.admin() as uow:
        ids = await uow.customers.ids()
    total = 0
    for customer_id in ids:
        async with db.tenant(customer_id) as tenant:
            total += await tenant.memories.purge_expired()
            await tenant.memory_history.purge_older_than(history_days)
    return total


async def purge_transcript_turns(db: Database) -> int:
    """Delete every tenant's transcript turns past the retention; returns how many."""
    cutoff = retention_cutoff(dt.datetime.now(dt.UTC))
    async with db.admin() as uow:
        ids = await uow.customers.ids()
    total = 0
    for customer_id in ids:
        async with db.tenant(customer_id) as tenant:
            total += await tenant.call_records.purge_turns(cutoff)
    return total
