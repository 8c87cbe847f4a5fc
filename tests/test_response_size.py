"""Requests within the documented limits never fail for the size of their
response: many large memories (64 KiB of JSON each, several times that in
protobuf) come back in pages that fit, and searches and contexts hold what fits."""

from __future__ import annotations

import asyncio

import pytest

from alice_server.domain.memories import MAX_VALUE_BYTES
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import memory_service_pb2 as mem

COUNT = 40
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def _big_value(n: int) -> mem.StoreMemoryRequest:
    # A list of small numbers: 5 bytes each in the stored JSON ("1.0, "), 11 in protobuf.
    numbers = [n % 10] * ((MAX_VALUE_BYTES - 200) // 5)
    request = mem.StoreMemoryRequest(type="fact", key=f"big-{n:03d}")
    request.value.update({"word": "coverage", "numbers": numbers})
    return request


@pytest.fixture
async def big_memories(memories, peterson, caller_phone):
    md = peterson.metadata()
    sem = asyncio.Semaphore(4)

    async def store(n: int) -> str:
        request = _big_value(n)
        request.user_id = caller_phone
        async with sem:
            return (await memories.StoreMemory(request, metadata=md, timeout=60)).memory.id

    ids = await asyncio.gather(*(store(n) for n in range(COUNT)))
    assert len(set(ids)) == COUNT
    assert _big_value(0).value.ByteSize() * COUNT > MAX_MESSAGE_BYTES  # would not fit at once
    return set(ids)


async def test_a_full_page_of_large_memories_is_split_into_pages_that_fit(
    memories, peterson, caller_phone, big_memories
):
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = await memories.ListMemories(
            mem.ListMemoriesRequest(user_id=caller_phone, page_size=100, page_token=token),
            metadata=peterson.metadata(),
            timeout=60,
        )
        pages += 1
        assert page.ByteSize() <= MAX_MESSAGE_BYTES
        seen += [m.id for m in page.memories]
        token = page.next_page_token
        if not token:
            break
    assert pages > 1
    assert len(seen) == len(set(seen)) == COUNT and set(seen) == big_memories


async def test_search_and_context_of_large_memories_answer_with_what_fits(
    memories, contexts, peterson, caller_phone, big_memories
):
    found = await memories.SearchMemories(
        mem.SearchMemoriesRequest(user_id=caller_phone, query="coverage", limit=100),
        metadata=peterson.metadata(),
        timeout=60,
    )
    assert 0 < len(found.results) < COUNT
    context = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone, num_memories=100),
        metadata=peterson.metadata(),
        timeout=60,
    )
    assert 0 < len(context.memories) < COUNT
    assert context.context  # the text block still names every memory it was built from
