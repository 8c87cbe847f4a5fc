"""Whole phone calls through chad_client, as the voice agent makes them."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from chad_client import AliceClient, TenantClient, Turn

TRANSCRIPT = [
    Turn("agent", "Thanks for calling, this is the agency, how can I help?"),
    Turn("caller", "Hi, my name is Maria Lopez. I need to add my daughter to my auto policy."),
    Turn("agent", "Happy to help. What is her date of birth?"),
    Turn("caller", "March 3rd 2008. She prefers text messages, by the way."),
    Turn("agent", "Done. She is on the auto policy from today."),
    Turn("caller", "Perfect, thank you so much!"),
]


@pytest.fixture
async def client(alice, secret):
    async with AliceClient(alice.address, secret=secret) as client:
        yield client


async def run_call(
    tenant: TenantClient, caller: str, call_id: str, facts: dict[str, str], start: dt.datetime
) -> None:
    """One call: context at start, facts and the running transcript during, ProcessCall at end."""
    context = await tenant.get_context_or_empty(caller)
    assert not context.degraded, context.degraded_reason
    said: list[Turn] = []
    for turn in TRANSCRIPT:
        said.append(turn)
        # The running transcript is upserted on every turn: one memory, updated.
        stored = await tenant.store_memory(
            caller,
            "thread_recap",
            f"thread_history:{call_id}",
            {"turns": [[t.role, t.content] for t in said]},
            ttl_days=7,
            source="call",
        )
        assert stored.created == (len(said) == 1)
    for key, value in facts.items():
        await tenant.store_memory(caller, "fact", key, {"value": value}, source="call")
    await tenant.process_call(
        caller, call_id, TRANSCRIPT, started_at=start, ended_at=start + dt.timedelta(minutes=3)
    )


async def check_call_flow(
    client: AliceClient, customer_id: int, caller: str, facts: dict[str, str]
) -> None:
    tenant = client.for_customer(customer_id)
    first = await tenant.get_enriched_context(caller)
    assert first.is_new_caller and first.customer_id == customer_id
    assert first.summaries == [] and first.memories == []

    start = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
    await run_call(tenant, caller, f"CA-{customer_id}-1", facts, start)

    following = await tenant.get_enriched_context(caller)
    assert not following.is_new_caller
    assert following.profile is not None and following.profile.total_calls == 1
    assert following.profile.preferred_name == "Maria Lopez"
    (summary,) = following.summaries
    assert summary.call_id == f"CA-{customer_id}-1" and summary.duration_seconds == 180
    assert "auto policy" in summary.summary
    assert summary.summary in following.text
    remembered = {m.key: m.value["value"] for m in following.memories if m.source == "call"}
    assert remembered == facts  # the facts, not the superseded running transcript
    # ... and the one the call notes found in the transcript (issue 14).
    extracted = {m.key: m.value["value"] for m in following.memories if m.source != "call"}
    assert extracted == {"daughter_birth_date": "2008-03-03"}
    for value in facts.values():
        assert value in following.text
    assert following.personality is not None and following.personality.call_count == 1
    recaps = await tenant.list_memories(caller, type="thread_recap")
    assert len(recaps.items) == 1 and len(recaps.items[0].value["turns"]) == len(TRANSCRIPT)


async def test_peterson_call_flow(client, peterson, caller_phone):
    await check_call_flow(client, peterson.id, caller_phone, {"daughter": "Emma, born 2008"})


async def test_smith_call_flow(client, smith, caller_phone):
    await check_call_flow(client, smith.id, caller_phone, {"contact": "text messages only"})


async def test_parallel_calls_isolated(client, peterson, smith):
    """24 concurrent calls, both tenants, one caller phone number in both."""
    caller = "+15552222222"
    calls_per_tenant = 12
    start = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)

    async def call(tenant_id: int, name: str, i: int) -> None:
        await run_call(
            client.for_customer(tenant_id),
            caller,
            f"CA-par-{tenant_id}-{i}",
            {f"fact_{i}": f"{name} fact {i}"},
            start + dt.timedelta(minutes=i),
        )

    await asyncio.gather(
        *(call(t.id, t.name, i) for t in (peterson, smith) for i in range(calls_per_tenant))
    )

    for tenant, other in ((peterson, smith), (smith, peterson)):
        view = client.for_customer(tenant.id)
        context = await view.get_enriched_context(caller, num_memories=100, num_summaries=50)
        facts = [m.value["value"] for m in context.memories if m.source == "call"]
        assert sorted(facts) == sorted(f"{tenant.name} fact {i}" for i in range(calls_per_tenant))
        assert other.name not in context.text
        assert context.profile is not None and context.profile.total_calls == calls_per_tenant
        assert len(context.summaries) == calls_per_tenant
        every = [m async for m in view.iter_memories(caller, page_size=5)]
        assert sorted(m.key for m in every if m.type == "thread_recap") == sorted(
            f"thread_history:CA-par-{tenant.id}-{i}" for i in range(calls_per_tenant)
        )
        stored = [m for m in every if m.source == "call"]
        assert all(tenant.name in m.value["value"] for m in stored if m.type == "fact")
        assert len(stored) == 2 * calls_per_tenant  # a fact and a transcript per call
        # The transcript's own fact, found by every call's notes, is one memory (one key).
        assert [m.key for m in every if m.source != "call"] == ["daughter_birth_date"]


async def test_tenant_settings_in_one_call(client, peterson, smith):
    """The agent's call-start settings: one request instead of one per setting."""
    tenant = client.for_customer(peterson.id)
    for key, value in {"agent_name": "Sam", "new_caller_greeting": "Welcome!"}.items():
        await tenant.store_shared_memory("admin_setting", key, {"value": value})
    await tenant.store_shared_memory("faq", "hours", {"value": "9-5"})
    await client.for_customer(smith.id).store_shared_memory(
        "admin_setting", "agent_name", {"value": "Sarah"}
    )

    settings = await tenant.get_settings()

    assert settings == {
        "agent_name": {"value": "Sam"},
        "new_caller_greeting": {"value": "Welcome!"},
    }
    assert (await client.for_customer(smith.id).get_settings()) == {
        "agent_name": {"value": "Sarah"}
    }
