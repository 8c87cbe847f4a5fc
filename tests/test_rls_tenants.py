"""Row-level security and grants of revision 0005, probed directly as each role."""

from __future__ import annotations

import asyncpg
import pytest

from chad_client.v1 import memory_service_pb2 as mem
from tests.helpers import struct


async def in_tenant(connection: asyncpg.Connection, customer_id: int, statement: str, *args):
    async with connection.transaction():
        await connection.execute(
            "SELECT set_config('alice.customer_id', $1, true)", str(customer_id)
        )
        return await connection.fetch(statement, *args)


async def seed(owner_url: str, tenant_ids: list[int]) -> None:
    owner = await asyncpg.connect(owner_url)
    try:
        for customer_id in tenant_ids:
            async with owner.transaction():
                await owner.execute(
                    "SELECT set_config('alice.customer_id', $1, true)", str(customer_id)
                )
                await owner.execute(
                    "INSERT INTO tenant_settings (customer_id, name, value) "
                    "VALUES ($1, 'voice', '\"a\"'::jsonb) ON CONFLICT DO NOTHING",
                    customer_id,
                )
                await owner.execute(
                    "INSERT INTO audit_log (customer_id, action, actor) "
                    "VALUES ($1, 'export_user_data', 'test')",
                    customer_id,
                )
    finally:
        await owner.close()


async def test_service_role_sees_only_its_tenants_settings_and_audit(database, peterson, smith):
    await seed(database.owner_url, [peterson.id, smith.id])
    app = await asyncpg.connect(database.app_url)
    try:
        # No tenant set: nothing at all.
        assert await app.fetch("SELECT * FROM tenant_settings") == []
        assert await app.fetch("SELECT * FROM audit_log") == []
        rows = await in_tenant(app, peterson.id, "SELECT customer_id FROM tenant_settings")
        assert {r[0] for r in rows} == {peterson.id}
        rows = await in_tenant(app, peterson.id, "SELECT customer_id FROM audit_log")
        assert {r[0] for r in rows} == {peterson.id}
        # Writing another tenant's row is refused by the policy's check.
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await in_tenant(
                app,
                peterson.id,
                "INSERT INTO tenant_settings (customer_id, name, value) VALUES ($1, 'x', '1')",
                smith.id,
            )
        # Audit records are append-only for the service.
        for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
                await in_tenant(app, peterson.id, statement)
        # It may list customer ids (the expiry task), nothing else of other customers.
        ids = {r[0] for r in await app.fetch("SELECT alice_customer_ids()")}
        assert {peterson.id, smith.id} <= ids
        assert await app.fetch("SELECT id FROM customers") == []
    finally:
        await app.close()


async def test_platform_role_manages_customers_but_reads_no_tenant_rows_unasked(
    database, memories, peterson, caller_phone
):
    await memories.StoreMemory(
        mem.StoreMemoryRequest(user_id=caller_phone, type="fact", key="k", value=struct(v=1)),
        metadata=peterson.metadata(),
    )
    platform = await asyncpg.connect(database.platform_url)
    try:
        role = await platform.fetchrow(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert not role["rolsuper"] and not role["rolbypassrls"]
        assert await platform.fetchval("SELECT count(*) FROM customers") >= 1
        # Without a tenant named in the transaction, row-level security shows no memory.
        assert await platform.fetch("SELECT * FROM memories") == []
        # It can never change a memory, and cannot write tenant rows at all.
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await in_tenant(platform, peterson.id, "UPDATE memories SET key = key")
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await in_tenant(
                platform,
                peterson.id,
                "INSERT INTO tenant_settings (customer_id, name, value) VALUES ($1, 'y', '1')",
                peterson.id,
            )
    finally:
        await platform.close()
