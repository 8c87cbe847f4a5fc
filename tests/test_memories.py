"""MemoryService behaviour: upsert, expiry, AIP-158 paging, search, and bad input."""

from __future__ import annotations

import grpc
import pytest

from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests.helpers import status_of, struct
from tests.support.database import as_tenant

KEYWORD = mem.SEARCH_MODE_KEYWORD


def _store(user_id: str, key: str = "favorite_color", **kwargs) -> mem.StoreMemoryRequest:  # type: ignore[no-untyped-def]
    kwargs.setdefault("type", "preference")
    kwargs.setdefault("value", struct(value="blue"))
    return mem.StoreMemoryRequest(user_id=user_id, key=key, **kwargs)


async def test_store_same_key_updates_one_memory(memories, peterson, caller_phone):
    first = await memories.StoreMemory(_store(caller_phone), metadata=peterson.metadata())
    second = await memories.StoreMemory(
        _store(caller_phone.replace("+1", ""), value=struct(value="green"), ttl_days=7),
        metadata=peterson.metadata(),
    )

    assert first.created and not second.created
    assert second.memory.id == first.memory.id
    assert second.memory.value["value"] == "green"
    assert second.memory.ttl_days == 7
    assert second.memory.created_at == first.memory.created_at
    assert second.memory.updated_at.ToDatetime() > first.memory.updated_at.ToDatetime()
    listed = await memories.ListMemories(
        mem.ListMemoriesRequest(user_id=caller_phone), metadata=peterson.metadata()
    )
    assert [m.id for m in listed.memories] == [first.memory.id]


async def test_store_defaults(memories, peterson, caller_phone):
    stored = await memories.StoreMemory(_store(caller_phone), metadata=peterson.metadata())
    memory = stored.memory
    assert memory.ttl_days == 365
    assert memory.source == "api"
    assert memory.scope == res.SCOPE_USER
    lifetime = memory.expires_at.ToDatetime() - memory.updated_at.ToDatetime()
    assert lifetime.days == 365


async def test_shared_memories_belong_to_the_tenant(memories, peterson, smith, caller_phone):
    shared = await memories.StoreMemory(
        _store(
            "",
            key="office_hours",
            type="admin_setting",
            scope=res.SCOPE_SHARED,
            value=struct(value="9-5 weekdays"),
        ),
        metadata=peterson.metadata(),
    )
    assert shared.memory.user_id == "" and shared.memory.scope == res.SCOPE_SHARED
    await memories.StoreMemory(_store(caller_phone), metadata=peterson.metadata())

    own_only = await memories.ListMemories(
        mem.ListMemoriesRequest(user_id=caller_phone), metadata=peterson.metadata()
    )
    with_shared = await memories.ListMemories(
        mem.ListMemoriesRequest(user_id=caller_phone, include_shared=True),
        metadata=peterson.metadata(),
    )
    shared_only = await memories.ListMemories(
        mem.ListMemoriesRequest(include_shared=True), metadata=peterson.metadata()
    )
    other_tenant = await memories.ListMemories(
        mem.ListMemoriesRequest(include_shared=True), metadata=smith.metadata()
    )
    assert [m.key for m in own_only.memories] == ["favorite_color"]
    assert {m.key for m in with_shared.memories} == {"favorite_color", "office_hours"}
    assert [m.key for m in shared_only.memories] == ["office_hours"]
    assert list(other_tenant.memories) == []


async def test_expired_memory_is_never_returned(
    memories, contexts, peterson, database, caller_phone
):
    stored = await memories.StoreMemory(
        _store(caller_phone, key="old_news", type="fact", value=struct(value="zanzibar trip")),
        metadata=peterson.metadata(),
    )
    async with as_tenant(database.owner_url, peterson.id) as owner:
        await owner.execute(
            "UPDATE memories SET expires_at = now() - interval '1 second' WHERE id = $1",
            __import__("uuid").UUID(stored.memory.id),
        )
    md = peterson.metadata()

    code, _ = await status_of(
        memories.GetMemory(mem.GetMemoryRequest(id=stored.memory.id), metadata=md)
    )
    assert code == grpc.StatusCode.NOT_FOUND
    listed = await memories.ListMemories(mem.ListMemoriesRequest(user_id=caller_phone), metadata=md)
    assert list(listed.memories) == []
    found = await memories.SearchMemories(
        mem.SearchMemoriesRequest(user_id=caller_phone, query="zanzibar"), metadata=md
    )
    assert list(found.results) == []
    context = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=md
    )
    assert list(context.memories) == [] and "zanzibar" not in context.context
    code, _ = await status_of(
        memories.DeleteMemory(mem.DeleteMemoryRequest(id=stored.memory.id), metadata=md)
    )
    assert code == grpc.StatusCode.NOT_FOUND

    # Storing the key again makes a new memory.
    again = await memories.StoreMemory(
        _store(caller_phone, key="old_news", type="fact", value=struct(value="new trip")),
        metadata=md,
    )
    assert again.created and again.memory.id != stored.memory.id


async def test_delete(memories, peterson, caller_phone):
    stored = await memories.StoreMemory(_store(caller_phone), metadata=peterson.metadata())
    await memories.DeleteMemory(
        mem.DeleteMemoryRequest(id=stored.memory.id), metadata=peterson.metadata()
    )
    code, _ = await status_of(
        memories.GetMemory(mem.GetMemoryRequest(id=stored.memory.id), metadata=peterson.metadata())
    )
    assert code == grpc.StatusCode.NOT_FOUND


async def test_pagination_to_the_end(memories, peterson, caller_phone):
    md = peterson.metadata()
    stored = []
    for i in range(23):
        response = await memories.StoreMemory(
            _store(caller_phone, key=f"fact_{i:02d}", type="fact", value=struct(n=i)), metadata=md
        )
        stored.append(response.memory.id)
    await memories.StoreMemory(_store(caller_phone, key="x", type="person"), metadata=md)

    seen, token, pages = [], "", 0
    while True:
        page = await memories.ListMemories(
            mem.ListMemoriesRequest(
                user_id=caller_phone, type="fact", page_size=5, page_token=token
            ),
            metadata=md,
        )
        pages += 1
        seen += [m.id for m in page.memories]
        token = page.next_page_token
        if not token:
            break
        assert len(page.memories) == 5

    assert pages == 5
    assert seen == list(reversed(stored))  # newest first, each exactly once

    everything = await memories.ListMemories(
        mem.ListMemoriesRequest(user_id=caller_phone, page_size=0), metadata=md
    )
    assert len(everything.memories) == 24 and everything.next_page_token == ""


async def test_page_tokens_are_checked(memories, peterson, smith, caller_phone):
    md = peterson.metadata()
    for i in range(3):
        await memories.StoreMemory(_store(caller_phone, key=f"k{i}"), metadata=md)
    first = await memories.ListMemories(
        mem.ListMemoriesRequest(user_id=caller_phone, page_size=1), metadata=md
    )
    token = first.next_page_token
    assert token

    bad_requests = [
        mem.ListMemoriesRequest(user_id=caller_phone, page_token="garbage"),
        mem.ListMemoriesRequest(user_id=caller_phone, page_token=token[:-2] + "AA"),
        mem.ListMemoriesRequest(user_id=caller_phone, type="fact", page_token=token),
        mem.ListMemoriesRequest(user_id="+15559999999", page_token=token),
        mem.ListMemoriesRequest(user_id=caller_phone, page_size=-1),
    ]
    for request in bad_requests:
        code, details = await status_of(memories.ListMemories(request, metadata=md))
        assert code == grpc.StatusCode.INVALID_ARGUMENT, request
        assert "page_" in details
    # Another tenant cannot use the token either.
    code, _ = await status_of(
        memories.ListMemories(
            mem.ListMemoriesRequest(user_id=caller_phone, page_token=token),
            metadata=smith.metadata(),
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT


async def test_page_size_is_capped(memories, database, peterson, caller_phone):
    async with as_tenant(database.owner_url, peterson.id) as owner:
        await owner.executemany(
            "INSERT INTO memories (customer_id, scope, user_id, type, key, value, source, "
            "ttl_days, expires_at) VALUES ($1, 'user', $2, 'fact', $3, '{}', 'test', 1, "
            "now() + interval '1 day')",
            [(peterson.id, caller_phone, f"k{i}") for i in range(501)],
        )
    response = await memories.ListMemories(
        mem.ListMemoriesRequest(user_id=caller_phone, page_size=10_000),
        metadata=peterson.metadata(),
    )
    assert len(response.memories) == 500
    assert response.next_page_token


async def test_keyword_search_finds_the_distinctive_word_and_ranks_it_first(
    memories, peterson, caller_phone
):
    md = peterson.metadata()
    unrelated = {
        "favorite_color": "blue",
        "pet": "a golden retriever named Max",
        "preferred_contact": "email in the mornings",
        "car": "a 2019 sedan, paid off",
    }
    for key, value in unrelated.items():
        await memories.StoreMemory(
            _store(caller_phone, key=key, type="fact", value=struct(value=value)), metadata=md
        )
    planted = await memories.StoreMemory(
        _store(
            caller_phone,
            key="hobby",
            type="fact",
            value=struct(value="restores antique harpsichords on weekends"),
        ),
        metadata=md,
    )
    for key, value in unrelated.items():  # newer than the planted one
        await memories.StoreMemory(
            _store(caller_phone, key=f"{key}_2", type="fact", value=struct(value=value)),
            metadata=md,
        )

    found = await memories.SearchMemories(
        mem.SearchMemoriesRequest(
            user_id=caller_phone, query="Does he play the harpsichord?", mode=KEYWORD
        ),
        metadata=md,
    )
    assert [r.memory.id for r in found.results] == [planted.memory.id]
    assert found.results[0].score > 0
    # The default (hybrid) ranks it first too, and says both signals matched.
    hybrid = await memories.SearchMemories(
        mem.SearchMemoriesRequest(user_id=caller_phone, query="Does he play the harpsichord?"),
        metadata=md,
    )
    assert hybrid.results[0].memory.id == planted.memory.id
    assert hybrid.results[0].keyword_match and hybrid.results[0].semantic_match

    # More matching words rank higher; recency breaks ties.
    ranked = await memories.SearchMemories(
        mem.SearchMemoriesRequest(
            user_id=caller_phone, query="golden retriever mornings", limit=3, mode=KEYWORD
        ),
        metadata=md,
    )
    keys = [r.memory.key for r in ranked.results]
    assert keys[:2] == ["pet_2", "pet"]
    assert ranked.results[0].score == ranked.results[1].score > ranked.results[2].score
    assert len(keys) == 3


async def test_keyword_search_matches_keys_and_any_search_filters_types(
    memories, peterson, caller_phone
):
    md = peterson.metadata()
    await memories.StoreMemory(
        _store(caller_phone, key="spouse_name", type="person", value=struct(value="Maria")),
        metadata=md,
    )
    await memories.StoreMemory(
        _store(caller_phone, key="note", type="fact", value=struct(value="mentioned his spouse")),
        metadata=md,
    )
    found = await memories.SearchMemories(
        mem.SearchMemoriesRequest(user_id=caller_phone, query="spouse", mode=KEYWORD), metadata=md
    )
    assert [r.memory.key for r in found.results] == ["spouse_name", "note"]  # key match ranks first
    only_facts = await memories.SearchMemories(
        mem.SearchMemoriesRequest(user_id=caller_phone, query="spouse", types=["fact"]), metadata=md
    )
    assert [r.memory.key for r in only_facts.results] == ["note"]


@pytest.mark.parametrize(
    ("request_", "fragment"),
    [
        (mem.StoreMemoryRequest(type="fact", key="k", value=struct(v=1)), "user_id is required"),
        (_store("   "), "user_id is required"),
        (_store("x" * 129), "printable"),
        (_store("bad\x07id"), "printable"),
        (_store("+15550000000", type=""), "type"),
        (_store("+15550000000", type="Has Spaces"), "type"),
        (_store("+15550000000", key=""), "key"),
        (_store("+15550000000", key="k" * 257), "key"),
        (mem.StoreMemoryRequest(user_id="+15550000000", type="fact", key="k"), "value is required"),
        (_store("+15550000000", ttl_days=-1), "ttl_days"),
        (_store("+15550000000", ttl_days=3651), "ttl_days"),
        (_store("+15550000000", scope=7), "scope"),
        (_store("+15550000000", scope=res.SCOPE_SHARED), "empty for SCOPE_SHARED"),
        (_store("+15550000000", value=struct(v="a\x00b")), "NUL"),
        (_store("+15550000000", value=struct(v=float("nan"))), "NaN"),
        (_store("+15550000000", value=struct(v="x" * 70_000)), "KiB"),
        (_store("+15550000000", source="s" * 65), "source"),
    ],
)
async def test_store_rejects_bad_input(memories, peterson, request_, fragment):
    code, details = await status_of(memories.StoreMemory(request_, metadata=peterson.metadata()))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in details


@pytest.mark.parametrize("memory_id", ["", "42", "not-a-uuid", "'; DROP TABLE memories; --"])
async def test_malformed_ids_are_invalid_argument(memories, peterson, memory_id):
    for call in (
        memories.GetMemory(mem.GetMemoryRequest(id=memory_id), metadata=peterson.metadata()),
        memories.DeleteMemory(mem.DeleteMemoryRequest(id=memory_id), metadata=peterson.metadata()),
    ):
        code, details = await status_of(call)
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert "UUID" in details


@pytest.mark.parametrize(
    ("request_", "fragment"),
    [
        (mem.SearchMemoriesRequest(user_id="+15550000000", query=""), "query is required"),
        (mem.SearchMemoriesRequest(user_id="+15550000000", query="   "), "query is required"),
        (mem.SearchMemoriesRequest(user_id="+15550000000", query="q" * 1001), "1000"),
        (mem.SearchMemoriesRequest(user_id="+15550000000", query="x", limit=-1), "limit"),
        (mem.SearchMemoriesRequest(user_id="+15550000000", query="x", types=["B A D"]), "types"),
        (mem.SearchMemoriesRequest(query="x"), "user_id is required"),
    ],
)
async def test_search_rejects_bad_input(memories, peterson, request_, fragment):
    code, details = await status_of(memories.SearchMemories(request_, metadata=peterson.metadata()))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in details


async def test_list_requires_a_caller_or_shared(memories, peterson):
    code, details = await status_of(
        memories.ListMemories(mem.ListMemoriesRequest(), metadata=peterson.metadata())
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "user_id is required" in details
