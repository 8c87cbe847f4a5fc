"""chad_client parts that need no server: the twins agree, one deadline table,
deterministic fact keys, and the per-tenant settings cache (TTL, refresh,
single flight, stale copy on failure)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from chad_client import (
    DEADLINES,
    DeadlineExceeded,
    SyncTenantClient,
    TenantClient,
    TenantInfo,
    TenantSettings,
    Timeouts,
    Unavailable,
    fact_key,
)
from chad_client.tenant_info import TenantInfoCache


def _public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }


def test_sync_twin_has_every_method_with_the_same_parameters():
    async_methods = _public(TenantClient)
    sync_methods = _public(SyncTenantClient)
    assert set(async_methods) == set(sync_methods)
    for name, signature in async_methods.items():
        expected = [(p.name, p.kind, p.default) for p in signature.parameters.values()]
        actual = [(p.name, p.kind, p.default) for p in sync_methods[name].parameters.values()]
        assert actual == expected, name


def test_every_rpc_has_a_deadline_in_the_one_table():
    from tests.support.contract import every_rpc

    rpcs = {rpc for _service, rpc in every_rpc()}
    assert rpcs <= set(DEADLINES), rpcs - set(DEADLINES)
    # A phone call: start under a second, end-of-call work longer.
    assert DEADLINES["start_call"] < 1.0
    assert DEADLINES["GetEnrichedContext"] < 1.0
    assert DEADLINES["ProcessCall"] > DEADLINES["AppendTranscriptTurns"] > DEADLINES["start_call"]


def test_timeouts_override_entries_of_the_table():
    timeouts = Timeouts(context=0.3, per_method={"StoreMemory": 7.0})
    assert timeouts.of("GetEnrichedContext") == 0.3
    assert timeouts.of("StoreMemory") == 7.0
    assert timeouts.of("ProcessCall") == DEADLINES["ProcessCall"]
    assert timeouts.of("NotInTheTable") == timeouts.default


def test_fact_keys_are_deterministic_and_ignore_case_and_punctuation():
    key = fact_key("Son's birthday is June 9th")
    assert key == fact_key("  son s BIRTHDAY is june 9th!! ")
    assert key != fact_key("Son's birthday is June 10th")
    # Fixed for ever: a stored key must still match after a restart or upgrade.
    assert (
        key
        == "fact:" + __import__("hashlib").sha256(b"son s birthday is june 9th").hexdigest()[:16]
    )
    with pytest.raises(ValueError):
        fact_key(" ... ")


class _Tenant:
    def __init__(self, customer_id: int) -> None:
        self.customer_id = customer_id


class _CountingSource:
    """A settings source that counts fetches; fails while `down` is set."""

    def __init__(self) -> None:
        self.fetches: dict[int, int] = {}
        self.down = False
        self.delay = 0.0

    async def fetch(self, tenant: Any, budget: float, /) -> TenantInfo:
        self.fetches[tenant.customer_id] = self.fetches.get(tenant.customer_id, 0) + 1
        await asyncio.sleep(self.delay)
        if self.down:
            raise Unavailable("down")
        n = self.fetches[tenant.customer_id]
        return TenantInfo(None, TenantSettings(voice=f"v{tenant.customer_id}-{n}"))


async def test_settings_cache_keeps_each_tenant_for_the_ttl_and_refreshes_on_demand():
    now = [0.0]
    source = _CountingSource()
    cache = TenantInfoCache(source, ttl=60, clock=lambda: now[0])
    one, two = _Tenant(1), _Tenant(2)
    assert (await cache.get(one, 1)).settings.voice == "v1-1"
    assert (await cache.get(two, 1)).settings.voice == "v2-1"
    now[0] = 59
    assert (await cache.get(one, 1)).settings.voice == "v1-1"
    assert source.fetches == {1: 1, 2: 1}
    now[0] = 61
    assert (await cache.get(one, 1)).settings.voice == "v1-2"
    assert (await cache.get(two, 1, refresh=True)).settings.voice == "v2-2"
    cache.invalidate(1)
    assert (await cache.get(one, 1)).settings.voice == "v1-3"


async def test_settings_cache_fetches_once_for_concurrent_misses():
    source = _CountingSource()
    source.delay = 0.05
    cache = TenantInfoCache(source, ttl=60)
    results = await asyncio.gather(*(cache.get(_Tenant(7), 1) for _ in range(20)))
    assert source.fetches == {7: 1}
    assert {r.settings.voice for r in results} == {"v7-1"}


async def test_settings_cache_serves_the_old_copy_when_a_refresh_fails():
    now = [0.0]
    source = _CountingSource()
    cache = TenantInfoCache(source, ttl=10, clock=lambda: now[0])
    first = await cache.get(_Tenant(3), 1)
    source.down = True
    now[0] = 100
    assert await cache.get(_Tenant(3), 1) == first
    # An explicit refresh says that it failed; a tenant never fetched too.
    with pytest.raises(Unavailable):
        await cache.get(_Tenant(3), 1, refresh=True)
    with pytest.raises(Unavailable):
        await cache.get(_Tenant(4), 1)


async def test_a_slow_settings_fetch_is_a_typed_deadline_and_still_fills_the_cache():
    source = _CountingSource()
    source.delay = 0.2
    cache = TenantInfoCache(source, ttl=60)
    with pytest.raises(DeadlineExceeded):
        await cache.get(_Tenant(5), 0.05)
    # The fetch went on (shielded); once done, the next call is served from the cache.
    await asyncio.sleep(0.3)
    assert (await cache.get(_Tenant(5), 0.05)).settings.voice == "v5-1"
    assert source.fetches == {5: 1}


def test_legacy_settings_map_to_the_typed_settings_as_the_import_maps_them():
    from chad_client import PromptBlock, TransferRule
    from chad_client.tenant_info import legacy_settings

    typed = legacy_settings(
        {
            "existing_user_greeting": {"value": "Welcome back {user_name}"},
            "new_caller_greeting": {"value": "Hello"},
            "openai_voice": {"value": "alloy"},
            "transfer_rules": {
                "rules": [{"when": "claims", "target": "desk", "phone_number": "1"}]
            },
            "prompt_blocks": {"blocks": [{"name": "tone", "text": "Be brief."}]},
            "office_hours": {"mon": "9-5"},
            "voice_id": {"unexpected": "shape"},
        }
    )
    assert typed == TenantSettings(
        new_caller_greeting="Hello",
        returning_caller_greeting="Welcome back {user_name}",
        voice="alloy",
        transfer_rules=[TransferRule("claims", "desk", "1")],
        prompt_blocks=[PromptBlock("tone", "Be brief.")],
        other={"office_hours": {"mon": "9-5"}, "voice_id": {"unexpected": "shape"}},
    )
