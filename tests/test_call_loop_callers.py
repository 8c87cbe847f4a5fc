"""Caller profile writes, memory by key, tenant stats, and the agent's settings
kept out of the caller's context (issue 11), on a real server."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest

from chad_client.v1 import call_service_pb2 as call
from chad_client.v1 import call_service_pb2_grpc
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests.helpers import status_of, struct

T0 = dt.datetime(2026, 11, 21, 15, 0, tzinfo=dt.UTC)


def _call(user_id: str, call_id: str, text: str, start: dt.datetime = T0) -> ctx.ProcessCallRequest:
    request = ctx.ProcessCallRequest(
        user_id=user_id, call_id=call_id, turns=[res.Turn(role=res.ROLE_CALLER, content=text)]
    )
    request.started_at.FromDatetime(start)
    return request


async def test_a_profile_can_exist_before_the_first_call(contexts, peterson, caller_phone):
    md = peterson.metadata()
    written = await contexts.UpdateCallerProfile(
        ctx.UpdateCallerProfileRequest(
            user_id=caller_phone, preferred_name="Dana", preferences=struct(callback="mornings")
        ),
        metadata=md,
    )
    assert written.created
    profile = written.profile
    assert profile.preferred_name == "Dana" and profile.total_calls == 0
    assert not profile.HasField("first_call_at") and not profile.HasField("last_call_at")

    context = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=md
    )
    assert not context.is_new_caller
    assert context.profile.preferred_name == "Dana"
    assert "Name: Dana" in context.context
    assert "No earlier call of this caller has been summarised yet." in context.context
    assert "earlier call" not in context.context.replace("No earlier call", "")

    # The first processed call: counted from one, its start is the first call,
    # and the name set by hand is not replaced by the one the summariser hears.
    await contexts.ProcessCall(
        _call(caller_phone, "CA-prof-1", "Hi, this is Danielle Whitfield, about my policy."),
        metadata=md,
    )
    profile = (
        await contexts.GetCallerProfile(
            ctx.GetCallerProfileRequest(user_id=caller_phone), metadata=md
        )
    ).profile
    assert profile.total_calls == 1
    assert profile.first_call_at.ToDatetime(dt.UTC) == T0 == profile.last_call_at.ToDatetime(dt.UTC)
    assert profile.preferred_name == "Dana"
    assert dict(profile.preferences) == {"callback": "mornings"}


async def test_preferences_merge_key_by_key_and_can_be_replaced(contexts, peterson, caller_phone):
    md = peterson.metadata()

    async def update(**kwargs):  # type: ignore[no-untyped-def]
        response = await contexts.UpdateCallerProfile(
            ctx.UpdateCallerProfileRequest(user_id=caller_phone, **kwargs), metadata=md
        )
        return response

    await update(preferences=struct(callback="mornings", language="en"))
    merged = await update(preferences=struct(language=None, channel="sms"))
    assert not merged.created
    assert dict(merged.profile.preferences) == {"callback": "mornings", "channel": "sms"}
    named = await update(preferred_name="  Dana ")
    assert named.profile.preferred_name == "Dana"
    assert dict(named.profile.preferences) == {"callback": "mornings", "channel": "sms"}
    replaced = await update(preferences=struct(channel="email"), replace_preferences=True)
    assert dict(replaced.profile.preferences) == {"channel": "email"}
    assert replaced.profile.preferred_name == "Dana"  # unset: kept
    cleared = await update(preferred_name="")
    assert cleared.profile.preferred_name == ""


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"preferred_name": "x" * 129}, "preferred_name"),
        ({"replace_preferences": True}, "replace_preferences needs preferences"),
        ({"preferences": struct(blob="x" * 17_000)}, "at most 16 KiB"),
        ({"user_id": ""}, "user_id is required"),
    ],
)
async def test_bad_profile_writes_are_invalid_argument(
    contexts, peterson, caller_phone, kwargs, fragment
):
    request = ctx.UpdateCallerProfileRequest(user_id=caller_phone)
    for name, value in kwargs.items():
        if name == "preferences":
            request.preferences.CopyFrom(value)
        else:
            setattr(request, name, value)
    code, details = await status_of(
        contexts.UpdateCallerProfile(request, metadata=peterson.metadata())
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in details


async def test_profile_writes_stay_in_their_tenant(contexts, peterson, smith, caller_phone):
    await contexts.UpdateCallerProfile(
        ctx.UpdateCallerProfileRequest(user_id=caller_phone, preferred_name="Dana"),
        metadata=peterson.metadata(),
    )
    code, _ = await status_of(
        contexts.GetCallerProfile(
            ctx.GetCallerProfileRequest(user_id=caller_phone), metadata=smith.metadata()
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND
    theirs = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=smith.metadata()
    )
    assert theirs.is_new_caller and "Dana" not in theirs.context


async def test_memory_by_key(memories, peterson, smith, caller_phone):
    md = peterson.metadata()
    stored = await memories.StoreMemory(
        mem.StoreMemoryRequest(
            user_id="(555) " + caller_phone[5:8] + "-" + caller_phone[8:],
            type="fact",
            key="fact:0123456789abcdef",
            value=struct(value="Son born 2009-06-09"),
        ),
        metadata=md,
    )
    await memories.StoreMemory(
        mem.StoreMemoryRequest(
            scope=res.SCOPE_SHARED, type="admin_setting", key="voice", value=struct(value="alloy")
        ),
        metadata=md,
    )
    found = await memories.GetMemoryByKey(
        mem.GetMemoryByKeyRequest(user_id=caller_phone, type="fact", key="fact:0123456789abcdef"),
        metadata=md,
    )
    assert found.memory.id == stored.memory.id
    shared = await memories.GetMemoryByKey(
        mem.GetMemoryByKeyRequest(scope=res.SCOPE_SHARED, type="admin_setting", key="voice"),
        metadata=md,
    )
    assert dict(shared.memory.value) == {"value": "alloy"}

    for request, metadata, expected in (
        (  # another type
            mem.GetMemoryByKeyRequest(
                user_id=caller_phone, type="note", key="fact:0123456789abcdef"
            ),
            md,
            grpc.StatusCode.NOT_FOUND,
        ),
        (  # another tenant
            mem.GetMemoryByKeyRequest(
                user_id=caller_phone, type="fact", key="fact:0123456789abcdef"
            ),
            smith.metadata(),
            grpc.StatusCode.NOT_FOUND,
        ),
        (  # a shared memory never has a user_id
            mem.GetMemoryByKeyRequest(
                scope=res.SCOPE_SHARED, user_id=caller_phone, type="admin_setting", key="voice"
            ),
            md,
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            mem.GetMemoryByKeyRequest(user_id=caller_phone, type="Fact!", key="k"),
            md,
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            mem.GetMemoryByKeyRequest(user_id=caller_phone, type="fact", key=""),
            md,
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
    ):
        code, _ = await status_of(memories.GetMemoryByKey(request, metadata=metadata))
        assert code == expected, request


async def test_tenant_stats_count_the_tenants_own_rows(
    memories, contexts, channel, peterson, smith, caller_phone
):
    calls = call_service_pb2_grpc.CallServiceStub(channel)
    md = peterson.metadata()
    empty = await contexts.GetTenantStats(ctx.GetTenantStatsRequest(), metadata=md)
    assert empty.customer_id == peterson.id
    assert (empty.caller_memory_count, empty.caller_count, empty.processed_call_count) == (0, 0, 0)
    assert not empty.HasField("last_call_at")

    for i in range(3):
        await memories.StoreMemory(
            mem.StoreMemoryRequest(
                user_id=caller_phone, type="fact", key=f"k{i}", value=struct(v=i)
            ),
            metadata=md,
        )
    await memories.StoreMemory(
        mem.StoreMemoryRequest(
            scope=res.SCOPE_SHARED, type="admin_setting", key="voice", value=struct(value="alloy")
        ),
        metadata=md,
    )
    await contexts.ProcessCall(_call(caller_phone, "CA-st-1", "Hello there."), metadata=md)
    await contexts.ProcessCall(
        _call("+15550001111", "CA-st-2", "Hello.", T0 + dt.timedelta(days=1)), metadata=md
    )
    await calls.AppendTranscriptTurns(
        call.AppendTranscriptTurnsRequest(
            user_id=caller_phone,
            call_id="CA-st-3",
            turns=[
                call.TranscriptTurn(sequence=i, role=res.ROLE_CALLER, content="hi")
                for i in range(4)
            ],
        ),
        metadata=md,
    )
    # The other tenant's rows are not counted.
    await memories.StoreMemory(
        mem.StoreMemoryRequest(user_id=caller_phone, type="fact", key="x", value=struct(v=1)),
        metadata=smith.metadata(),
    )

    stats = await contexts.GetTenantStats(ctx.GetTenantStatsRequest(), metadata=md)
    assert stats.caller_memory_count == 3
    assert stats.shared_memory_count == 1
    assert stats.caller_count == 2
    assert stats.processed_call_count == 2
    assert stats.recorded_call_count == 1
    assert stats.transcript_turn_count == 4
    assert stats.last_call_at.ToDatetime(dt.UTC) == T0 + dt.timedelta(days=1)


async def test_agent_settings_stay_out_of_the_callers_context(
    memories, contexts, peterson, caller_phone
):
    md = peterson.metadata()
    await memories.StoreMemory(
        mem.StoreMemoryRequest(
            user_id=caller_phone, type="fact", key="car", value=struct(value="a red Volvo")
        ),
        metadata=md,
    )
    for key, value in (
        ("transfer_rules", struct(rules=[{"when": "claims", "phone_number": "+18005550199"}])),
        ("new_caller_greeting", struct(value="Thanks for calling, this is Sam!")),
        ("prompt_blocks", struct(value="You are Sam, the agent of an insurance office.")),
        ("office_hours", struct(value="Mon-Fri 9-5")),
    ):
        await memories.StoreMemory(
            mem.StoreMemoryRequest(
                scope=res.SCOPE_SHARED, type="admin_setting", key=key, value=value
            ),
            metadata=md,
        )
    context = await contexts.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=md
    )
    text = context.context
    assert "a red Volvo" in text
    assert "Mon-Fri 9-5" in text  # business information stays
    for setting in ("+18005550199", "Thanks for calling", "You are Sam"):
        assert setting not in text
    assert [m.key for m in context.memories] == ["car", "office_hours"]
