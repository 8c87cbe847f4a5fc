"""SyncAliceClient, as Flask request threads use it."""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from chad_client import NotFound, SyncAliceClient, Turn


def sync_call_flow(address: str, secret: str, customer_id: int, caller: str) -> dict[str, object]:
    """Runs in a worker thread: the test's event loop serves the in-process server."""
    with SyncAliceClient(address, secret=secret) as alice:
        assert alice.health()
        tenant = alice.for_customer(customer_id)
        first = tenant.get_context_or_empty(caller)

        def remember(i: int) -> bool:
            return tenant.store_memory(caller, "fact", f"f{i}", {"value": f"fact {i}"}).created

        # Many request threads share one client.
        with ThreadPoolExecutor(max_workers=8) as pool:
            created = list(pool.map(remember, range(16)))
        result = tenant.process_call(
            caller,
            "CA-sync-1",
            [
                Turn("caller", "I need a quote for my auto policy."),
                ("assistant", "Sure, I can help with that."),
            ],
            started_at=dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC),
        )
        after = tenant.get_enriched_context(caller, num_memories=50)
        every = list(tenant.iter_memories(caller, page_size=3))
        summaries = tenant.list_call_summaries(caller)
        profile = tenant.get_caller_profile(caller)
        personality = tenant.get_personality(caller)
        hits = tenant.search_memories(caller, "fact")
        missing = None
        try:
            tenant.get_memory("00000000-0000-4000-8000-000000000000")
        except NotFound as exc:
            missing = exc
        return {
            "first_new": first.is_new_caller,
            "created": created,
            "result": result,
            "after": after,
            "every": every,
            "summaries": summaries,
            "profile": profile,
            "personality": personality,
            "hits": hits,
            "missing": missing,
        }


async def test_sync_client(alice, secret, peterson, caller_phone):
    out = await asyncio.to_thread(sync_call_flow, alice.address, secret, peterson.id, caller_phone)
    assert out["first_new"] is True
    assert out["created"] == [True] * 16
    assert out["result"].customer_id == peterson.id and not out["result"].already_processed
    assert out["after"].is_new_caller is False and len(out["after"].memories) == 16
    assert len(out["every"]) == 16
    assert [s.call_id for s in out["summaries"].items] == ["CA-sync-1"]
    assert out["profile"].total_calls == 1 and out["personality"].call_count == 1
    assert len(out["hits"]) == 10  # the default search limit
    assert isinstance(out["missing"], NotFound)


def test_a_closed_sync_client_refuses_calls():
    alice = SyncAliceClient("127.0.0.1:1", secret="s" * 40)
    alice.close()
    alice.close()  # twice is harmless
    with pytest.raises(RuntimeError, match="closed"):
        alice.health()
