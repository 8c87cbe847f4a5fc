"""A read replica (ALICE_READ_DATABASE_URL) with read-your-writes, on a real standby.

tests/support/standby.py starts a private PostgreSQL 15 primary and a hot standby
of it (`pg_basebackup -R`) that applies every commit 300 ms late
(`recovery_min_apply_delay`): a read that went to the standby right after a write
would miss it. The server routes each read by the standby's replay position
against the client's newest write (`x-alice-lsn`), so through chad_client:

* a stored memory is in the very next call start, every time;
* reads go to the standby once it has caught up (alice_standby_reads_total);
* stopping the standby under load costs no call (reads move to the primary,
  alice_read_fallbacks_total{reason="unavailable"}) and reads return to it once
  it is back.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest_asyncio

from alice_server import metrics
from alice_server.testing import RunningServer, TestDatabase, running_server, temporary_database
from chad_client import AliceClient
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import memory_service_pb2_grpc
from tests.helpers import status_of, struct
from tests.support.pgbouncer import through
from tests.support.standby import Pair, primary_and_standby
from tests.support.tenants import TenantHandle, create_customer

APPLY_DELAY_MS = 300


@dataclass
class Replicated:
    pair: Pair
    database: TestDatabase  # on the primary
    standby_app_url: str  # the service role, on the standby


@pytest_asyncio.fixture(scope="module")
async def replicated() -> AsyncIterator[Replicated]:
    with primary_and_standby(apply_delay_ms=APPLY_DELAY_MS) as pair:
        async with temporary_database(pair.primary_url) as database:
            await asyncio.to_thread(pair.wait_for_replay)
            yield Replicated(pair, database, through(database.app_url, pair.standby_port))


@pytest_asyncio.fixture(scope="module")
async def alice_with_standby(replicated: Replicated, secret: str) -> AsyncIterator[RunningServer]:
    async with running_server(
        replicated.database.app_url,
        secret,
        read_database_url=replicated.standby_app_url,
        rate_limit_per_second=0,
        customer_cache_seconds=60,
    ) as server:
        yield server


@pytest_asyncio.fixture
async def tenant(replicated: Replicated, secret: str) -> TenantHandle:
    name = f"Replica Insurance {secrets.token_hex(3)}"
    return TenantHandle(await create_customer(replicated.database.owner_url, name), name, secret)


def _caller() -> str:
    return f"+1555{secrets.randbelow(10**7):07d}"


def _fallbacks(reason: str) -> float:
    return metrics.READ_FALLBACKS.labels(reason)._value.get()


def _standby_reads() -> float:
    return metrics.STANDBY_READS._value.get()


async def _caught_up(replicated: Replicated) -> None:
    """The standby has replayed everything, and the server has seen it (refresh)."""
    await asyncio.to_thread(replicated.pair.wait_for_replay)
    await asyncio.sleep(0.3)


async def test_a_stored_memory_is_in_the_next_call_start(alice_with_standby, tenant, secret):
    client = AliceClient(alice_with_standby.address, secret=secret)
    try:
        calls = client.for_customer(tenant.id)
        caller = _caller()
        missing = []
        for i in range(200):
            await calls.store_memory(caller, "fact", f"k{i}", {"n": i})
            context = await calls.get_enriched_context(caller)
            if f"k{i}" not in {m.key for m in context.memories}:
                missing.append(i)
        assert missing == []
        # The writes' positions came back and are what the client sends now.
        assert client.read_your_writes.newest(tenant.id) is not None
    finally:
        await client.close()


async def test_reads_go_to_the_standby_once_it_has_caught_up(
    alice_with_standby, replicated, tenant, secret
):
    client = AliceClient(alice_with_standby.address, secret=secret)
    try:
        calls = client.for_customer(tenant.id)
        caller = _caller()
        await calls.store_memory(caller, "fact", "plan", {"kind": "auto insurance"})
        await _caught_up(replicated)
        before, lagging = _standby_reads(), _fallbacks("lag")
        for _ in range(20):
            context = await calls.get_enriched_context(caller)
            assert "plan" in {m.key for m in context.memories}
            hits = await calls.search_memories(caller, "insurance")
            assert hits
        assert _standby_reads() - before == 40
        assert _fallbacks("lag") == lagging
    finally:
        await client.close()


async def test_a_write_names_its_commit_position_and_a_bad_position_is_refused(
    alice_with_standby, tenant
):
    async with grpc.aio.insecure_channel(alice_with_standby.address) as channel:
        stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
        call = stub.StoreMemory(
            mem.StoreMemoryRequest(user_id=_caller(), type="fact", key="k", value=struct(v=1)),
            metadata=tenant.metadata(),
        )
        await call
        trailers = dict(await call.trailing_metadata())
        assert "/" in trailers["x-alice-lsn"]
        # A read names no position (it committed nothing), wherever it ran.
        for _ in range(5):
            read = stub.ListMemories(
                mem.ListMemoriesRequest(user_id=_caller()), metadata=tenant.metadata()
            )
            await read
            assert "x-alice-lsn" not in dict(await read.trailing_metadata())
        code, details = await status_of(
            stub.ListMemories(
                mem.ListMemoriesRequest(user_id=_caller()),
                metadata=(*tenant.metadata(), ("x-alice-lsn", "yesterday")),
            )
        )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "x-alice-lsn" in details


async def test_stopping_the_standby_under_load_costs_no_call(
    alice_with_standby, replicated, tenant, secret
):
    """Call starts, lists and searches of callers whose memories the standby has
    (so that they read from it) while the standby stops: every call answers."""
    client = AliceClient(alice_with_standby.address, secret=secret)
    pair = replicated.pair
    failures: list[BaseException] = []
    done = 0
    callers = [_caller() for _ in range(6)]

    async def reader(caller: str, stop: asyncio.Event) -> None:
        nonlocal done
        calls = client.for_customer(tenant.id)
        while not stop.is_set():
            try:
                context = await calls.get_enriched_context(caller)
                assert "policy" in {m.key for m in context.memories}
                await calls.list_memories(caller)
                await calls.search_memories(caller, "policy")
                done += 1
            except BaseException as exc:  # noqa: BLE001 - every failure is counted
                failures.append(exc)

    try:
        for caller in callers:
            await client.for_customer(tenant.id).store_memory(
                caller, "fact", "policy", {"kind": "home insurance"}
            )
        await _caught_up(replicated)
        unavailable, standby_reads = _fallbacks("unavailable"), _standby_reads()
        stop = asyncio.Event()
        readers = [asyncio.create_task(reader(caller, stop)) for caller in callers]
        await asyncio.sleep(1.0)
        served_by_standby = _standby_reads() - standby_reads
        await asyncio.to_thread(pair.stop_standby)
        await asyncio.sleep(1.5)
        stop.set()
        await asyncio.gather(*readers)
        assert failures == []
        assert served_by_standby > 0 and done > 0
        assert _fallbacks("unavailable") > unavailable

        # Back: reads return to the standby once it has caught up again.
        await asyncio.to_thread(pair.start_standby)
        await _caught_up(replicated)
        await asyncio.sleep(0.5)
        before = _standby_reads()
        await client.for_customer(tenant.id).get_enriched_context(callers[0])
        assert _standby_reads() == before + 1
    finally:
        await client.close()
        if not pair.standby_running():
            await asyncio.to_thread(pair.start_standby)
