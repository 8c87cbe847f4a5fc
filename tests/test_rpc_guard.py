"""The RPC guard (alice_server/interceptors.py): one coroutine per call instead of
grpc interceptors. Its two hook points (a request check before the handler,
trailing metadata at the end of a call), deadlines without a timer of its own,
and the request ids it generates."""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from alice_server import logs
from alice_server.domain.errors import InvalidArgument
from alice_server.testing import running_server
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import memory_service_pb2_grpc
from tests.helpers import status_of, struct
from tests.support.database import locked_memory
from tests.support.logs import captured, json_lines, written

STORE = "/alice.memory.v1.MemoryService/StoreMemory"


def _store(caller: str, key: str, value: str = "v") -> mem.StoreMemoryRequest:
    return mem.StoreMemoryRequest(user_id=caller, type="fact", key=key, value=struct(value=value))


async def test_the_request_check_refuses_a_request_before_its_handler(
    database, secret, peterson, caller_phone
):
    checked: list[tuple[str, str]] = []

    def check(method: str, request: Any) -> None:
        checked.append((method, type(request).__name__))
        if getattr(request, "key", "") == "refused":
            raise InvalidArgument("key 'refused' is refused by the check")

    async with (
        running_server(database.app_url, secret, rate_limit_per_second=0) as alice,
        grpc.aio.insecure_channel(alice.address) as channel,
    ):
        assert alice.server.guard is not None
        alice.server.guard.check_request = check
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        md = peterson.metadata()
        code, details = await status_of(
            memories.StoreMemory(_store(caller_phone, "refused"), metadata=md)
        )
        stored = await memories.StoreMemory(_store(caller_phone, "kept"), metadata=md)
        listed = await memories.ListMemories(
            mem.ListMemoriesRequest(user_id=caller_phone), metadata=md
        )
        # Without a token, the check is not reached: admission comes first.
        unauthenticated, _ = await status_of(memories.StoreMemory(_store(caller_phone, "refused")))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details == "key 'refused' is refused by the check"
    assert stored.created
    assert [m.key for m in listed.memories] == ["kept"]  # the refused one never reached storage
    assert unauthenticated == grpc.StatusCode.UNAUTHENTICATED
    assert checked == [
        (STORE, "StoreMemoryRequest"),
        (STORE, "StoreMemoryRequest"),
        ("/alice.memory.v1.MemoryService/ListMemories", "ListMemoriesRequest"),
    ]


async def test_trailing_metadata_is_added_to_successes_and_failures(
    database, secret, peterson, caller_phone
):
    async with (
        running_server(database.app_url, secret, rate_limit_per_second=0) as alice,
        grpc.aio.insecure_channel(alice.address) as channel,
    ):
        assert alice.server.guard is not None
        alice.server.guard.trailing_metadata = lambda: (("x-alice-test", "42"),)
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        ok = memories.StoreMemory(_store(caller_phone, "k"), metadata=peterson.metadata())
        await ok
        missing = memories.GetMemory(
            mem.GetMemoryRequest(id=str(uuid.uuid4())), metadata=peterson.metadata()
        )
        missing_code, _ = await status_of(missing)
        # A status with details (ErrorInfo TOKEN_EXPIRED) keeps them beside the trailer.
        expired = memories.StoreMemory(
            _store(caller_phone, "k"), metadata=peterson.metadata(ttl_seconds=-60)
        )
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await expired
    assert ("x-alice-test", "42") in tuple(await ok.trailing_metadata())
    assert missing_code == grpc.StatusCode.NOT_FOUND
    assert ("x-alice-test", "42") in tuple(await missing.trailing_metadata())
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert ("x-alice-test", "42") in tuple(failure.value.trailing_metadata() or ())
    status = rpc_status.from_call(failure.value)
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    assert status.details[-1].Unpack(info)
    assert info.reason == "TOKEN_EXPIRED"


async def test_a_call_cut_at_its_deadline_is_logged_deadline_exceeded_and_rolled_back(
    database, secret, peterson, caller_phone
):
    md = peterson.metadata()
    with captured() as stream:
        async with (
            running_server(database.app_url, secret, rate_limit_per_second=0) as alice,
            grpc.aio.insecure_channel(alice.address) as channel,
        ):
            memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
            stored = await memories.StoreMemory(_store(caller_phone, "k", "old"), metadata=md)
            async with locked_memory(database.owner_url, peterson.id, stored.memory.id):
                code, _ = await status_of(
                    memories.StoreMemory(_store(caller_phone, "k", "new"), metadata=md, timeout=0.5)
                )
                # The row stays locked until the server has ended the call: released
                # as the client gives up, the waiting upsert could run and commit
                # before the server's own deadline cancels it (seen once, under load).
                await written(stream, "DEADLINE_EXCEEDED", seconds=10)
            again = await memories.GetMemory(mem.GetMemoryRequest(id=stored.memory.id), metadata=md)
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert again.memory.value["value"] == "old"
    access = [
        line
        for line in json_lines(stream)
        if line["logger"] == "alice.rpc" and line.get("method") == STORE and "code" in line
    ]
    assert [line["code"] for line in access] == ["OK", "DEADLINE_EXCEEDED"]
    assert [line["level"] for line in json_lines(stream) if line["level"] == "ERROR"] == []


def test_generated_request_ids_are_32_hex_digits_and_unique_across_processes():
    ids = [logs.new_request_id() for _ in range(1000)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # a forked worker draws ids of its own
        os.write(write, logs.new_request_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    from_child = os.read(read, 64).decode()
    os.close(read)
    assert re.fullmatch(r"[0-9a-f]{32}", from_child)
    assert from_child[:20] != ids[0][:20]
    assert from_child not in ids
