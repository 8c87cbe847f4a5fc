"""A client that goes away mid-call: streams cut after their first message and
a write cancelled inside its transaction. The server logs the access line with
status CANCELLED and no ERROR line (no context variable reset in another
context, no "Task exception was never retrieved", no connection released with
an open transaction), and serves on."""

from __future__ import annotations

import asyncio
import gc
import io
import json
import uuid
from collections.abc import Callable

import asyncpg
import grpc

from alice_server.auth import mint_platform_token
from alice_server.testing import running_server
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import memory_service_pb2_grpc, privacy_service_pb2_grpc
from chad_client.v1 import privacy_service_pb2 as priv
from tests.helpers import struct
from tests.support.logs import captured

ROWS = 1000


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


async def until(condition: Callable[[], object], what: str) -> None:
    for _ in range(1500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


def access_line(stream: io.StringIO, method: str) -> dict[str, object] | None:
    return next(
        (
            line
            for line in lines(stream)
            if line["logger"] == "alice.rpc"
            and line.get("method", "").endswith(method)  # type: ignore[union-attr]
            and "code" in line
        ),
        None,
    )


async def settle() -> None:
    """Let abandoned generators and tasks be finalised (where the errors used to appear)."""
    for _ in range(3):
        gc.collect()
        for _ in range(20):
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)


def errors_in(stream: io.StringIO) -> list[str]:
    text = stream.getvalue()
    bad = [line for line in lines(stream) if line["level"] in ("ERROR", "CRITICAL")]
    found = [json.dumps(line) for line in bad]
    for phrase in ("Task exception was never retrieved", "different Context", "Resetting"):
        if phrase in text:
            found.append(phrase)
    return found


async def test_streams_cut_by_the_client_log_cancelled_and_no_error(database, secret, peterson):
    caller = f"+1555{uuid.uuid4().int % 10**7:07d}"
    owner = await asyncpg.connect(database.owner_url)
    try:
        # 10 MB of rows: more than the transport buffers, so no export can
        # finish before the client cuts it.
        await owner.executemany(
            "INSERT INTO memories (customer_id, scope, user_id, type, key, value, source, "
            "ttl_days, expires_at) VALUES ($1, 'user', $2, 'fact', $3, "
            "jsonb_build_object('note', repeat('x', 10000)), 'api', 365, now() + '1 year')",
            [(peterson.id, caller, f"k{i}") for i in range(ROWS)],
        )
    finally:
        await owner.close()
    with captured() as stream:
        async with (
            running_server(
                database.app_url,
                secret,
                rate_limit_per_second=0,
                platform_database_url=database.platform_url,
            ) as server,
            grpc.aio.insecure_channel(server.address) as channel,
        ):
            privacy = privacy_service_pb2_grpc.PrivacyServiceStub(channel)
            streams = {
                "ExportUserData": privacy.ExportUserData(
                    priv.ExportUserDataRequest(user_id=caller),
                    metadata=peterson.metadata(scope="privacy:admin"),
                ),
                "ExportCustomerData": privacy.ExportCustomerData(
                    priv.ExportCustomerDataRequest(customer_id=peterson.id),
                    metadata=(("authorization", f"Bearer {mint_platform_token(secret)}"),),
                ),
            }
            for method, call in streams.items():
                first = await call.read()  # like `grpcurl ... | head -1`
                assert first is not grpc.aio.EOF
                call.cancel()
                await until(lambda m=method: access_line(stream, m), f"{method}'s access line")
                assert access_line(stream, method)["code"] == "CANCELLED"  # type: ignore[index]
            await settle()
            # The server serves on, and the cut export left no transaction open.
            again = [
                r
                async for r in privacy.ExportUserData(
                    priv.ExportUserDataRequest(user_id=caller),
                    metadata=peterson.metadata(scope="privacy:admin"),
                )
            ]
            assert len(again) == ROWS
            assert server.database._pool is not None
    assert errors_in(stream) == []


async def test_a_write_cancelled_inside_its_transaction_rolls_back_without_an_error(
    database, secret, peterson
):
    caller = f"+1555{uuid.uuid4().int % 10**7:07d}"
    request = mem.StoreMemoryRequest(
        user_id=caller, type="fact", key="locked", value=struct(value="first")
    )
    owner = await asyncpg.connect(database.owner_url)
    with captured() as stream:
        async with (
            running_server(database.app_url, secret, rate_limit_per_second=0) as server,
            grpc.aio.insecure_channel(server.address) as channel,
        ):
            memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
            await memories.StoreMemory(request, metadata=peterson.metadata())
            # Hold the memory's row: the next upsert waits for it inside its transaction.
            locker = owner.transaction()
            await locker.start()
            await owner.execute(
                "SELECT 1 FROM memories WHERE customer_id = $1 AND user_id = $2 FOR UPDATE",
                peterson.id,
                caller,
            )
            request.value.CopyFrom(struct(value="second"))
            call = memories.StoreMemory(request, metadata=peterson.metadata())

            async def waiting() -> bool:
                return bool(
                    await owner.fetchval(
                        "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 "
                        "AND wait_event_type = 'Lock'",
                        database.app_role,
                    )
                )

            for _ in range(1500):
                if await waiting():
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("the write never waited for the lock")
            call.cancel()
            await until(
                lambda: any(line.get("code") == "CANCELLED" for line in lines(stream)),
                "the cancelled write's access line",
            )
            await locker.rollback()
            await settle()
            # Nothing of the cancelled write was stored; the server serves on.
            got = await memories.GetMemoryByKey(
                mem.GetMemoryByKeyRequest(user_id=caller, type="fact", key="locked"),
                metadata=peterson.metadata(),
            )
            assert dict(got.memory.value) == {"value": "first"}
    await owner.close()
    cancelled = [line for line in lines(stream) if line.get("code") == "CANCELLED"]
    assert [line["method"] for line in cancelled] == ["/alice.memory.v1.MemoryService/StoreMemory"]
    assert errors_in(stream) == []
