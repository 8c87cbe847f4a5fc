"""Alice behind Debian's pgbouncer 1.18 in transaction mode: no startup parameter
it refuses, no prepared statement outliving a transaction
(ALICE_DB_STATEMENT_CACHE_SIZE=0), and the statement timeout, set inside each
tenant transaction, still cancels a slow statement."""

from __future__ import annotations

import asyncio
import collections
import uuid

import asyncpg
import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from alice_server.testing import running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests import pgbouncer as bouncer
from tests.helpers import struct

pytestmark = pytest.mark.skipif(
    not bouncer.available(), reason="needs pgbouncer (apt-get install -y pgbouncer; .ci/run does)"
)


@pytest.fixture
async def via_pgbouncer(database):
    """The session's database behind a pgbouncer of this test's own."""
    async with bouncer.pgbouncer(database.owner_url, [database.app_role], pool_size=4) as port:
        yield bouncer.through(database.app_url, port)


async def test_mixed_load_through_pgbouncer_has_no_errors(via_pgbouncer, secret, peterson, smith):
    async with (
        running_server(
            via_pgbouncer, secret, rate_limit_per_second=0, db_statement_cache_size=0
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        codes: collections.Counter[str] = collections.Counter()

        async def session(tenant, n: int) -> None:  # type: ignore[no-untyped-def]
            md = tenant.metadata()
            user = f"+1555002{n:04d}"
            for i in range(6):
                try:
                    await memories.StoreMemory(
                        mem.StoreMemoryRequest(
                            user_id=user, type="fact", key=f"k{i}", value=struct(v=f"value {i}")
                        ),
                        metadata=md,
                    )
                    await memories.SearchMemories(
                        mem.SearchMemoriesRequest(user_id=user, query="value"), metadata=md
                    )
                    context = await contexts.GetEnrichedContext(
                        ctx.GetEnrichedContextRequest(user_id=user), metadata=md
                    )
                    assert context.customer_id == tenant.id
                    await contexts.ProcessCall(
                        ctx.ProcessCallRequest(
                            user_id=user,
                            call_id=f"pgb-{n}-{i}",
                            turns=[res.Turn(role=res.ROLE_CALLER, content="Please call me back.")],
                        ),
                        metadata=md,
                    )
                    codes["OK"] += 1
                except grpc.aio.AioRpcError as exc:
                    codes[f"{exc.code().name}: {exc.details()}"] += 1

        await asyncio.gather(*(session((peterson, smith)[n % 2], n) for n in range(16)))
    assert codes == {"OK": 16 * 6}, codes


async def test_a_slow_statement_is_cancelled_by_the_statement_timeout_through_pgbouncer(
    via_pgbouncer, database, secret, peterson, caller_phone
):
    async with (
        running_server(
            via_pgbouncer,
            secret,
            rate_limit_per_second=0,
            db_statement_cache_size=0,
            db_statement_timeout_ms=300,
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        md = peterson.metadata()
        request = mem.StoreMemoryRequest(
            user_id=caller_phone, type="fact", key="locked", value=struct(v="old")
        )
        stored = await memories.StoreMemory(request, metadata=md)
        # A lock held elsewhere makes the upsert wait: only the statement timeout
        # (set inside the tenant transaction, not as a startup parameter) ends it.
        blocker = await asyncpg.connect(database.owner_url)
        try:
            async with blocker.transaction():
                await blocker.execute(
                    "SELECT 1 FROM memories WHERE id = $1 FOR UPDATE",
                    uuid.UUID(stored.memory.id),
                )
                request.value.CopyFrom(struct(v="new"))
                call = memories.StoreMemory(request, metadata=md, timeout=30)
                with pytest.raises(grpc.aio.AioRpcError) as failure:
                    await call
        finally:
            await blocker.close()
        assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert "300 ms" in (failure.value.details() or "")
        status = await rpc_status.aio.from_call(call)
        assert status is not None
        reasons = []
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info):
                reasons.append(info.reason)
        assert reasons == ["STATEMENT_TIMEOUT"]
        fetched = await memories.GetMemory(mem.GetMemoryRequest(id=stored.memory.id), metadata=md)
        assert fetched.memory.value["v"] == "old"  # nothing was written
