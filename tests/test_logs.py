"""Structured logs of a real server: every line of an RPC names its customer,
method and request id; one access line per RPC; exceptions never carry data
into the log; repeated failures are bounded."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from collections.abc import Callable, Sequence

import grpc
import pytest

from alice_server import logs
from alice_server.domain.summarizer import CallAnalysis, PersonalityScores, TranscriptTurn
from alice_server.testing import running_server
from chad_client import AliceClient
from chad_client import errors as client_errors
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests.helpers import struct
from tests.support.logs import captured, json_lines, written
from tests.support.processes import clean_env, server_process


class LeakySummarizer:
    """Returns a summary PostgreSQL refuses (a NUL character): the INSERT fails
    inside the driver, whose exception holds the statement's parameters."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    async def analyze(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        return CallAnalysis(
            f"{self.marker}\x00", "neutral", (self.marker,), PersonalityScores.neutral(), None
        )


async def test_every_line_of_an_rpc_carries_customer_method_and_request_id(
    database, secret, peterson
):
    marker = "zebra-quartz-secret-7731"
    phone = "+15559876543"
    async with (
        running_server(
            database.app_url, secret, summarizer=LeakySummarizer(marker), rate_limit_per_second=0
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        request = ctx.ProcessCallRequest(
            user_id="(555) 987-6543",
            call_id="CA-leak",
            turns=[res.Turn(role=res.ROLE_CALLER, content=f"my secret is {marker}")],
        )
        with captured() as stream:
            call = contexts.ProcessCall(
                request, metadata=(*peterson.metadata(), ("x-request-id", "req-leak-42"))
            )
            with pytest.raises(grpc.aio.AioRpcError) as failure:
                await call
            returned = dict(await call.initial_metadata())
            await written(stream, "ProcessCall INTERNAL")
    assert failure.value.code() == grpc.StatusCode.INTERNAL
    assert "reference" in (failure.value.details() or "")
    assert marker not in (failure.value.details() or "")
    assert returned["x-request-id"] == "req-leak-42"

    text = stream.getvalue()
    # The driver's exception text holds the phone number and the summary; neither is logged.
    for secret_text in (marker, phone, phone[1:], "5559876543", "987-6543"):
        assert secret_text not in text, f"{secret_text!r} leaked into the log:\n{text}"
    lines = json_lines(stream)
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) >= 2  # the exception's line and the access line
    for line in lines:
        assert line["customer_id"] == peterson.id
        assert line["method"] == "/alice.memory.v1.ContextService/ProcessCall"
        assert line["request_id"] == "req-leak-42"
    exception_line = next(line for line in errors if "unexpected error" in str(line["message"]))
    reference = str(failure.value.details()).split("reference ")[1].rstrip(")")
    assert reference in str(exception_line["message"])
    assert "asyncpg" in str(exception_line["message"])  # what failed is still there
    access = [line for line in lines if "code" in line]
    assert len(access) == 1
    assert access[0]["code"] == "INTERNAL"
    assert isinstance(access[0]["duration_ms"], float)


async def test_request_id_is_generated_when_absent_and_one_access_line_per_rpc(
    database, secret, peterson, caller_phone
):
    async with (
        running_server(
            database.app_url, secret, rate_limit_per_second=0, access_log_level="INFO"
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        with captured("text") as stream:
            call = memories.StoreMemory(
                mem.StoreMemoryRequest(
                    user_id=caller_phone, type="fact", key="k", value=struct(value="v")
                ),
                metadata=peterson.metadata(),
            )
            await call
            generated = dict(await call.initial_metadata())["x-request-id"]
            bad = memories.GetMemory(
                mem.GetMemoryRequest(id="not-a-uuid"), metadata=peterson.metadata()
            )
            with pytest.raises(grpc.aio.AioRpcError):
                await bad
            bad_id = dict(await bad.initial_metadata())["x-request-id"]
    assert len(generated) == 32 and generated != bad_id
    lines = stream.getvalue().splitlines()
    store = [line for line in lines if "StoreMemory OK" in line]
    assert len(store) == 1
    assert " INFO " in store[0]  # ALICE_ACCESS_LOG_LEVEL=INFO
    assert f"customer={peterson.id}" in store[0]
    assert f"request_id={generated}" in store[0]
    assert "method=/alice.memory.v1.MemoryService/StoreMemory" in store[0]
    failed = [line for line in lines if "GetMemory INVALID_ARGUMENT" in line]
    assert len(failed) == 1 and f"request_id={bad_id}" in failed[0]


async def test_successful_calls_are_logged_at_debug_by_default(alice, memories, peterson):
    with captured() as stream:
        await memories.ListMemories(
            mem.ListMemoriesRequest(user_id="+15550000001"), metadata=peterson.metadata()
        )
        await written(stream, "ListMemories OK")
    access = [line for line in json_lines(stream) if line.get("code") == "OK"]
    assert [line["level"] for line in access] == ["DEBUG"]


async def test_chad_client_sends_a_request_id_and_exposes_it_on_errors(alice, peterson):
    with captured() as stream:
        async with AliceClient(alice.address, secret=peterson.secret) as client:
            with pytest.raises(client_errors.NotFound) as failure:
                await client.for_customer(peterson.id).get_memory(
                    "00000000-0000-4000-8000-000000000000"
                )
        request_id = failure.value.request_id
        # The access line is written as the call's task ends, just after the client
        # has the status (it was missing once in CI).
        await written(stream, f'"request_id": "{request_id}"', seconds=10)
    assert request_id and len(request_id) == 32
    access = [line for line in json_lines(stream) if line.get("code") == "NOT_FOUND"]
    assert [line["request_id"] for line in access] == [request_id]


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):  # up to 10 s
        if condition():
            return
        await asyncio.sleep(0.01)
    pytest.fail("the condition never held")


async def test_repeated_failures_are_bounded_with_a_count_of_the_dropped(alice, memories):
    now = [1000.0]  # the filter's clock, moved by the test: no timing in the test
    throttle = logs.ThrottleFilter(limit=5, interval=10.0, clock=lambda: now[0])
    request = mem.ListMemoriesRequest(user_id="+15550000001")
    bad_token = (("authorization", "Bearer not-a-jwt"),)
    # The refusals' access lines, counted where they are logged: the throttle's own
    # count also takes any warning another part of the process logs meanwhile
    # (waiting for it to equal 40 failed once in CI).
    refusals: list[logging.LogRecord] = []

    def count(record: logging.LogRecord) -> bool:
        if getattr(record, "code", None) == "UNAUTHENTICATED":
            refusals.append(record)
        return True

    access_logger = logging.getLogger("alice.rpc")
    access_logger.addFilter(count)
    try:
        with captured(throttle=throttle) as stream:
            for _ in range(40):
                with pytest.raises(grpc.aio.AioRpcError):
                    await memories.ListMemories(request, metadata=bad_token)
            # The server logs the access line just after the client has its answer.
            await _until(lambda: len(refusals) == 40)
            now[0] += 10.5  # the interval ends
            with pytest.raises(grpc.aio.AioRpcError):
                await memories.ListMemories(request, metadata=bad_token)
            await _until(lambda: len(refusals) == 41)
    finally:
        access_logger.removeFilter(count)
    lines = json_lines(stream)
    refused = [line for line in lines if line.get("code") == "UNAUTHENTICATED"]
    assert len(refused) == 6, "\n".join(map(str, lines))  # 5 in the first interval, 1 in the next
    dropped = [line for line in lines if "dropped" in line]
    assert len(dropped) == 1
    assert dropped[0]["dropped"] == 35
    assert "ListMemories" in str(dropped[0]["message"])


async def test_a_real_server_bounds_a_flood_of_bad_tokens_and_keeps_one_line_per_success(
    database, secret, peterson
):
    """The alice-server process as shipped (its own log configuration): 300 bad
    tokens write at most the throttle's limit of access lines per interval, and
    a count of the rest (at the latest when it stops); successes keep one line each."""
    limit = logs.ThrottleFilter().limit
    flood, successes = 300, 25
    env = clean_env(
        DATABASE_URL=database.app_url,
        JWT_SECRET_KEY=secret,
        ALICE_WORKERS="1",
        ALICE_LOG_FORMAT="json",
        ALICE_ACCESS_LOG_LEVEL="INFO",
    )
    request = mem.ListMemoriesRequest(user_id="+15550000001")
    async with server_process(env) as (process, port, log):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
            started = time.monotonic()
            for n in range(flood):
                bad = (("authorization", f"Bearer not-a-jwt-{n}"),)
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await stub.ListMemories(request, metadata=bad)
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            elapsed = time.monotonic() - started
            for _ in range(successes):
                await stub.ListMemories(request, metadata=peterson.metadata())
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    lines = [json.loads(line) for line in log if line.startswith("{")]
    refused_lines = [line for line in lines if line.get("code") == "UNAUTHENTICATED"]
    dropped = sum(int(line["dropped"]) for line in lines if "dropped" in line)
    intervals = 1 + int(elapsed // logs.ThrottleFilter().interval)
    assert 0 < len(refused_lines) <= limit * intervals, len(refused_lines)
    assert len(refused_lines) + dropped == flood  # every refusal is a line or counted
    ok_lines = [line for line in lines if line.get("code") == "OK"]
    assert len(ok_lines) == successes
    assert len(lines) < limit * intervals + successes + 10
