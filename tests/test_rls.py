"""Row-level security, probed directly as the service role: the database keeps
tenants apart even when a query forgets `WHERE customer_id = ...`."""

from __future__ import annotations

import asyncpg
import pytest

from alice_server.storage.data_tables import TENANT_DATA_TABLES
from chad_client.v1 import call_service_pb2 as call
from chad_client.v1 import call_service_pb2_grpc, tenant_service_pb2_grpc
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from chad_client.v1 import tenant_service_pb2 as ten
from tests.helpers import struct

# The tables the service role works on; the console's tables are refused to it.
TENANT_TABLES = [t.name for t in TENANT_DATA_TABLES if t.service_role]
PLATFORM_ONLY_TABLES = [t.name for t in TENANT_DATA_TABLES if not t.service_role]


@pytest.fixture
async def both_tenants_have_data(
    memories, contexts, channel, peterson, smith, caller_phone, database
):
    """Rows in every tenant table for both tenants."""
    calls = call_service_pb2_grpc.CallServiceStub(channel)
    tenants = tenant_service_pb2_grpc.TenantServiceStub(channel)
    for tenant in (peterson, smith):
        await tenants.UpdateSettings(
            ten.UpdateSettingsRequest(settings=ten.TenantSettings(voice=f"voice-{tenant.id}")),
            metadata=tenant.metadata(),
        )
        # Stored twice with different values: the first value goes to memory_history.
        for value in ("first", tenant.name):
            await memories.StoreMemory(
                mem.StoreMemoryRequest(
                    user_id=caller_phone, type="fact", key="k", value=struct(owner=value)
                ),
                metadata=tenant.metadata(),
            )
        await contexts.ProcessCall(
            ctx.ProcessCallRequest(
                user_id=caller_phone,
                call_id=f"call-{tenant.id}",
                turns=[res.Turn(role=res.ROLE_CALLER, content="I need help with my auto policy.")],
            ),
            metadata=tenant.metadata(),
        )
        await calls.AppendTranscriptTurns(
            call.AppendTranscriptTurnsRequest(
                user_id=caller_phone,
                call_id=f"live-call-{tenant.id}",
                turns=[call.TranscriptTurn(sequence=0, role=res.ROLE_CALLER, content="Hello.")],
            ),
            metadata=tenant.metadata(),
        )
    # A follow-up of each processed call (the built-in summariser makes none yet).
    owner = await asyncpg.connect(database.owner_url)
    try:
        await owner.execute(
            "INSERT INTO follow_ups (customer_id, user_id, call_id, ordinal, party, action, "
            "promised_at) SELECT customer_id, user_id, call_id, 0, 'agent', 'call back', "
            "started_at FROM call_summaries WHERE customer_id = ANY($1::bigint[])",
            [peterson.id, smith.id],
        )
    finally:
        await owner.close()
    return peterson, smith


@pytest.fixture
async def service_connection(database):
    connection = await asyncpg.connect(database.app_url)
    try:
        yield connection
    finally:
        await connection.close()


async def test_service_role_is_bound_by_rls(service_connection, database):
    role = await service_connection.fetchrow(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert (role["rolsuper"], role["rolbypassrls"]) == (False, False)
    owned = await service_connection.fetchval(
        "SELECT count(*) FROM pg_class WHERE relowner = "
        "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
    )
    assert owned == 0
    forced = await service_connection.fetch(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
        "WHERE relname = ANY($1::text[])",
        list(TENANT_TABLES),
    )
    assert {r["relname"] for r in forced} == set(TENANT_TABLES)
    assert all(r["relrowsecurity"] and r["relforcerowsecurity"] for r in forced)


async def test_the_service_role_has_no_privilege_on_the_consoles_tables(service_connection):
    assert PLATFORM_ONLY_TABLES == ["console_users", "tenant_usage"]
    for table in PLATFORM_ONLY_TABLES:
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            allowed = await service_connection.fetchval(
                "SELECT has_table_privilege(current_user, $1, $2)", table, privilege
            )
            assert allowed is False, (table, privilege)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await service_connection.fetch(f"SELECT * FROM {table}")


async def test_no_tenant_set_sees_no_rows(service_connection, both_tenants_have_data):
    for table in (*TENANT_TABLES, "customers"):
        # No WHERE clause at all.
        assert await service_connection.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    # An empty setting (what a finished transaction leaves behind) is the same.
    async with service_connection.transaction():
        await service_connection.execute("SELECT set_config('alice.customer_id', '', true)")
        for table in TENANT_TABLES:
            assert await service_connection.fetchval(f"SELECT count(*) FROM {table}") == 0


async def test_tenant_set_sees_only_its_rows(service_connection, both_tenants_have_data):
    peterson, _smith = both_tenants_have_data
    async with service_connection.transaction():
        await service_connection.execute(
            "SELECT set_config('alice.customer_id', $1, true)", str(peterson.id)
        )
        for table in TENANT_TABLES:
            owners = await service_connection.fetch(f"SELECT DISTINCT customer_id FROM {table}")
            assert [r["customer_id"] for r in owners] == [peterson.id], table
        customers = await service_connection.fetch("SELECT id FROM customers")
        assert [r["id"] for r in customers] == [peterson.id]
    # Transaction-local: gone after the transaction.
    assert await service_connection.fetchval("SELECT count(*) FROM memories") == 0


async def test_writing_another_tenants_rows_is_refused(service_connection, both_tenants_have_data):
    peterson, smith = both_tenants_have_data
    async with service_connection.transaction():
        await service_connection.execute(
            "SELECT set_config('alice.customer_id', $1, true)", str(peterson.id)
        )
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="row-level"):
            async with service_connection.transaction():
                await service_connection.execute(
                    "INSERT INTO memories (customer_id, scope, user_id, type, key, value, "
                    "source, ttl_days, expires_at) VALUES ($1, 'user', '+15550000009', 'fact', "
                    "'k', '{}', 'test', 1, now() + interval '1 day')",
                    smith.id,
                )
        # Moving an own row to the other tenant is refused too.
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="row-level"):
            async with service_connection.transaction():
                await service_connection.execute("UPDATE memories SET customer_id = $1", smith.id)
        # And the other tenant's rows can be neither changed nor deleted.
        assert (
            await service_connection.execute(
                "UPDATE call_summaries SET summary = 'x' WHERE customer_id = $1", smith.id
            )
            == "UPDATE 0"
        )
        assert (
            await service_connection.execute(
                "DELETE FROM memories WHERE customer_id = $1", smith.id
            )
            == "DELETE 0"
        )


async def test_service_role_cannot_change_customers_or_schema(service_connection):
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await service_connection.execute("UPDATE customers SET status = 'active'")
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await service_connection.execute("ALTER TABLE memories DISABLE ROW LEVEL SECURITY")
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await service_connection.execute("CREATE TABLE sneaky (id int)")
