"""Alice behind a real pgbouncer (Debian's 1.18) in transaction mode.

pgbouncer older than 1.21 does not track prepared statements, and it refuses
startup parameters it does not know. Alice sends none (the tenant and the
timeouts are set inside each transaction) and, with
ALICE_DB_STATEMENT_CACHE_SIZE=0, keeps no prepared statement past a transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest_asyncio

from alice_server.testing import TestDatabase, running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from tests.helpers import struct
from tests.support.calls import AUTO_CALL, call_request
from tests.support.database import update_of_a_locked_memory
from tests.support.pgbouncer import pgbouncer, through


@pytest_asyncio.fixture
async def bouncer_url(database: TestDatabase) -> AsyncIterator[str]:
    """A pgbouncer in transaction mode in front of the test database: its app URL."""
    async with pgbouncer(database.app_url, [database.app_role], pool_size=4) as port:
        yield through(database.app_url, port)


async def test_calls_through_pgbouncer_in_transaction_mode(
    bouncer_url, secret, peterson, smith, caller_phone
):
    async with (
        running_server(
            bouncer_url,
            secret,
            pool_size=8,
            db_statement_cache_size=0,
            rate_limit_per_second=0,
            customer_cache_seconds=0,
            # All 80 ProcessCalls (40 per tenant) can wait at once on a loaded machine:
            # more than the summariser's default queue (64) and a tenant's share of it
            # (32), which refuse with RESOURCE_EXHAUSTED. This test is about pgbouncer.
            summarizer_queue_size=100,
            summarizer_tenant_share=1.0,
        ) as alice,
        grpc.aio.insecure_channel(alice.address) as channel,
    ):
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)

        async def one_call(tenant, i):  # type: ignore[no-untyped-def]
            md = tenant.metadata()
            user = f"{caller_phone[:-2]}{i % 7:02d}"
            await contexts.GetEnrichedContext(
                ctx.GetEnrichedContextRequest(user_id=user), metadata=md
            )
            await memories.StoreMemory(
                mem.StoreMemoryRequest(
                    user_id=user, type="fact", key=f"k{i}", value=struct(tenant=tenant.name)
                ),
                metadata=md,
            )
            await memories.SearchMemories(
                mem.SearchMemoriesRequest(user_id=user, query="insurance"), metadata=md
            )
            await contexts.ProcessCall(
                call_request(user, f"CA-bouncer-{tenant.id}-{i}", turns=AUTO_CALL), metadata=md
            )
            response = await contexts.GetEnrichedContext(
                ctx.GetEnrichedContextRequest(user_id=user), metadata=md
            )
            # Never another tenant's memory, whichever server connection ran it (the
            # fact the call notes found in AUTO_CALL has no "tenant" field).
            return {m.value["tenant"] for m in response.memories if m.source != "process_call"}

        results = await asyncio.gather(
            *(one_call(tenant, i) for i in range(40) for tenant in (peterson, smith)),
            return_exceptions=True,
        )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    seen = [r for r in results if not isinstance(r, BaseException)]
    assert all(len(tenants) == 1 for tenants in seen)
    assert {next(iter(t)) for t in seen} == {peterson.name, smith.name}


async def test_statement_timeout_holds_through_pgbouncer(
    bouncer_url, database, secret, peterson, caller_phone
):
    async with running_server(
        bouncer_url,
        secret,
        db_statement_cache_size=0,
        db_statement_timeout_ms=300,
        rate_limit_per_second=0,
    ) as alice:
        code, details, value = await update_of_a_locked_memory(
            alice.address, database.owner_url, peterson, caller_phone
        )
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "300 ms" in details
    assert value["v"] == 1
