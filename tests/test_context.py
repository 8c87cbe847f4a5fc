"""GetEnrichedContext: the call-start context, for new and returning callers."""

from __future__ import annotations

import datetime as dt
import os

import grpc
import pytest

from alice_server.testing import running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests.helpers import status_of, struct
from tests.pgproxy import pg_proxy
from tests.support.calls import AUTO_CALL, T0, call_request


async def test_unknown_caller_gets_an_empty_context(contexts, peterson, caller_phone):
    response = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone.replace("+1", "")),
        metadata=peterson.metadata(),
    )
    assert response.is_new_caller
    assert response.user_id == caller_phone
    assert response.customer_id == peterson.id
    assert not response.HasField("profile") and not response.HasField("personality")
    assert list(response.summaries) == [] and list(response.memories) == []
    assert caller_phone in response.context and "new caller" in response.context


async def test_returning_caller_context(contexts, memories, peterson, caller_phone):
    md = peterson.metadata()
    for day in range(7):
        await contexts.ProcessCall(
            call_request(caller_phone, f"CA-ctx-{day}", start=T0 + dt.timedelta(days=day)),
            metadata=md,
        )
    await memories.StoreMemory(
        mem.StoreMemoryRequest(
            user_id=caller_phone, type="person", key="daughter", value=struct(name="Emma", age=17)
        ),
        metadata=md,
    )
    await memories.StoreMemory(
        mem.StoreMemoryRequest(
            user_id=caller_phone,
            type="thread_recap",
            key="thread_history:x",
            value=struct(transcript="a very long running transcript"),
        ),
        metadata=md,
    )
    await memories.StoreMemory(
        mem.StoreMemoryRequest(
            scope=res.SCOPE_SHARED,
            type="admin_setting",
            key="office_hours",
            value=struct(value="Mon-Fri 9-5"),
        ),
        metadata=md,
    )

    response = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=md
    )

    assert not response.is_new_caller
    assert response.profile.total_calls == 7
    assert response.personality.call_count == 7
    assert len(response.summaries) == 5  # the default
    starts = [s.started_at.ToDatetime(dt.UTC) for s in response.summaries]
    assert starts == [T0 + dt.timedelta(days=d) for d in (6, 5, 4, 3, 2)]
    # Caller's first; "daughter_birth_date" is the fact the call notes found in AUTO_CALL.
    assert [m.key for m in response.memories] == ["daughter", "daughter_birth_date", "office_hours"]
    text = response.context
    assert "7 earlier calls" in text
    assert response.summaries[0].summary in text
    assert "Emma" in text and "Mon-Fri 9-5" in text
    assert "running transcript" not in text
    assert "Personality (over 7 calls)" in text


async def test_num_summaries_and_num_memories(contexts, memories, peterson, caller_phone):
    md = peterson.metadata()
    for day in range(3):
        await contexts.ProcessCall(
            call_request(caller_phone, f"CA-n-{day}", start=T0 + dt.timedelta(days=day)),
            metadata=md,
        )
    for i in range(4):
        await memories.StoreMemory(
            mem.StoreMemoryRequest(
                user_id=caller_phone, type="fact", key=f"f{i}", value=struct(value=f"fact {i}")
            ),
            metadata=md,
        )

    async def sizes(**kwargs):  # type: ignore[no-untyped-def]
        r = await contexts.GetEnrichedContext(
            ctx.GetEnrichedContextRequest(user_id=caller_phone, **kwargs), metadata=md
        )
        return len(r.summaries), len(r.memories)

    assert await sizes() == (3, 5)  # the 4 stored and the one the call notes found
    assert await sizes(num_summaries=1, num_memories=2) == (1, 2)
    assert await sizes(num_summaries=0, num_memories=0) == (0, 0)
    newest = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone, num_memories=1), metadata=md
    )
    assert newest.memories[0].key == "f3"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"num_summaries": -1}, "num_summaries"),
        ({"num_summaries": 51}, "num_summaries"),
        ({"num_memories": -1}, "num_memories"),
        ({"num_memories": 101}, "num_memories"),
        ({"user_id": ""}, "user_id is required"),
    ],
)
async def test_context_rejects_bad_input(contexts, peterson, kwargs, fragment):
    request = ctx.GetEnrichedContextRequest(**{"user_id": "+15550000000", **kwargs})
    code, details = await status_of(
        contexts.GetEnrichedContext(request, metadata=peterson.metadata())
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in details


async def test_context_runs_a_bounded_number_of_round_trips(
    database, secret, peterson, caller_phone
):
    """Counted on the wire (tests/pgproxy.py reads the protocol): the same number of
    database round trips for a new caller and for one with 30 calls and 30 memories."""
    md = peterson.metadata()
    request = ctx.GetEnrichedContextRequest(
        user_id=caller_phone, num_summaries=50, num_memories=100
    )
    async with (
        pg_proxy(database.app_url) as proxy,
        running_server(proxy.url, secret, rate_limit_per_second=0) as alice,
        grpc.aio.insecure_channel(alice.address) as channel,
    ):
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        # Warm up: the customer check is cached, every statement prepared once.
        await contexts.GetEnrichedContext(request, metadata=md)
        await contexts.GetEnrichedContext(
            ctx.GetEnrichedContextRequest(user_id="+15550000000"), metadata=md
        )
        proxy.reset_counts()
        await contexts.GetEnrichedContext(request, metadata=md)
        new_caller = proxy.round_trips

        for i in range(30):
            await contexts.ProcessCall(
                call_request(caller_phone, f"CA-q-{i}", turns=AUTO_CALL), metadata=md
            )
            await memories.StoreMemory(
                mem.StoreMemoryRequest(
                    user_id=caller_phone, type="fact", key=f"f{i}", value=struct(v=i)
                ),
                metadata=md,
            )
        proxy.reset_counts()
        response = await contexts.GetEnrichedContext(request, metadata=md)
        returning, statements = proxy.round_trips, list(proxy.statements)
    # 30 stored facts and the one the call notes found (one key, updated by every call).
    assert len(response.summaries) == 30 and len(response.memories) == 31
    # One statement (migration 0003) whatever the amount of data.
    assert new_caller == CALL_START_ROUND_TRIPS
    assert returning == CALL_START_ROUND_TRIPS, statements


# One statement (migration 0003); without the statement cache (the run behind
# pgbouncer 1.18, ALICE_DB_STATEMENT_CACHE_SIZE=0) asyncpg prepares it unnamed in
# its own transaction: four (tests/test_call_start.py checks that case itself).
CALL_START_ROUND_TRIPS = 4 if os.environ.get("ALICE_DB_STATEMENT_CACHE_SIZE") == "0" else 1


async def test_a_memory_holding_an_integer_beyond_64_bits_reaches_the_call_start(
    database, contexts, memories, peterson, caller_phone
):
    # jsonb keeps any precision (a value written by SQL or a legacy import); the fast
    # decoder refuses such integers, and the call start must still answer.
    import asyncpg

    owner = await asyncpg.connect(database.owner_url)
    try:
        await owner.execute(
            "INSERT INTO memories (customer_id, scope, user_id, type, key, value, source, "
            "ttl_days, expires_at) VALUES ($1, 'user', $2, 'fact', 'policy_number', "
            "'{\"number\": 123456789012345678901234567890}', 'legacy', 30, "
            "now() + interval '30 days')",
            peterson.id,
            caller_phone,
        )
    finally:
        await owner.close()
    response = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=peterson.metadata()
    )
    [memory] = [m for m in response.memories if m.key == "policy_number"]
    assert memory.value["number"] == float(123456789012345678901234567890)  # Struct: doubles
    assert "123456789012345678901234567890" in response.context  # the exact digits
    found = await memories.SearchMemories(
        mem.SearchMemoriesRequest(user_id=caller_phone, query="policy number"),
        metadata=peterson.metadata(),
    )
    assert [r.memory.key for r in found.results] == ["policy_number"]
