"""Health tells the truth: NOT_SERVING while the database is unreachable (a real
TCP proxy in front of PostgreSQL is cut) or its schema is not at head, SERVING
again on recovery, NOT_SERVING from the first moment of a shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import asyncpg
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from alice_server.domain.summarizer import CallAnalysis, PersonalityScores, TranscriptTurn
from alice_server.storage.migrate import head_revision
from alice_server.testing import running_server, temporary_database
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests.helpers import status_of
from tests.pgproxy import pg_proxy

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class Watcher:
    """Health/Watch of the whole server: every status it streams, as it comes."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.statuses: list[int] = []
        self._changed = asyncio.Condition()
        self._call = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(grpc.aio.AioRpcError, asyncio.CancelledError):
            async for reply in self._call:
                async with self._changed:
                    self.statuses.append(reply.status)
                    self._changed.notify_all()

    async def wait_for(self, status: int, within: float = 15) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(
                lambda: bool(self.statuses) and self.statuses[-1] == status
            )

    async def close(self) -> None:
        self._call.cancel()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@contextlib.asynccontextmanager
async def watching(address: str) -> AsyncIterator[Watcher]:
    async with grpc.aio.insecure_channel(address) as channel:
        watcher = Watcher(channel)
        try:
            yield watcher
        finally:
            await watcher.close()


async def test_database_outage_turns_health_not_serving_and_back(database, secret):
    async with (
        pg_proxy(database.app_url) as proxy,
        running_server(proxy.url, secret, health_check_seconds=0.2) as server,
        watching(server.address) as watcher,
    ):
        await watcher.wait_for(SERVING)
        proxy.cut()  # no RPC at all: the periodic check notices
        await watcher.wait_for(NOT_SERVING)
        assert server.server.monitor.problem is not None
        assert "unreachable" in server.server.monitor.problem
        proxy.restore()
        await watcher.wait_for(SERVING)
    assert watcher.statuses[:1] == [SERVING]
    assert NOT_SERVING in watcher.statuses


async def test_a_failing_rpc_triggers_the_check_before_the_period(database, secret, peterson):
    # A period far longer than the test: only the RPC's failure can trigger the check.
    async with (
        pg_proxy(database.app_url) as proxy,
        running_server(proxy.url, secret, health_check_seconds=600) as server,
        watching(server.address) as watcher,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        await watcher.wait_for(SERVING)
        proxy.cut()
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        code, _ = await status_of(
            memories.ListMemories(
                mem.ListMemoriesRequest(user_id="+15550000001"), metadata=peterson.metadata()
            )
        )
        assert code == grpc.StatusCode.UNAVAILABLE
        await watcher.wait_for(NOT_SERVING, within=10)
        proxy.restore()  # while not serving it looks again every second
        await watcher.wait_for(SERVING, within=10)


async def test_schema_not_at_head_is_not_serving(superuser_url, secret):
    async with (
        temporary_database(superuser_url) as db,
        running_server(db.app_url, secret, health_check_seconds=0.2) as server,
        watching(server.address) as watcher,
    ):
        await watcher.wait_for(SERVING)
        owner = await asyncpg.connect(db.owner_url)
        try:
            await owner.execute("UPDATE alembic_version SET version_num = '0001'")
            await watcher.wait_for(NOT_SERVING)
            assert "schema at 0001" in (server.server.monitor.problem or "")
            await owner.execute("UPDATE alembic_version SET version_num = $1", head_revision())
            await watcher.wait_for(SERVING)
        finally:
            await owner.close()


class SlowSummarizer:
    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def analyze(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        self.started.set()
        await asyncio.sleep(1.5)
        return CallAnalysis("slow call", "neutral", (), PersonalityScores.neutral(), None)


async def test_shutdown_reports_not_serving_while_running_calls_finish(database, secret, peterson):
    slow = SlowSummarizer()
    async with (
        running_server(database.app_url, secret, summarizer=slow) as server,
        watching(server.address) as watcher,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        await watcher.wait_for(SERVING)
        call = asyncio.ensure_future(
            context_service_pb2_grpc.ContextServiceStub(channel).ProcessCall(
                ctx.ProcessCallRequest(
                    user_id="+15550000002",
                    call_id="CA-shutdown",
                    turns=[res.Turn(role=res.ROLE_CALLER, content="hello")],
                ),
                metadata=peterson.metadata(),
            )
        )
        await slow.started.wait()
        stopping = asyncio.create_task(server.server.stop(3))
        await watcher.wait_for(NOT_SERVING, within=1)
        assert not call.done()  # NOT_SERVING came first; the running call still finishes
        reply = await call
        assert reply.summary == "slow call"
        await stopping
