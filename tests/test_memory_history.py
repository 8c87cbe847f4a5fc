"""Memory history: every update and the deletion keep the previous value, when
and by which source; GetMemoryHistory pages it newest first; only current
values reach search and context; retention and tenants are respected."""

from __future__ import annotations

import asyncpg
import grpc

from alice_server.testing import running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import memory_service_pb2_grpc
from tests.helpers import status_of, struct


def _store(caller, value, source="api"):
    return mem.StoreMemoryRequest(
        user_id=caller,
        type="preference",
        key="contact_time",
        value=struct(value=value),
        source=source,
    )


async def test_updates_and_deletion_keep_the_previous_values_newest_first(
    memories, peterson, caller_phone
):
    md = peterson.metadata()
    first = await memories.StoreMemory(_store(caller_phone, "mornings", "agent"), metadata=md)
    memory_id = first.memory.id
    empty = await memories.GetMemoryHistory(mem.GetMemoryHistoryRequest(id=memory_id), metadata=md)
    assert list(empty.entries) == [] and empty.next_page_token == ""

    await memories.StoreMemory(_store(caller_phone, "evenings", "process_call"), metadata=md)
    # The same value again (a TTL refresh) is not a change.
    await memories.StoreMemory(_store(caller_phone, "evenings", "process_call"), metadata=md)
    await memories.StoreMemory(_store(caller_phone, "weekends", "admin"), metadata=md)
    await memories.DeleteMemory(mem.DeleteMemoryRequest(id=memory_id), metadata=md)

    history = await memories.GetMemoryHistory(
        mem.GetMemoryHistoryRequest(id=memory_id), metadata=md
    )
    entries = list(history.entries)
    assert [
        (e.change, e.previous_value["value"], e.previous_source, e.changed_by) for e in entries
    ] == [
        ("delete", "weekends", "admin", "api"),
        ("update", "evenings", "process_call", "admin"),
        ("update", "mornings", "agent", "process_call"),
    ]
    assert all(e.memory_id == memory_id and e.user_id == caller_phone for e in entries)
    assert all(e.key == "contact_time" and e.type == "preference" for e in entries)
    times = [e.changed_at.ToDatetime() for e in entries]
    assert times == sorted(times, reverse=True)


async def test_history_pages(memories, peterson, caller_phone):
    md = peterson.metadata()
    stored = await memories.StoreMemory(_store(caller_phone, "v0"), metadata=md)
    for n in range(1, 6):
        await memories.StoreMemory(_store(caller_phone, f"v{n}"), metadata=md)
    seen, token = [], ""
    while True:
        page = await memories.GetMemoryHistory(
            mem.GetMemoryHistoryRequest(id=stored.memory.id, page_size=2, page_token=token),
            metadata=md,
        )
        assert len(page.entries) <= 2
        seen += [e.previous_value["value"] for e in page.entries]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["v4", "v3", "v2", "v1", "v0"]

    code, details = await status_of(
        memories.GetMemoryHistory(
            mem.GetMemoryHistoryRequest(id=stored.memory.id, page_token="not-a-token"), metadata=md
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in details
    code, _ = await status_of(
        memories.GetMemoryHistory(
            mem.GetMemoryHistoryRequest(id=stored.memory.id, page_size=-1), metadata=md
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT


async def test_only_current_values_reach_search_and_context(
    memories, contexts, peterson, caller_phone
):
    md = peterson.metadata()
    await memories.StoreMemory(
        mem.StoreMemoryRequest(
            user_id=caller_phone,
            type="fact",
            key="vehicle",
            value=struct(value="red harpsichord van"),
        ),
        metadata=md,
    )
    await memories.StoreMemory(
        mem.StoreMemoryRequest(
            user_id=caller_phone, type="fact", key="vehicle", value=struct(value="blue sedan")
        ),
        metadata=md,
    )
    for mode in (mem.SEARCH_MODE_KEYWORD, mem.SEARCH_MODE_HYBRID):
        found = await memories.SearchMemories(
            mem.SearchMemoriesRequest(user_id=caller_phone, query="harpsichord", mode=mode),
            metadata=md,
        )
        assert [r.memory.value["value"] for r in found.results] in ([], ["blue sedan"])
    context = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=md
    )
    assert "blue sedan" in context.context and "harpsichord" not in context.context


async def test_unknown_ids_and_other_tenants_are_not_found(memories, peterson, smith, caller_phone):
    stored = await memories.StoreMemory(
        _store(caller_phone, "mornings"), metadata=peterson.metadata()
    )
    await memories.StoreMemory(_store(caller_phone, "evenings"), metadata=peterson.metadata())
    for request, tenant in (
        (mem.GetMemoryHistoryRequest(id=stored.memory.id), smith),
        (mem.GetMemoryHistoryRequest(id="00000000-0000-4000-8000-000000000000"), peterson),
    ):
        code, _ = await status_of(memories.GetMemoryHistory(request, metadata=tenant.metadata()))
        assert code == grpc.StatusCode.NOT_FOUND
    code, _ = await status_of(
        memories.GetMemoryHistory(
            mem.GetMemoryHistoryRequest(id="nope"), metadata=peterson.metadata()
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT


async def test_history_older_than_the_retention_is_not_returned(
    database, secret, peterson, caller_phone
):
    async with (
        running_server(
            database.app_url, secret, memory_history_days=30, rate_limit_per_second=0
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
        md = peterson.metadata()
        stored = await stub.StoreMemory(_store(caller_phone, "old"), metadata=md)
        await stub.StoreMemory(_store(caller_phone, "middle"), metadata=md)
        await stub.StoreMemory(_store(caller_phone, "new"), metadata=md)
        owner = await asyncpg.connect(database.owner_url)
        try:
            await owner.execute(
                "UPDATE memory_history SET changed_at = now() - interval '31 days' "
                "WHERE memory_id = $1 AND previous_value->>'value' = 'old'",
                stored.memory.id,
            )
        finally:
            await owner.close()
        history = await stub.GetMemoryHistory(
            mem.GetMemoryHistoryRequest(id=stored.memory.id), metadata=md
        )
    assert [e.previous_value["value"] for e in history.entries] == ["middle"]
