"""chad_client's retrieval methods against a real server: GetEnrichedContext's
`query`, SearchMemories' `mode` and per-result signals, GetMemoryHistory paged,
deadlines from the one table, and the blocking twins."""

from __future__ import annotations

import asyncio

import pytest

from alice_server.auth import mint_platform_token
from chad_client import (
    AliceClient,
    DeadlineExceeded,
    NotFound,
    SyncAliceClient,
    Timeouts,
)

MEMORIES = {
    "vehicle": "2021 Tesla Model 3, plate 7KQR204",
    "dog": "German shepherd named Rex",
    "contact_time": "mornings before ten",
}


async def _remember(tenant, caller):  # type: ignore[no-untyped-def]
    for key, value in MEMORIES.items():  # "contact_time" is the newest
        await tenant.store_memory(caller, "fact", key, {"value": value})


async def test_context_query_chooses_the_relevant_memories(alice, peterson, caller_phone):
    async with AliceClient(alice.address, secret=peterson.secret) as client:
        tenant = client.for_customer(peterson.id)
        await _remember(tenant, caller_phone)
        newest = await tenant.get_enriched_context(caller_phone, num_memories=1)
        assert [m.key for m in newest.memories] == ["contact_time"]
        asked = await tenant.get_enriched_context(caller_phone, num_memories=1, query="Tesla")
        assert [m.key for m in asked.memories] == ["vehicle"]
        soft = await tenant.get_context_or_empty(caller_phone, num_memories=1, query="7KQR204")
        assert not soft.degraded and [m.key for m in soft.memories] == ["vehicle"]
        start = await tenant.start_call(caller_phone, num_memories=1, query="Rex")
        assert [m.key for m in start.context.memories] == ["dog"]
        assert "German shepherd" in start.context.text and "Tesla" not in start.context.text


async def test_search_modes_and_the_signals_of_each_hit(alice, peterson, caller_phone):
    async with AliceClient(alice.address, secret=peterson.secret) as client:
        tenant = client.for_customer(peterson.id)
        await _remember(tenant, caller_phone)
        (hit,) = await tenant.search_memories(caller_phone, "7KQR204", mode="keyword")
        assert hit.memory.key == "vehicle" and hit.score > 0
        assert (hit.keyword_match, hit.keyword_rank) == (True, 1)
        assert (hit.semantic_match, hit.semantic_rank) == (False, 0)

        hybrid = await tenant.search_memories(caller_phone, "Tesla")
        assert hybrid[0].memory.key == "vehicle"
        assert hybrid[0].keyword_match and hybrid[0].keyword_rank == 1
        # Fused: the sum of 1 / (60 + rank) over the rankings the memory is in.
        expected = 1 / (60 + hybrid[0].keyword_rank) + (
            1 / (60 + hybrid[0].semantic_rank) if hybrid[0].semantic_match else 0
        )
        assert hybrid[0].score == pytest.approx(expected)

        # A paraphrase shares no word with the memory: only the semantic ranking finds it.
        semantic = await tenant.search_memories(
            caller_phone, "does he have any pets", mode="semantic"
        )
        assert semantic[0].memory.key == "dog"
        assert semantic[0].semantic_match and semantic[0].semantic_rank == 1
        assert not semantic[0].keyword_match
        assert semantic[0].semantic_similarity == pytest.approx(semantic[0].score)
        assert (
            await tenant.search_memories(caller_phone, "does he have any pets", mode="keyword")
            == []
        )
        with pytest.raises(ValueError, match="mode must be"):
            await tenant.search_memories(caller_phone, "x", mode="fuzzy")  # type: ignore[arg-type]


async def test_memory_history_pages_newest_first_and_stays_in_its_tenant(
    alice, peterson, smith, caller_phone
):
    async with AliceClient(alice.address, secret=peterson.secret) as client:
        tenant = client.for_customer(peterson.id)
        first = await tenant.store_memory(
            caller_phone, "preference", "contact_time", {"value": "mornings"}, source="agent"
        )
        memory_id = first.memory.id
        assert (await tenant.get_memory_history(memory_id)).items == []
        for value, source in (("evenings", "process_call"), ("weekends", "admin")):
            await tenant.store_memory(
                caller_phone, "preference", "contact_time", {"value": value}, source=source
            )
        await tenant.delete_memory(memory_id)

        page = await tenant.get_memory_history(memory_id, page_size=2)
        assert [(e.change, e.previous_value["value"]) for e in page.items] == [
            ("delete", "weekends"),
            ("update", "evenings"),
        ]
        assert page.next_page_token
        rest = await tenant.get_memory_history(
            memory_id, page_size=2, page_token=page.next_page_token
        )
        assert [
            (e.change, e.previous_value, e.previous_source, e.changed_by) for e in rest.items
        ] == [("update", {"value": "mornings"}, "agent", "process_call")]
        assert rest.next_page_token == ""
        every = [e async for e in tenant.iter_memory_history(memory_id, page_size=1)]
        assert every == page.items + rest.items
        assert every[0].changed_at >= every[1].changed_at >= every[2].changed_at
        entry = every[0]
        assert (entry.memory_id, entry.scope, entry.user_id, entry.type, entry.key) == (
            memory_id,
            "user",
            caller_phone,
            "preference",
            "contact_time",
        )
        # Another tenant cannot read it.
        with pytest.raises(NotFound):
            await client.for_customer(smith.id).get_memory_history(memory_id)


async def test_deadlines_come_from_the_one_table_for_tenant_and_platform_calls(
    alice, secret, peterson
):
    # So small that it has passed before the call is sent, whatever the machine's
    # speed (at 1 us a fast loopback answered NOT_FOUND within it once).
    tiny = {"GetMemoryHistory": 1e-12, "GetCustomer": 1e-12}
    async with AliceClient(
        alice.address, secret=secret, timeouts=Timeouts(per_method=tiny)
    ) as client:
        with pytest.raises(DeadlineExceeded):
            await client.for_customer(peterson.id).get_memory_history(
                "00000000-0000-4000-8000-000000000000"
            )
        admin = client.platform(token=mint_platform_token(secret))
        with pytest.raises(DeadlineExceeded):
            await admin.get_customer(peterson.id)
        # Other entries keep their deadline.
        assert (await admin.list_customers(page_size=1)).items


def _sync_retrieval(address: str, secret: str, customer_id: int, caller: str) -> dict[str, object]:
    with SyncAliceClient(address, secret=secret) as client:
        tenant = client.for_customer(customer_id)
        stored = tenant.store_memory(caller, "fact", "vehicle", {"value": "blue Subaru"})
        tenant.store_memory(caller, "fact", "vehicle", {"value": "green Subaru"})
        return {
            "hits": tenant.search_memories(caller, "Subaru", mode="keyword"),
            "history": list(tenant.iter_memory_history(stored.memory.id)),
            "page": tenant.get_memory_history(stored.memory.id, page_size=1),
            "context": tenant.get_context_or_empty(caller, query="Subaru"),
        }


async def test_the_blocking_twins_of_the_retrieval_methods(alice, peterson, caller_phone):
    out = await asyncio.to_thread(
        _sync_retrieval, alice.address, peterson.secret, peterson.id, caller_phone
    )
    (hit,) = out["hits"]  # type: ignore[misc]
    assert hit.memory.value == {"value": "green Subaru"} and hit.keyword_match
    assert [e.previous_value for e in out["history"]] == [{"value": "blue Subaru"}]  # type: ignore[attr-defined]
    assert out["page"].items == out["history"]  # type: ignore[attr-defined]
    assert "green Subaru" in out["context"].text  # type: ignore[attr-defined]
