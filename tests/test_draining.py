"""Draining: calls that reach a stopping server and have not started are refused
with UNAVAILABLE (SERVER_DRAINING: nothing was done, retry), never CANCELLED;
the calls already running finish within the grace period."""

from __future__ import annotations

import asyncio
import collections

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from alice_server.testing import running_server
from chad_client import AliceClient, NotFound, RetryPolicy
from chad_client.rpcs import RPCS
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import memory_service_pb2_grpc
from tests.helpers import struct
from tests.support.client import Recorder

CALLS = 300


async def test_calls_arriving_during_shutdown_are_unavailable_not_cancelled(
    database, secret, peterson
):
    codes: collections.Counter[str] = collections.Counter()
    async with (
        running_server(
            database.app_url, secret, rate_limit_per_second=0, customer_cache_seconds=0
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
        md = peterson.metadata()
        await stub.StoreMemory(
            mem.StoreMemoryRequest(user_id="+15550000001", type="fact", key="w", value=struct(v=0)),
            metadata=md,
        )

        async def store(i: int) -> None:
            try:
                await stub.StoreMemory(
                    mem.StoreMemoryRequest(
                        user_id=f"+1555{i:07d}", type="fact", key="k", value=struct(v=i)
                    ),
                    metadata=md,
                    timeout=30,
                )
                codes["OK"] += 1
            except grpc.aio.AioRpcError as exc:
                codes[exc.code().name] += 1

        calls = [asyncio.ensure_future(store(i)) for i in range(CALLS)]
        await asyncio.sleep(0.05)
        await server.server.stop(5)
        await asyncio.gather(*calls)
    print(dict(codes))  # main: {'CANCELLED': 298, 'OK': 2}
    assert codes.keys() <= {"OK", "UNAVAILABLE"}, codes


async def test_the_client_retries_a_refusal_of_a_draining_server_for_any_rpc(
    database, secret, peterson
):
    """SERVER_DRAINING means the call never started: chad_client retries it even
    for DeleteMemory, which it never repeats on a plain UNAVAILABLE."""
    recorder = Recorder()
    retry = RetryPolicy(max_attempts=10, initial_backoff=0.05, max_backoff=0.1)
    async with (
        running_server(
            database.app_url, secret, rate_limit_per_second=0, customer_cache_seconds=0
        ) as server,
        AliceClient(server.address, secret=secret, interceptors=[recorder], retry=retry) as client,
    ):
        tenant = client.for_customer(peterson.id)
        server.server.drain.draining = True  # as AliceServer.stop does first
        asyncio.get_running_loop().call_later(0.3, setattr, server.server.drain, "draining", False)
        with pytest.raises(NotFound):
            await tenant.delete_memory("00000000-0000-4000-8000-000000000000", timeout=10)
    assert recorder.attempts[0] == "DeleteMemory" and len(recorder.attempts) >= 2


def test_the_retry_table_follows_the_idempotency_level():
    for rpc in RPCS.values():
        safe = rpc.retry_on == ("UNAVAILABLE", "CANCELLED", "ABORTED")
        assert safe or rpc.retry_on == (), rpc
    assert RPCS["GetMemory"].retry_on and RPCS["StoreMemory"].retry_on
    assert RPCS["ProcessCall"].retry_on and not RPCS["DeleteMemory"].retry_on
    assert not RPCS["CreateCustomer"].retry_on and not RPCS["ExportUserData"].retry_on
    cancelled = _error(grpc.StatusCode.CANCELLED)
    assert RPCS["GetMemory"].retries(cancelled) and not RPCS["DeleteMemory"].retries(cancelled)
    draining = _error(grpc.StatusCode.UNAVAILABLE, "SERVER_DRAINING")
    assert RPCS["DeleteMemory"].retries(draining)
    assert not RPCS["DeleteMemory"].retries(_error(grpc.StatusCode.UNAVAILABLE))
    assert not RPCS["ExportUserData"].retries(draining)


def _error(code: grpc.StatusCode, reason: str | None = None) -> grpc.aio.AioRpcError:
    trailing = grpc.aio.Metadata()
    if reason is not None:
        status = status_pb2.Status(code=code.value[0], message="x")
        status.details.add().Pack(
            error_details_pb2.ErrorInfo(reason=reason, domain="alice.memory.v1")
        )
        trailing = grpc.aio.Metadata(("grpc-status-details-bin", status.SerializeToString()))
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailing, "x")


BURST = 1500


async def test_a_burst_of_simultaneous_calls_is_never_cancelled(database, secret, peterson):
    """gRPC cancels calls past its pending-request limit (default 1,000; then
    CANCELLED with no access-log line): ALICE_MAX_PENDING_RPCS raises it. On
    main, 51 of 1,500 simultaneous calls over four connections were CANCELLED."""
    codes: collections.Counter[str] = collections.Counter()
    async with running_server(
        database.app_url, secret, rate_limit_per_second=0, customer_cache_seconds=0
    ) as server:
        channels = [
            grpc.aio.insecure_channel(
                server.address, options=[("grpc.use_local_subchannel_pool", 1)]
            )
            for _ in range(4)
        ]
        stubs = [memory_service_pb2_grpc.MemoryServiceStub(c) for c in channels]
        md = peterson.metadata()
        request = mem.GetMemoryRequest(id="00000000-0000-4000-8000-000000000000")
        for channel in channels:
            await channel.channel_ready()

        async def get(i: int) -> None:
            try:
                await stubs[i % 4].GetMemory(request, metadata=md, timeout=120)
                codes["OK"] += 1
            except grpc.aio.AioRpcError as exc:
                codes[exc.code().name] += 1
                if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:  # the tenant's share
                    assert "TENANT_DATABASE_SHARE_IN_USE" in str(exc.trailing_metadata())

        try:
            await asyncio.gather(*(get(i) for i in range(BURST)))
        finally:
            for channel in channels:
                await channel.close()
    print(dict(codes))  # main: {'CANCELLED': 51, 'NOT_FOUND': 1380, 'RESOURCE_EXHAUSTED': 69}
    assert codes.keys() <= {"NOT_FOUND", "UNAVAILABLE", "RESOURCE_EXHAUSTED"}, codes
