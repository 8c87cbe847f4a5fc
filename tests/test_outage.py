"""PostgreSQL outages under concurrent load answer UNAVAILABLE (DATABASE_UNAVAILABLE),
never INTERNAL: every way the driver reports a lost connection (asyncpg's
InternalClientError "not connected" in the tenant's set_config or the call
start included) is "unreachable" (alice_server/storage/errors.py).

The outages are real, again and again while callers keep calling: PostgreSQL
terminates the server's connections (pg_terminate_backend, as on a restart:
a FATAL error, then the socket closes), and a TCP proxy between the server and
PostgreSQL (tests/pgproxy.py) drops every connection and refuses new ones.
"""

from __future__ import annotations

import asyncio
import collections
import itertools

import asyncpg
import grpc

from alice_server.domain import errors
from alice_server.storage.errors import translate
from alice_server.testing import running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests.helpers import struct
from tests.pgproxy import pg_proxy
from tests.support.logs import captured, json_lines

CALLERS = 24
OUTAGES = 4
TERMINATE = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1"


def test_client_side_connection_errors_are_unreachable():
    for exc in (
        asyncpg.exceptions.InternalClientError("not connected"),
        asyncpg.exceptions.ClientCannotConnectError("refused"),
        asyncpg.exceptions.ConnectionDoesNotExistError("gone"),
        ConnectionResetError(),
    ):
        assert isinstance(translate(exc, statement_timeout_ms=1000), errors.Unavailable), exc


async def test_repeated_outages_under_load_are_unavailable_never_internal(
    database, secret, peterson
):
    codes: collections.Counter[str] = collections.Counter()
    async with (
        pg_proxy(database.app_url) as proxy,
        running_server(
            proxy.url, secret, rate_limit_per_second=0, customer_cache_seconds=0, pool_size=8
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        md = peterson.metadata()
        stop = asyncio.Event()
        serial = itertools.count()

        async def caller(n: int) -> None:
            phone = f"+1555{n:07d}"
            while not stop.is_set():
                i = next(serial)
                try:
                    if i % 3 == 0:
                        await memories.StoreMemory(
                            mem.StoreMemoryRequest(
                                user_id=phone, type="fact", key=f"k{i % 5}", value=struct(v=i)
                            ),
                            metadata=md,
                            timeout=5,
                        )
                    elif i % 3 == 1:
                        await contexts.GetEnrichedContext(
                            ctx.GetEnrichedContextRequest(user_id=phone), metadata=md, timeout=5
                        )
                    else:
                        await contexts.ProcessCall(
                            ctx.ProcessCallRequest(
                                user_id=phone,
                                call_id=f"outage-{i}",
                                turns=[res.Turn(role=res.ROLE_CALLER, content="call me back")],
                            ),
                            metadata=md,
                            timeout=5,
                        )
                    codes["OK"] += 1
                except grpc.aio.AioRpcError as exc:
                    codes[exc.code().name] += 1

        owner = await asyncpg.connect(database.owner_url)
        with captured() as log:
            callers = [asyncio.create_task(caller(n)) for n in range(CALLERS)]
            for _ in range(OUTAGES):
                await asyncio.sleep(0.4)
                for _ in range(15):  # the server's connections terminated, for 0.3 s
                    await owner.execute(TERMINATE, database.app_role)
                    await asyncio.sleep(0.02)
                await asyncio.sleep(0.4)
                proxy.cut()
                await asyncio.sleep(0.3)
                proxy.restore()
            await asyncio.sleep(0.4)
            stop.set()
            await asyncio.gather(*callers)
        await owner.close()
    print(dict(codes))
    assert codes["OK"] > 0 and codes["UNAVAILABLE"] > 0, codes
    assert codes.keys() <= {"OK", "UNAVAILABLE", "DEADLINE_EXCEEDED"}, codes
    errors_logged = [line for line in json_lines(log) if line.get("level") == "ERROR"]
    assert not errors_logged, errors_logged[:5]
