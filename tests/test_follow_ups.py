"""Call notes through the real server: the promises of a call become follow-ups
(due in the tenant's time zone), the facts become memories of the caller with
the call's id, and the next call's context lists what is still open.

The summariser is a scripted one (the `Summarizer` protocol): each test says
which commitments and facts a call yields, so that what is checked here is the
storage and the API, whatever the extraction engine finds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import urllib.request
import uuid
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import asyncpg
import grpc
import pytest
import pytest_asyncio
from google.protobuf import struct_pb2, timestamp_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from alice_server.domain.context import render_context
from alice_server.domain.follow_ups import MAX_PER_CALL, FollowUp, due_text, from_commitments
from alice_server.domain.summarizer import (
    Commitment,
)
from alice_server.testing import RunningServer, running_server
from chad_client import AliceClient, FailedPrecondition, NotFound, SyncAliceClient
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import (
    context_service_pb2_grpc,
    follow_up_service_pb2_grpc,
    memory_service_pb2_grpc,
    privacy_service_pb2_grpc,
    tenant_service_pb2_grpc,
)
from chad_client.v1 import follow_up_service_pb2 as fu
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import privacy_service_pb2 as priv
from chad_client.v1 import tenant_service_pb2 as ten
from tests.helpers import status_of, struct
from tests.support.follow_ups import ScriptedSummarizer, process_request
from tests.support.tenants import TenantHandle, create_customer

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture(scope="module")
def scripted() -> ScriptedSummarizer:
    return ScriptedSummarizer()


@pytest_asyncio.fixture(scope="module")
async def notes_server(database, secret, scripted) -> AsyncIterator[RunningServer]:  # type: ignore[no-untyped-def]
    async with running_server(
        database.app_url,
        secret,
        summarizer=scripted,
        rate_limit_per_second=0,
        customer_cache_seconds=0,
        metrics_address="127.0.0.1:0",
    ) as server:
        yield server


@pytest_asyncio.fixture(scope="module")
async def notes_channel(notes_server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(notes_server.address) as channel:
        yield channel


@pytest.fixture(scope="module")
def calls(notes_channel: grpc.aio.Channel) -> context_service_pb2_grpc.ContextServiceStub:
    return context_service_pb2_grpc.ContextServiceStub(notes_channel)


@pytest.fixture(scope="module")
def follow_ups(
    notes_channel: grpc.aio.Channel,
) -> follow_up_service_pb2_grpc.FollowUpServiceStub:
    return follow_up_service_pb2_grpc.FollowUpServiceStub(notes_channel)


@pytest.fixture(scope="module")
def store(notes_channel: grpc.aio.Channel) -> memory_service_pb2_grpc.MemoryServiceStub:
    return memory_service_pb2_grpc.MemoryServiceStub(notes_channel)


async def _set_time_zone(database, tenant: TenantHandle, zone: str) -> None:  # type: ignore[no-untyped-def]
    connection = await asyncpg.connect(database.owner_url)
    try:
        await connection.execute(
            "UPDATE customers SET time_zone = $2 WHERE id = $1", tenant.id, zone
        )
    finally:
        await connection.close()


def _ts(value: dt.datetime) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(value)
    return message


def _time(message: timestamp_pb2.Timestamp) -> dt.datetime:
    return message.ToDatetime(tzinfo=dt.UTC)


def _weekday_in(days: int, reference: dt.datetime) -> str:
    return f"{reference + dt.timedelta(days=days):%A}"


# --------------------------------------------------------------------------- ProcessCall


async def test_process_call_stores_the_promises_as_follow_ups_due_in_the_tenants_time_zone(
    database, calls, follow_ups, scripted, peterson, caller_phone
):
    await _set_time_zone(database, peterson, "America/Chicago")
    # Monday 2 March 2026, 21:30 in Chicago: already Tuesday 03:30 in UTC.
    started = dt.datetime(2026, 3, 3, 3, 30, tzinfo=dt.UTC)
    turns = scripted.turns(
        [
            Commitment("agent", "email the updated ID cards", "tomorrow"),
            Commitment("agent", "call back with a quote", "Thursday morning"),
            Commitment("caller", "send photos of the damage"),
            Commitment("agent", "   ", "by Friday"),  # no action: not a follow-up
            Commitment("agent", "escalate the claim to the claims manager", "by Friday"),
        ]
    )
    md = peterson.metadata()
    result = await calls.ProcessCall(
        process_request(caller_phone, "CA-due", turns, started), metadata=md
    )

    made = list(result.follow_ups)
    assert [(f.party, f.action, f.due_phrase) for f in made] == [
        (fu.FOLLOW_UP_PARTY_AGENT, "email the updated ID cards", "tomorrow"),
        (fu.FOLLOW_UP_PARTY_AGENT, "call back with a quote", "Thursday morning"),
        (fu.FOLLOW_UP_PARTY_CALLER, "send photos of the damage", ""),
        (fu.FOLLOW_UP_PARTY_AGENT, "escalate the claim to the claims manager", "by Friday"),
    ]
    chicago = [
        dt.datetime(2026, 3, 3, 17, tzinfo=CHICAGO),  # Tuesday, the end of the day
        dt.datetime(2026, 3, 5, 12, tzinfo=CHICAGO),  # Thursday noon
        None,
        dt.datetime(2026, 3, 6, 17, tzinfo=CHICAGO),  # Friday
    ]
    assert [_time(f.due_at) if f.HasField("due_at") else None for f in made] == chicago
    assert all(f.status == fu.FOLLOW_UP_STATUS_OPEN and f.call_id == "CA-due" for f in made)
    assert all(_time(f.promised_at) == started and not f.HasField("resolved_at") for f in made)
    assert all(f.user_id == caller_phone for f in made)

    listed = await follow_ups.ListFollowUps(
        fu.ListFollowUpsRequest(user_id=caller_phone), metadata=md
    )
    # Due first, undated last.
    assert [f.action for f in listed.follow_ups] == [
        "email the updated ID cards",
        "call back with a quote",
        "escalate the claim to the claims manager",
        "send photos of the damage",
    ]
    got = await follow_ups.GetFollowUp(fu.GetFollowUpRequest(id=made[1].id), metadata=md)
    assert got.follow_up == made[1]


async def test_a_retried_process_call_creates_no_follow_up_or_memory_twice(
    calls, follow_ups, store, scripted, peterson, caller_phone
):
    turns = scripted.turns(
        [Commitment("agent", "mail the renewal forms", "tomorrow")],
        facts=[("fact", "claim_number", "HC-44817")],
    )
    md = peterson.metadata()
    started = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    request = process_request(caller_phone, "CA-retry", turns, started)
    first, *concurrent = await asyncio.gather(
        *(calls.ProcessCall(request, metadata=md) for _ in range(3))
    )
    again = await calls.ProcessCall(request, metadata=md)

    assert [r.already_processed for r in (first, *concurrent)].count(False) == 1
    assert again.already_processed
    ids = {f.id for r in (first, *concurrent, again) for f in r.follow_ups}
    assert len(ids) == 1
    listed = await follow_ups.ListFollowUps(
        fu.ListFollowUpsRequest(user_id=caller_phone), metadata=md
    )
    assert [f.id for f in listed.follow_ups] == list(ids)
    facts = await store.ListMemories(mem.ListMemoriesRequest(user_id=caller_phone), metadata=md)
    assert [(m.key, m.call_id) for m in facts.memories] == [("claim_number", "CA-retry")]


async def test_facts_become_memories_with_their_call_and_a_contradiction_keeps_history(
    calls, store, scripted, peterson, caller_phone
):
    md = peterson.metadata()
    now = dt.datetime.now(dt.UTC)
    first = scripted.turns(
        facts=[
            ("fact", "address", "1180 Barton Springs Road, Austin"),
            ("fact", "claim_number", "HC-44817"),
        ]
    )
    await calls.ProcessCall(
        process_request(caller_phone, "CA-fact-1", first, now - dt.timedelta(days=2)), metadata=md
    )
    moved = scripted.turns(facts=[("fact", "address", "22 Elm Street, Dallas")])
    await calls.ProcessCall(
        process_request(caller_phone, "CA-fact-2", moved, now - dt.timedelta(hours=1)), metadata=md
    )

    listed = await store.ListMemories(mem.ListMemoriesRequest(user_id=caller_phone), metadata=md)
    by_key = {m.key: m for m in listed.memories}
    assert set(by_key) == {"address", "claim_number"}
    assert by_key["address"].value["value"] == "22 Elm Street, Dallas"
    assert by_key["address"].call_id == "CA-fact-2"
    assert by_key["address"].source == "process_call"
    assert by_key["claim_number"].call_id == "CA-fact-1"

    history = await store.GetMemoryHistory(
        mem.GetMemoryHistoryRequest(id=by_key["address"].id), metadata=md
    )
    assert [(e.change, e.previous_value["value"]) for e in history.entries] == [
        ("update", "1180 Barton Springs Road, Austin")
    ]
    # The call start shows the current value, with its call.
    context = await calls.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=md
    )
    shown = {m.key: m for m in context.memories}
    assert shown["address"].call_id == "CA-fact-2"
    assert "22 Elm Street, Dallas" in context.context
    assert "Barton Springs" not in context.context
    # A memory stored otherwise has no call.
    stored = await store.StoreMemory(
        mem.StoreMemoryRequest(
            user_id=caller_phone, type="fact", key="claim_number", value=struct(value="HC-5")
        ),
        metadata=md,
    )
    assert stored.memory.call_id == ""


async def test_a_tenant_that_turned_extraction_off_gets_follow_ups_but_no_memories(
    notes_channel, calls, follow_ups, store, scripted, smith, caller_phone
):
    tenants = tenant_service_pb2_grpc.TenantServiceStub(notes_channel)
    md = smith.metadata()
    updated = await tenants.UpdateSettings(
        ten.UpdateSettingsRequest(settings=ten.TenantSettings(extract_memories=False)),
        metadata=md,
    )
    assert updated.settings.HasField("extract_memories")
    assert updated.settings.extract_memories is False
    code, details = await status_of(
        tenants.UpdateSettings(
            ten.UpdateSettingsRequest(
                settings=ten.TenantSettings(
                    other={"extract_memories": struct_pb2.Value(bool_value=True)}
                )
            ),
            metadata=md,
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "typed setting" in details

    turns = scripted.turns(
        [Commitment("agent", "send the quote", "tomorrow")],
        facts=[("fact", "vehicle", "2019 Honda Civic")],
    )
    started = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    result = await calls.ProcessCall(
        process_request(caller_phone, "CA-off", turns, started), metadata=md
    )
    assert [f.action for f in result.follow_ups] == ["send the quote"]
    listed = await store.ListMemories(mem.ListMemoriesRequest(user_id=caller_phone), metadata=md)
    assert list(listed.memories) == []

    # Turned on again (the setting cleared: the default is on), facts are stored.
    await tenants.UpdateSettings(ten.UpdateSettingsRequest(clear=["extract_memories"]), metadata=md)
    settings = await tenants.GetSettings(ten.GetSettingsRequest(), metadata=md)
    assert not settings.settings.HasField("extract_memories")
    turns = scripted.turns(facts=[("fact", "vehicle", "2019 Honda Civic")])
    await calls.ProcessCall(process_request(caller_phone, "CA-on", turns, started), metadata=md)
    listed = await store.ListMemories(mem.ListMemoriesRequest(user_id=caller_phone), metadata=md)
    assert [(m.key, m.call_id) for m in listed.memories] == [("vehicle", "CA-on")]


# --------------------------------------------------------------------------- the next call


async def test_the_next_calls_context_lists_open_follow_ups_with_overdue_marked(
    database, calls, follow_ups, scripted, peterson, caller_phone
):
    await _set_time_zone(database, peterson, "America/Chicago")
    md = peterson.metadata()
    now = dt.datetime.now(dt.UTC)
    month_ago = now - dt.timedelta(days=30)
    await calls.ProcessCall(
        process_request(
            caller_phone,
            "CA-old",
            scripted.turns(
                [Commitment("agent", "escalate the claim to the claims manager", "by Friday")]
            ),
            month_ago,
        ),
        metadata=md,
    )
    recent = now - dt.timedelta(minutes=5)
    ahead = _weekday_in(3, recent.astimezone(CHICAGO))
    await calls.ProcessCall(
        process_request(
            caller_phone,
            "CA-recent",
            scripted.turns(
                [
                    Commitment("caller", "send the police report"),
                    Commitment("agent", "call back with a quote", f"on {ahead}"),
                ]
            ),
            recent,
        ),
        metadata=md,
    )

    context = await calls.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=md
    )
    shown = list(context.follow_ups)
    assert [(f.action, f.overdue) for f in shown] == [
        ("escalate the claim to the claims manager", True),
        ("call back with a quote", False),
        ("send the police report", False),  # undated: last, never overdue
    ]
    lines = context.context.splitlines()
    start = lines.index("Open follow-ups (promises not yet kept, due first):")
    old_due = due_text(_time(shown[0].due_at), CHICAGO)
    new_due = due_text(_time(shown[1].due_at), CHICAGO)
    assert lines[start + 1 : start + 4] == [
        "- OVERDUE: We (the agent) promised to escalate the claim to the claims manager; "
        f'due {old_due} ("by Friday"); promised on {month_ago.astimezone(CHICAGO):%Y-%m-%d}.',
        f'- We (the agent) promised to call back with a quote; due {new_due} ("on {ahead}"); '
        f"promised on {recent.astimezone(CHICAGO):%Y-%m-%d}.",
        "- The caller promised to send the police report; no due date; "
        f"promised on {recent.astimezone(CHICAGO):%Y-%m-%d}.",
    ]
    assert old_due.endswith(("CST", "CDT"))  # shown in the tenant's zone

    # num_follow_ups bounds them; 0 leaves them out (text included); out of range is refused.
    one = await calls.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone, num_follow_ups=1), metadata=md
    )
    assert [f.action for f in one.follow_ups] == ["escalate the claim to the claims manager"]
    none = await calls.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone, num_follow_ups=0), metadata=md
    )
    assert list(none.follow_ups) == [] and "Open follow-ups" not in none.context
    code, details = await status_of(
        calls.GetEnrichedContext(
            ctx.GetEnrichedContextRequest(user_id=caller_phone, num_follow_ups=51), metadata=md
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "num_follow_ups" in details

    # With a query (the ranked call start) the follow-ups are there too.
    queried = await calls.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone, query="quote"), metadata=md
    )
    assert [f.id for f in queried.follow_ups] == [f.id for f in shown]

    # Kept promises leave the context.
    await follow_ups.CompleteFollowUp(fu.CompleteFollowUpRequest(id=shown[0].id), metadata=md)
    await follow_ups.CancelFollowUp(fu.CancelFollowUpRequest(id=shown[2].id), metadata=md)
    later = await calls.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=caller_phone), metadata=md
    )
    assert [f.action for f in later.follow_ups] == ["call back with a quote"]
    assert "OVERDUE" not in later.context and "claims manager" not in later.context


# --------------------------------------------------------------------------- FollowUpService


async def test_complete_and_cancel_are_idempotent_and_final(
    calls, follow_ups, scripted, peterson, caller_phone
):
    md = peterson.metadata()
    turns = scripted.turns(
        [Commitment("agent", "send the quote", "tomorrow"), Commitment("caller", "sign the form")]
    )
    result = await calls.ProcessCall(
        process_request(caller_phone, "CA-close", turns, dt.datetime.now(dt.UTC)), metadata=md
    )
    quote, form = result.follow_ups

    done = await follow_ups.CompleteFollowUp(fu.CompleteFollowUpRequest(id=quote.id), metadata=md)
    assert done.changed and done.follow_up.status == fu.FOLLOW_UP_STATUS_DONE
    assert done.follow_up.HasField("resolved_at") and not done.follow_up.overdue
    again = await follow_ups.CompleteFollowUp(fu.CompleteFollowUpRequest(id=quote.id), metadata=md)
    assert not again.changed and again.follow_up == done.follow_up
    code, details = await status_of(
        follow_ups.CancelFollowUp(fu.CancelFollowUpRequest(id=quote.id), metadata=md)
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "already done" in details

    cancelled = await follow_ups.CancelFollowUp(fu.CancelFollowUpRequest(id=form.id), metadata=md)
    assert cancelled.changed and cancelled.follow_up.status == fu.FOLLOW_UP_STATUS_CANCELLED
    code, _ = await status_of(
        follow_ups.CompleteFollowUp(fu.CompleteFollowUpRequest(id=form.id), metadata=md)
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION

    async def listed(status: int) -> list[str]:
        page = await follow_ups.ListFollowUps(
            fu.ListFollowUpsRequest(user_id=caller_phone, status=status), metadata=md
        )
        return [f.id for f in page.follow_ups]

    assert await listed(fu.FOLLOW_UP_STATUS_UNSPECIFIED) == []  # open by default
    assert await listed(fu.FOLLOW_UP_STATUS_DONE) == [quote.id]
    assert await listed(fu.FOLLOW_UP_STATUS_CANCELLED) == [form.id]
    # A retried ProcessCall returns the follow-ups as they stand now.
    retried = await calls.ProcessCall(
        process_request(caller_phone, "CA-close", turns, dt.datetime.now(dt.UTC)), metadata=md
    )
    assert [f.status for f in retried.follow_ups] == [
        fu.FOLLOW_UP_STATUS_DONE,
        fu.FOLLOW_UP_STATUS_CANCELLED,
    ]


async def test_list_follow_ups_pages_due_first_per_caller_and_per_tenant(
    calls, follow_ups, scripted, caller_phone, database, secret
):
    tenant = TenantHandle(await create_customer(database.owner_url, "Paging Plumbing"), "P", secret)
    md = tenant.metadata()
    other = caller_phone[:-1] + ("0" if caller_phone[-1] != "0" else "1")
    now = dt.datetime.now(dt.UTC)
    phrases = ["tomorrow", "", "on Monday", "", "Thursday morning", "tonight", ""]
    turns = scripted.turns([Commitment("agent", f"task {i}", p) for i, p in enumerate(phrases)])
    await calls.ProcessCall(process_request(caller_phone, "CA-page-1", turns, now), metadata=md)
    turns = scripted.turns([Commitment("caller", "other caller's task", "tomorrow")])
    await calls.ProcessCall(process_request(other, "CA-page-2", turns, now), metadata=md)

    async def every(user_id: str, size: int) -> list[fu.FollowUp]:
        found: list[fu.FollowUp] = []
        token = ""
        while True:
            page = await follow_ups.ListFollowUps(
                fu.ListFollowUpsRequest(user_id=user_id, page_size=size, page_token=token),
                metadata=md,
            )
            assert len(page.follow_ups) <= size
            found.extend(page.follow_ups)
            token = page.next_page_token
            if not token:
                return found

    mine = await every(caller_phone, 3)
    assert len(mine) == 7 and len({f.id for f in mine}) == 7
    dated = [_time(f.due_at) for f in mine if f.HasField("due_at")]
    assert len(dated) == 4 and dated == sorted(dated)
    assert [f.HasField("due_at") for f in mine] == [True] * 4 + [False] * 3
    # Undated ones in the order they were promised.
    assert [f.action for f in mine[4:]] == ["task 1", "task 3", "task 6"]

    everyone = await every("", 2)
    assert {f.user_id for f in everyone} == {caller_phone, other}
    assert len(everyone) == 8

    code, _ = await status_of(
        follow_ups.ListFollowUps(fu.ListFollowUpsRequest(page_size=-1), metadata=md)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    first = await follow_ups.ListFollowUps(
        fu.ListFollowUpsRequest(user_id=caller_phone, page_size=2), metadata=md
    )
    code, details = await status_of(  # a token is for one caller and status
        follow_ups.ListFollowUps(
            fu.ListFollowUpsRequest(user_id=other, page_token=first.next_page_token), metadata=md
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in details
    code, _ = await status_of(
        follow_ups.ListFollowUps(fu.ListFollowUpsRequest(status=9), metadata=md)  # type: ignore[arg-type]
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT


async def test_another_tenants_follow_up_is_not_found_and_never_listed(
    calls, follow_ups, scripted, peterson, smith
):
    shared_caller = "+15552222222"
    started = dt.datetime.now(dt.UTC)
    mine = await calls.ProcessCall(
        process_request(
            shared_caller,
            f"CA-iso-{uuid.uuid4().hex[:6]}",
            scripted.turns([Commitment("agent", "Peterson's promise", "tomorrow")]),
            started,
        ),
        metadata=peterson.metadata(),
    )
    theirs = await calls.ProcessCall(
        process_request(
            shared_caller,
            f"CA-iso-{uuid.uuid4().hex[:6]}",
            scripted.turns([Commitment("agent", "Smith's promise", "tomorrow")]),
            started,
        ),
        metadata=smith.metadata(),
    )
    smiths = theirs.follow_ups[0].id
    md = peterson.metadata()
    for call in (
        follow_ups.GetFollowUp(fu.GetFollowUpRequest(id=smiths), metadata=md),
        follow_ups.CompleteFollowUp(fu.CompleteFollowUpRequest(id=smiths), metadata=md),
        follow_ups.CancelFollowUp(fu.CancelFollowUpRequest(id=smiths), metadata=md),
    ):
        code, details = await status_of(call)
        assert code == grpc.StatusCode.NOT_FOUND and "does not exist" in details
    for user_id in (shared_caller, ""):
        listed = await follow_ups.ListFollowUps(
            fu.ListFollowUpsRequest(user_id=user_id, page_size=500), metadata=md
        )
        actions = {f.action for f in listed.follow_ups}
        assert "Peterson's promise" in actions and "Smith's promise" not in actions
    context = await calls.GetEnrichedContext(
        ctx.GetEnrichedContextRequest(user_id=shared_caller), metadata=md
    )
    assert [f.id for f in context.follow_ups] == [mine.follow_ups[0].id]
    assert "Smith" not in context.context
    # Smith's is untouched, and a malformed id is refused as such.
    still = await follow_ups.GetFollowUp(
        fu.GetFollowUpRequest(id=smiths), metadata=smith.metadata()
    )
    assert still.follow_up.status == fu.FOLLOW_UP_STATUS_OPEN
    code, _ = await status_of(
        follow_ups.GetFollowUp(fu.GetFollowUpRequest(id="not-a-uuid"), metadata=md)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT


async def test_reads_need_memory_read_and_closing_needs_memory_write(follow_ups, peterson):
    missing = str(uuid.uuid4())
    code, _ = await status_of(
        follow_ups.CompleteFollowUp(
            fu.CompleteFollowUpRequest(id=missing), metadata=peterson.metadata(scope="memory:read")
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, _ = await status_of(
        follow_ups.ListFollowUps(
            fu.ListFollowUpsRequest(), metadata=peterson.metadata(scope="memory:write")
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, _ = await status_of(
        follow_ups.GetFollowUp(
            fu.GetFollowUpRequest(id=missing), metadata=peterson.metadata(scope="memory:read")
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND


# --------------------------------------------------------------------------- privacy, metrics


async def test_export_and_erasure_of_a_caller_cover_follow_ups_and_extracted_memories(
    notes_channel, calls, follow_ups, scripted, peterson, caller_phone
):
    md = peterson.metadata()
    turns = scripted.turns(
        [Commitment("agent", "send the quote", "tomorrow")],
        facts=[("fact", "claim_number", "HC-44817")],
    )
    await calls.ProcessCall(
        process_request(caller_phone, "CA-gdpr", turns, dt.datetime.now(dt.UTC)), metadata=md
    )
    privacy = privacy_service_pb2_grpc.PrivacyServiceStub(notes_channel)
    admin = peterson.metadata(scope="privacy:admin")
    rows = [
        r.record
        async for r in privacy.ExportUserData(
            priv.ExportUserDataRequest(user_id=caller_phone), metadata=admin
        )
    ]
    exported = [r.row for r in rows if r.table == "follow_ups"]
    assert [(r["action"], r["call_id"], r["status"]) for r in exported] == [
        ("send the quote", "CA-gdpr", "open")
    ]
    assert [r.row["call_id"] for r in rows if r.table == "memories"] == ["CA-gdpr"]

    erased = await privacy.DeleteUserData(
        priv.DeleteUserDataRequest(user_id=caller_phone), metadata=admin
    )
    counts = {c.table: c.rows for c in erased.counts}
    assert counts["follow_ups"] == 1 and counts["memories"] == 1
    listed = await follow_ups.ListFollowUps(
        fu.ListFollowUpsRequest(user_id=caller_phone), metadata=md
    )
    assert list(listed.follow_ups) == []


async def test_the_overdue_gauge_counts_each_tenants_open_follow_ups_past_due(
    notes_server, calls, follow_ups, scripted, database, secret, caller_phone
):
    late = TenantHandle(await create_customer(database.owner_url, "Late Dental"), "L", secret)
    on_time = TenantHandle(await create_customer(database.owner_url, "On Time Salon"), "O", secret)
    month_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    turns = scripted.turns(
        [
            Commitment("agent", "send the X-rays", "tomorrow"),
            Commitment("agent", "confirm the appointment", "by Friday"),
            Commitment("agent", "no deadline"),
            Commitment("agent", "refund the deposit", "tomorrow"),
        ]
    )
    result = await calls.ProcessCall(
        process_request(caller_phone, "CA-late", turns, month_ago), metadata=late.metadata()
    )
    await follow_ups.CompleteFollowUp(  # done: no longer overdue
        fu.CompleteFollowUpRequest(id=result.follow_ups[3].id), metadata=late.metadata()
    )
    counts = await notes_server.server.overdue.run_once()
    assert counts[late.id] == 2 and counts[on_time.id] == 0

    endpoint = notes_server.server.metrics_endpoint
    assert endpoint is not None
    exposition = await asyncio.to_thread(_get, f"http://127.0.0.1:{endpoint.port}/metrics")
    assert f'alice_follow_ups_overdue{{customer_id="{late.id}"}} 2.0' in exposition
    assert f'alice_follow_ups_overdue{{customer_id="{on_time.id}"}} 0.0' in exposition


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 - a local test URL
        return str(reply.read().decode())


# --------------------------------------------------------------------------- chad_client


async def test_the_client_sees_follow_ups_at_call_start_and_closes_them(
    notes_server, calls, scripted, secret, peterson, caller_phone
):
    md = peterson.metadata()
    turns = scripted.turns(
        [Commitment("agent", "send the quote", "tomorrow"), Commitment("caller", "sign")]
    )
    await calls.ProcessCall(
        process_request(caller_phone, "CA-client", turns, dt.datetime.now(dt.UTC)), metadata=md
    )
    async with AliceClient(notes_server.address, secret=secret) as alice:
        tenant = alice.for_customer(peterson.id)
        start = await tenant.start_call(caller_phone)
        assert not start.degraded
        assert [(f.party, f.action) for f in start.follow_ups] == [
            ("agent", "send the quote"),
            ("caller", "sign"),
        ]
        assert start.follow_ups[0].due_at is not None and start.follow_ups[1].due_at is None
        assert "Open follow-ups" in start.context.text
        done = await tenant.complete_follow_up(start.follow_ups[0].id)
        assert done.status == "done" and done.resolved_at is not None
        page = await tenant.list_follow_ups(caller_phone, status="done")
        assert [f.id for f in page.items] == [done.id]
        with pytest.raises(FailedPrecondition):
            await tenant.cancel_follow_up(done.id)
        with pytest.raises(NotFound):
            await tenant.get_follow_up(str(uuid.uuid4()))
        with pytest.raises(ValueError, match="status must be"):
            await tenant.list_follow_ups(status="late")  # type: ignore[arg-type]

    def blocking() -> list[str]:
        client = SyncAliceClient(notes_server.address, secret=secret)
        try:
            sync_tenant = client.for_customer(peterson.id)
            cancelled = sync_tenant.cancel_follow_up(start.follow_ups[1].id)
            assert cancelled.status == "cancelled"
            return [f.action for f in sync_tenant.iter_follow_ups(caller_phone, status="open")]
        finally:
            client.close()

    assert await asyncio.to_thread(blocking) == []


# --------------------------------------------------------------------------- pure rules


def test_commitments_are_resolved_in_the_tenants_zone_and_bounded():
    started = dt.datetime(2026, 3, 3, 3, 30, tzinfo=dt.UTC)  # Monday 21:30 in Chicago
    commitments = [
        Commitment("agent", "  call   back\nwith a quote ", "tomorrow"),
        Commitment("caller", ""),
        Commitment("agent", "x" * 2000, "Thursday morning"),
        Commitment("agent", "unknown deadline", "as soon as the adjuster replies"),
    ]
    made = from_commitments(
        commitments, user_id="+1", call_id="c", call_started_at=started, time_zone="America/Chicago"
    )
    assert [f.ordinal for f in made] == [0, 1, 2]
    assert made[0].action == "call back with a quote"
    assert made[0].due_at == dt.datetime(2026, 3, 3, 17, tzinfo=CHICAGO)
    assert len(made[1].action) == 500 and made[1].action.endswith("…")
    assert made[2].due_at is None and made[2].due_phrase == "as soon as the adjuster replies"
    in_utc = from_commitments(
        commitments[:1], user_id="+1", call_id="c", call_started_at=started, time_zone=""
    )
    assert in_utc[0].due_at == dt.datetime(2026, 3, 4, 17, tzinfo=dt.UTC)
    many = [Commitment("agent", f"task {i}") for i in range(MAX_PER_CALL + 5)]
    assert (
        len(
            from_commitments(
                many, user_id="+1", call_id="c", call_started_at=started, time_zone="UTC"
            )
        )
        == MAX_PER_CALL
    )


async def test_the_follow_up_service_reports_its_health(notes_channel):
    health = health_pb2_grpc.HealthStub(notes_channel)
    reply = await health.Check(
        health_pb2.HealthCheckRequest(service="alice.memory.v1.FollowUpService")
    )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_the_context_text_says_a_deadline_alice_could_not_resolve_as_it_was_said():
    started = dt.datetime(2026, 3, 3, 3, 30, tzinfo=dt.UTC)
    (made,) = from_commitments(
        [Commitment("agent", "send the closing papers", "before the closing\non June 14th")],
        user_id="+1",
        call_id="c",
        call_started_at=started,
        time_zone="America/Chicago",
    )
    follow_up = FollowUp(
        id=uuid.uuid4(),
        user_id=made.user_id,
        call_id=made.call_id,
        ordinal=made.ordinal,
        party=made.party,
        action=made.action,
        due_phrase=made.due_phrase,
        due_at=None,  # as if not understood
        promised_at=made.promised_at,
        status="open",
        created_at=started,
        updated_at=started,
        resolved_at=None,
    )
    text = render_context(
        "+1", False, None, None, [], [], [follow_up], time_zone="America/Chicago", now=started
    )
    assert text.splitlines()[-1] == (
        '- We (the agent) promised to send the closing papers; due "before the closing on '
        'June 14th"; promised on 2026-03-02.'
    )
