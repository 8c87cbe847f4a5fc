"""chad_client's call-loop methods against a real server: start_call (tenant
settings cached per tenant, fail-soft), transcripts, call records, profile
writes, memory by key, stats, and the blocking twins."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest

from alice_server.testing import running_server
from chad_client import (
    AliceClient,
    AlreadyExists,
    FailedPrecondition,
    LegacySettingsSource,
    NotFound,
    SyncAliceClient,
    TenantSettings,
    TranscriptTurn,
    TransferRule,
    fact_key,
)
from tests.support.client import Recorder

T0 = dt.datetime(2026, 11, 22, 14, 0, tzinfo=dt.UTC)


async def test_start_call_with_legacy_settings_returns_settings_and_context_and_caches_them(
    alice, peterson, smith, caller_phone
):
    """The legacy source: settings kept as shared "admin_setting" memories."""
    recorder = Recorder()
    async with AliceClient(
        alice.address,
        secret=peterson.secret,
        interceptors=[recorder],
        tenant_info_source=LegacySettingsSource(),
    ) as alice_client:
        tenant = alice_client.for_customer(peterson.id)
        other = alice_client.for_customer(smith.id)
        await tenant.store_shared_memory("admin_setting", "voice_id", {"value": "alloy"})
        await tenant.store_shared_memory(
            "admin_setting", "transfer_rules", {"rules": [{"target": "claims desk"}]}
        )
        await other.store_shared_memory("admin_setting", "voice_id", {"value": "verse"})
        await tenant.update_caller_profile(caller_phone, preferred_name="Dana")

        recorder.attempts.clear()
        start = await tenant.start_call(caller_phone)
        assert not start.degraded and start.degraded_reasons == []
        assert start.settings.voice == "alloy"  # voice_id -> voice, as import-legacy maps it
        assert start.profile is None  # the legacy settings source knows no tenant profile
        assert start.caller_name == "Dana" and not start.context.is_new_caller
        assert sorted(recorder.attempts) == ["GetEnrichedContext", "ListMemories"]

        # Every utterance and TTS request: from the cache, no RPC.
        recorder.attempts.clear()
        for _ in range(20):
            assert (await tenant.settings()).transfer_rules == [TransferRule("", "claims desk")]
        assert recorder.attempts == []
        # Per tenant: the other tenant's settings are its own.
        assert (await other.settings()).voice == "verse"
        assert recorder.attempts == ["ListMemories"]

        # An admin changed a setting: an explicit refresh sees it at once.
        await tenant.store_shared_memory("admin_setting", "voice_id", {"value": "echo"})
        assert (await tenant.settings()).voice == "alloy"  # still cached
        await tenant.refresh_tenant_info()
        assert (await tenant.settings()).voice == "echo"


async def test_settings_are_fetched_again_after_the_ttl(alice, peterson):
    recorder = Recorder()
    async with AliceClient(
        alice.address, secret=peterson.secret, interceptors=[recorder], settings_ttl=0.2
    ) as client:
        tenant = client.for_customer(peterson.id)
        await tenant.settings()
        await tenant.settings()
        assert sorted(recorder.attempts) == ["GetMyCustomer", "GetSettings"]
        await asyncio.sleep(0.3)
        await tenant.settings()
        assert sorted(recorder.attempts) == ["GetMyCustomer"] * 2 + ["GetSettings"] * 2


async def test_start_call_fails_soft_with_the_server_stopped(
    database, secret, peterson, caller_phone, caplog
):
    caller = caller_phone
    async with running_server(database.app_url, secret) as server:
        address = server.address
    async with AliceClient(address, secret=secret) as client:
        tenant = client.for_customer(peterson.id)
        with caplog.at_level(logging.WARNING, logger="chad_client"):
            start = await tenant.start_call(caller, timeout=0.5)
    assert start.degraded
    assert start.settings == TenantSettings() and start.profile is None
    assert start.prompt() is None and start.voice == ""
    assert start.context.degraded and start.context.text == ""
    assert any(r.startswith("tenant settings:") for r in start.degraded_reasons)
    assert any(r.startswith("context:") for r in start.degraded_reasons)
    assert "continuing without" in caplog.text


async def test_the_call_loop_through_the_client(alice, peterson, caller_phone):
    async with AliceClient(alice.address, secret=peterson.secret) as client:
        tenant = client.for_customer(peterson.id)
        call_id = "CA-client-loop"
        first = await tenant.append_transcript_turns(
            caller_phone,
            call_id,
            [
                TranscriptTurn(0, "caller", "Hi, I need to change my address.", T0),
                TranscriptTurn(1, "agent", "Sure, what is the new one?", T0),
            ],
        )
        assert (first.appended, first.next_sequence) == (2, 2)
        retried = await tenant.append_transcript_turns(
            caller_phone, call_id, [TranscriptTurn(1, "agent", "Sure, what is the new one?")]
        )
        assert (retried.appended, retried.already_stored) == (0, 1)
        await tenant.append_transcript_turns(
            caller_phone,
            call_id,
            [TranscriptTurn(2, "user", "12 Elm Street.", T0 + dt.timedelta(minutes=2))],
        )
        with pytest.raises(FailedPrecondition, match="different"):
            await tenant.append_transcript_turns(
                caller_phone, call_id, [TranscriptTurn(2, "caller", "14 Elm Street.")]
            )
        transcript = await tenant.get_call_transcript(call_id)
        assert [t.role for t in transcript.turns] == ["caller", "agent", "caller"]

        record = await tenant.update_call_record(
            caller_phone, call_id, direction="inbound", dialled_number="8005550100"
        )
        assert record.direction == "inbound" and record.dialled_number == "+18005550100"
        with pytest.raises(AlreadyExists):
            await tenant.update_call_record("+15550000001", call_id, transfer_target="x")

        result = await tenant.process_call(caller_phone, call_id)
        assert not result.already_processed
        (summary,) = (await tenant.list_call_summaries(caller_phone)).items
        assert summary.started_at == T0 and summary.duration_seconds == 120
        assert summary.record is not None and summary.record.processed
        assert (await tenant.get_call_record(call_id)).turn_count == 3

        key = fact_key("New address: 12 Elm Street")
        await tenant.store_memory(caller_phone, "fact", key, {"value": "12 Elm Street"})
        assert (await tenant.get_memory_by_key(caller_phone, "fact", key)).value == {
            "value": "12 Elm Street"
        }
        with pytest.raises(NotFound):
            await tenant.get_memory_by_key(caller_phone, "fact", fact_key("something else"))

        profile = await tenant.update_caller_profile(
            caller_phone, preferred_name="Dana", preferences={"channel": "sms"}
        )
        assert profile.total_calls == 1 and profile.first_call_at == T0
        stats = await tenant.get_tenant_stats()
        assert (stats.caller_count, stats.processed_call_count, stats.transcript_turn_count) == (
            1,
            1,
            3,
        )


def _sync_loop(address: str, secret: str, customer_id: int, caller: str) -> dict[str, object]:
    with SyncAliceClient(address, secret=secret) as alice:
        tenant = alice.for_customer(customer_id)
        start = tenant.start_call(caller)
        tenant.append_transcript_turns(
            caller, "CA-sync-loop", [TranscriptTurn(0, "caller", "Hello, a billing question.")]
        )
        tenant.update_call_record(caller, "CA-sync-loop", transfer_target="billing")
        tenant.update_caller_profile(caller, preferred_name="Sam")
        result = tenant.process_call(caller, "CA-sync-loop")
        return {
            "new": start.context.is_new_caller,
            "summary": result.summary,
            "transcript": tenant.get_call_transcript("CA-sync-loop").turns,
            "record": tenant.get_call_record("CA-sync-loop"),
            "stats": tenant.get_tenant_stats(),
            "name": tenant.start_call(caller).caller_name,
            "settings": tenant.settings(),
        }


async def test_the_blocking_twins_run_the_call_loop(alice, peterson, caller_phone):
    out = await asyncio.to_thread(
        _sync_loop, alice.address, peterson.secret, peterson.id, caller_phone
    )
    assert out["new"] is True and out["summary"]
    assert [t.content for t in out["transcript"]] == ["Hello, a billing question."]  # type: ignore[attr-defined]
    assert out["record"].transfer_target == "billing"  # type: ignore[attr-defined]
    assert out["stats"].processed_call_count == 1  # type: ignore[attr-defined]
    assert out["name"] == "Sam"
    assert out["settings"] == TenantSettings()  # the fixture's tenant has none
