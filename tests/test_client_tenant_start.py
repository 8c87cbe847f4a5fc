"""start_call with the tenant's profile and typed settings from TenantService
(GetMyCustomer + GetSettings), against a real server: two tenants at once with
nothing crossing, the per-tenant cache with its TTL and explicit refresh, the
prompt rendered from it, and fail-soft when the server is down."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from alice_server.auth import mint_platform_token
from alice_server.testing import running_server
from chad_client import (
    AliceClient,
    CustomerChanges,
    PromptBlock,
    SyncAliceClient,
    TenantProfile,
    TenantSettings,
    TransferRule,
)
from tests.support.client import Recorder

MORNING_UTC = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)  # 08:00 in Los Angeles


def _settings(label: str, voice: str) -> TenantSettings:
    return TenantSettings(
        new_caller_greeting="{time_greeting}, {business_name}, this is {agent_name}.",
        returning_caller_greeting="{time_greeting} {user_name}, {agent_name} of {business_name}.",
        voice=voice,
        transfer_rules=[TransferRule("a claim", f"{label} claims desk", "+15550109000")],
        prompt_blocks=[PromptBlock("identity", f"You are {{agent_name}} of {label}.")],
        other={"office_hours": {"weekdays": f"{label} hours"}},
    )


async def _configure(alice, secret, tenant, agent, zone, voice):  # type: ignore[no-untyped-def]
    async with AliceClient(alice.address, secret=secret) as client:
        admin = client.platform(token=mint_platform_token(secret))
        await admin.update_customer(
            tenant.id, CustomerChanges(agent_name=agent, time_zone=zone, voice="profile-voice")
        )
        return await client.for_customer(tenant.id).update_tenant_settings(
            _settings(tenant.name, voice)
        )


async def test_start_call_returns_each_tenants_profile_and_settings_and_nothing_crosses(
    alice, secret, peterson, smith, caller_phone
):
    p_settings = await _configure(alice, secret, peterson, "Ava", "America/Los_Angeles", "alloy")
    s_settings = await _configure(alice, secret, smith, "Sam", "Europe/London", "verse")
    recorder = Recorder()
    async with AliceClient(alice.address, secret=secret, interceptors=[recorder]) as client:
        p, s = client.for_customer(peterson.id), client.for_customer(smith.id)
        # The same caller number at both tenants, each with its own memory.
        await p.store_memory(caller_phone, "fact", "pet", {"value": "a dog named Rex"})
        await s.store_memory(caller_phone, "fact", "car", {"value": "a red Volvo"})
        await p.update_caller_profile(caller_phone, preferred_name="Dana")
        recorder.attempts.clear()

        p_start, s_start = await asyncio.gather(
            p.start_call(caller_phone), s.start_call(caller_phone)
        )
        assert sorted(recorder.attempts) == sorted(
            ["GetMyCustomer", "GetSettings", "GetEnrichedContext"] * 2
        )
        for start, tenant, agent, zone, voice, settings, other in (
            (p_start, peterson, "Ava", "America/Los_Angeles", "alloy", p_settings, smith),
            (s_start, smith, "Sam", "Europe/London", "verse", s_settings, peterson),
        ):
            assert not start.degraded, start.degraded_reasons
            assert start.customer_id == tenant.id
            assert start.profile == TenantProfile(
                customer_id=tenant.id,
                business_name=tenant.name,
                agent_name=agent,
                greeting_template="",
                voice="profile-voice",
                time_zone=zone,
            )
            assert start.settings == settings and start.voice == voice
            assert start.settings.transfer_rules == [
                TransferRule("a claim", f"{tenant.name} claims desk", "+15550109000")
            ]
            assert start.settings.other == {"office_hours": {"weekdays": f"{tenant.name} hours"}}
            # The tenant's settings stay out of the caller's context text.
            assert "claims desk" not in start.context.text
            assert other.name not in start.context.text
            prompt = start.prompt(now=MORNING_UTC)
            assert prompt is not None
            assert f"You are {agent} of {tenant.name}." in prompt.system
            assert f"{tenant.name} claims desk (+15550109000)" in prompt.system
            assert other.name not in prompt.system and other.name not in prompt.greeting
        assert "a dog named Rex" in p_start.context.text and "Volvo" not in p_start.context.text
        assert "a red Volvo" in s_start.context.text and "Rex" not in s_start.context.text
        # Both callers are known (a memory each); Peterson knows the name. The
        # greeting is rendered in each tenant's time zone: 08:00 in Los Angeles,
        # 16:00 in London.
        p_prompt, s_prompt = p_start.prompt(now=MORNING_UTC), s_start.prompt(now=MORNING_UTC)
        assert p_prompt is not None and s_prompt is not None
        assert p_prompt.greeting == "Good morning Dana, Ava of Peterson Insurance."
        assert s_prompt.greeting == "Good afternoon, Sam of Smith Insurance Agency."

        # Settings on every utterance come from the per-tenant cache: no RPC.
        recorder.attempts.clear()
        for _ in range(10):
            assert (await p.settings()).voice == "alloy"
            assert (await s.settings()).voice == "verse"
        assert recorder.attempts == []

        # An admin saves a new voice: the cache keeps the old one until refreshed.
        await p.update_tenant_settings(TenantSettings(voice="echo"))
        assert (await p.settings()).voice == "alloy"
        refreshed = await p.refresh_tenant_info()
        assert refreshed.settings.voice == "echo"
        assert (await p.start_call(caller_phone)).voice == "echo"
        assert (await s.settings()).voice == "verse"


async def test_the_cache_fetches_again_after_the_ttl(alice, secret, peterson):
    recorder = Recorder()
    async with AliceClient(
        alice.address, secret=secret, interceptors=[recorder], settings_ttl=0.2
    ) as client:
        tenant = client.for_customer(peterson.id)
        await tenant.tenant_profile()
        await tenant.tenant_profile()
        assert sorted(recorder.attempts) == ["GetMyCustomer", "GetSettings"]
        await asyncio.sleep(0.3)
        assert (await tenant.tenant_profile()) is not None
        assert sorted(recorder.attempts) == ["GetMyCustomer"] * 2 + ["GetSettings"] * 2


async def test_with_the_server_down_start_call_fails_soft_and_serves_a_cached_copy(
    database, secret, peterson, caller_phone, caplog
):
    async with running_server(database.app_url, secret) as server:
        address = server.address
        warm_client = AliceClient(address, secret=secret, settings_ttl=0)
        warm = warm_client.for_customer(peterson.id)
        await warm.update_tenant_settings(TenantSettings(voice="alloy"))
        first = await warm.start_call(caller_phone)
        assert not first.degraded and first.voice == "alloy" and first.profile is not None
    # The server is gone.
    try:
        # A client that had a copy keeps serving it: with a TTL of 0 every call
        # tries a refresh first, fails, logs it, and serves the older copy.
        with caplog.at_level(logging.WARNING, logger="chad_client"):
            stale = await warm.start_call(caller_phone, timeout=0.5)
        assert stale.profile == first.profile and stale.settings == first.settings
        assert stale.context.degraded and stale.context.text == ""
        assert [r.split(":")[0] for r in stale.degraded_reasons] == ["context"]
        assert "serving the copy" in caplog.text
    finally:
        await warm_client.close()
    # A client that never had a copy starts the call with nothing, within the deadline.
    async with AliceClient(address, secret=secret) as client:
        tenant = client.for_customer(peterson.id)
        with caplog.at_level(logging.WARNING, logger="chad_client"):
            started = asyncio.get_running_loop().time()
            start = await tenant.start_call(caller_phone, timeout=0.5)
            elapsed = asyncio.get_running_loop().time() - started
        assert elapsed < 2.0  # bounded by the deadline, not by connection retries
        assert start.degraded and start.profile is None
        assert start.settings == TenantSettings() and start.prompt() is None
        assert start.voice == ""
        assert any(r.startswith("tenant settings: ") for r in start.degraded_reasons)
        assert any(r.startswith("context: ") for r in start.degraded_reasons)
        assert "continuing without" in caplog.text


def _sync_start(address: str, secret: str, customer_id: int, caller: str) -> dict[str, object]:
    with SyncAliceClient(address, secret=secret) as client:
        tenant = client.for_customer(customer_id)
        start = tenant.start_call(caller, query="insurance")
        return {
            "start": start,
            "profile": tenant.tenant_profile(),
            "voice": tenant.settings().voice,
        }


async def test_the_blocking_twin_starts_a_call_from_tenant_service(
    alice, secret, smith, caller_phone
):
    await _configure(alice, secret, smith, "Sam", "Europe/London", "verse")
    out = await asyncio.to_thread(_sync_start, alice.address, secret, smith.id, caller_phone)
    start = out["start"]
    assert not start.degraded  # type: ignore[attr-defined]
    assert start.profile.agent_name == "Sam" == out["profile"].agent_name  # type: ignore[attr-defined]
    assert out["voice"] == "verse"
