"""The summariser's worker pool: tenants served round robin, a bounded queue,
abandoned work dropped, and workers that die with the server, even on kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from alice_server.auth import SCOPE_READ, Tenant, bind_tenant, unbind_tenant
from alice_server.domain.errors import ResourceExhausted
from alice_server.summarizer_pool import SUMMARIZER_NICENESS, FairSummarizerPool
from alice_server.testing import running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc
from chad_client.v1 import resources_pb2 as res
from tests.support.processes import clean_env, server_process


def work(label: str, seconds: float, marker: str | None = None) -> str:
    """Runs in a worker process."""
    time.sleep(seconds)
    if marker is not None:
        with open(marker, "a") as out:
            out.write(label + "\n")
    return label


async def _as(customer_id: int, pool: FairSummarizerPool, *args: object) -> str:
    token = bind_tenant(Tenant(customer_id, frozenset({SCOPE_READ})))
    try:
        future = asyncio.get_running_loop().run_in_executor(pool, work, *args)
    finally:
        unbind_tenant(token)
    return await future  # type: ignore[no-any-return]


@pytest.fixture
async def pool():
    executor = FairSummarizerPool(processes=1, queue_size=64, tenant_share=0.5)
    await asyncio.get_running_loop().run_in_executor(executor, work, "warm", 0)
    yield executor
    executor.shutdown(wait=True, cancel_futures=True)


def niceness() -> int:
    """Runs in a worker process."""
    return os.nice(0)


async def test_summariser_workers_run_at_a_lower_cpu_priority_than_the_server(pool):
    """A call start (the server's event loop) is preferred to a summary when the
    cores are contended: the workers' niceness is the server's plus
    SUMMARIZER_NICENESS."""
    worker = await asyncio.get_running_loop().run_in_executor(pool, niceness)
    assert worker == min(os.nice(0) + SUMMARIZER_NICENESS, 19)
    assert worker > os.nice(0)


async def test_tenants_are_served_round_robin_not_first_come_first_served(pool):
    finished: list[str] = []

    async def run(customer: int, label: str) -> None:
        finished.append(await _as(customer, pool, label, 0.15))

    flood = [asyncio.create_task(run(1, f"A{i}")) for i in range(8)]
    await asyncio.sleep(0)  # all eight submitted; A0 runs
    small = asyncio.create_task(run(2, "B"))
    await asyncio.gather(*flood, small)
    # One worker: A0 was running, then the two tenants alternate.
    assert finished.index("B") <= 2, finished


async def test_a_full_queue_is_refused_with_a_retry_delay():
    pool = FairSummarizerPool(processes=1, queue_size=4, tenant_share=0.5)
    try:
        running = asyncio.create_task(_as(1, pool, "A0", 2.0))
        await asyncio.sleep(0)
        queued = [asyncio.create_task(_as(1, pool, f"A{i}", 0)) for i in (1, 2)]
        await asyncio.sleep(0)
        with pytest.raises(ResourceExhausted, match="share of the queue") as own_share:
            await _as(1, pool, "A3", 0)
        assert own_share.value.retry_after > 0
        queued += [asyncio.create_task(_as(2, pool, f"B{i}", 0)) for i in (1, 2)]
        await asyncio.sleep(0)
        with pytest.raises(ResourceExhausted, match="summariser is busy") as full:
            await _as(3, pool, "C", 0)
        assert full.value.retry_after > 0
        assert await asyncio.gather(running, *queued) == ["A0", "A1", "A2", "B1", "B2"]
    finally:
        pool.shutdown(wait=True)


async def test_a_tenant_never_holds_more_than_its_share_of_the_workers():
    pool = FairSummarizerPool(processes=2, queue_size=16, tenant_share=0.5)
    try:
        flood = [asyncio.create_task(_as(1, pool, f"A{i}", 0.3)) for i in range(3)]
        await asyncio.sleep(0)  # each task submits its call, then awaits it
        # One of two workers busy with tenant 1; its other calls wait although a
        # worker is free: the free one is kept for the others.
        assert pool._running == {1: 1} and len(pool._queues[1]) == 2
        other = asyncio.create_task(_as(2, pool, "B", 0.0))
        await asyncio.sleep(0)
        assert pool._running == {1: 1, 2: 1}  # tenant 2 was served at once
        assert len(pool._queues[1]) == 2
        assert await asyncio.gather(*flood, other) == ["A0", "A1", "A2", "B"]
    finally:
        pool.shutdown(wait=True)


async def test_abandoned_work_is_dropped_before_it_runs(pool, tmp_path):
    marker = str(tmp_path / "ran")
    busy = asyncio.create_task(_as(1, pool, "busy", 1.0, marker))
    await asyncio.sleep(0)
    abandoned = asyncio.create_task(_as(2, pool, "abandoned", 0, marker))
    await asyncio.sleep(0)
    assert len(pool._queues[2]) == 1  # waiting behind the busy worker
    abandoned.cancel()  # what a passed deadline or a cancelled client does
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    assert pool.dropped == 1
    await busy
    await _as(1, pool, "after", 0, marker)
    assert _read(marker).split() == ["busy", "after"]


def hold_until(path: str) -> str:
    """Runs in a worker process: keeps the worker busy until `path` exists."""
    while not os.path.exists(path):
        time.sleep(0.02)
    return "released"


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for the scheduler to reach a state (polling; the bound only stops a hang)."""
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never reached: {what}")


async def test_process_calls_past_their_deadline_are_dropped_not_run(
    database, secret, peterson, smith, caller_phone, tmp_path
):
    """The pool's one worker is held busy; ProcessCalls wait in the queue until
    their deadline passes; each is dropped from the queue and never runs."""
    release = tmp_path / "release"
    async with (
        running_server(database.app_url, secret, rate_limit_per_second=0) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        stub = context_service_pb2_grpc.ContextServiceStub(channel)
        pool = server.server.summarizer_pool
        assert pool is not None and pool.processes == 1
        held = asyncio.get_running_loop().run_in_executor(pool, hold_until, str(release))
        await until(lambda: pool._in_flight == 1, "the worker is busy")

        async def outcome(i: int) -> grpc.StatusCode:
            request = ctx.ProcessCallRequest(
                user_id=caller_phone,
                call_id=f"late-{i}",
                turns=[res.Turn(role=res.ROLE_CALLER, content=f"Question number {i}.")],
            )
            try:
                await stub.ProcessCall(request, metadata=peterson.metadata(), timeout=8)
            except grpc.aio.AioRpcError as error:
                return error.code()
            return grpc.StatusCode.OK

        calls = [asyncio.create_task(outcome(i)) for i in range(4)]
        await until(lambda: pool._queued == 4, "four calls wait for the worker")
        assert await asyncio.gather(*calls) == [grpc.StatusCode.DEADLINE_EXCEEDED] * 4
        await until(lambda: pool.dropped == 4, "the four calls are dropped")
        assert pool._queued == 0 and not pool._queues

        release.touch()
        assert await held == "released"
        # Another tenant's call is served at once afterwards...
        small = await stub.ProcessCall(
            ctx.ProcessCallRequest(
                user_id=caller_phone,
                call_id="small",
                turns=[res.Turn(role=res.ROLE_CALLER, content="Just a quick question.")],
            ),
            metadata=smith.metadata(),
            timeout=30,
        )
        assert small.summary
        # ... and the dropped ones never ran: nothing of them was stored.
        listed = await stub.ListCallSummaries(
            ctx.ListCallSummariesRequest(user_id=caller_phone), metadata=peterson.metadata()
        )
        assert list(listed.summaries) == []


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as file:
        return file.read()


def _children(pid: int) -> set[int]:
    children = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.add(int(entry))
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
async def test_summariser_workers_and_resource_tracker_die_when_the_server_is_killed(
    database, secret
):
    env = clean_env(
        DATABASE_URL=database.app_url, JWT_SECRET_KEY=secret, ALICE_SUMMARIZER_PROCESSES="2"
    )
    async with server_process(env) as (process, _port, _log):
        children = set()
        for _ in range(100):  # the workers start before the server listens
            children = _children(process.pid)
            if len(children) >= 2:
                break
            await asyncio.sleep(0.1)
        commands = {pid: _read(f"/proc/{pid}/cmdline").encode() for pid in children}
        assert sum(b"resource_tracker" in c for c in commands.values()) == 1, commands
        assert sum(b"multiprocessing.spawn" in c for c in commands.values()) >= 1, commands
        os.kill(process.pid, signal.SIGKILL)
        await process.wait()
        for _ in range(150):
            if not any(_alive(pid) for pid in children):
                break
            await asyncio.sleep(0.1)
        survivors = [pid for pid in children if _alive(pid)]
        for pid in survivors:  # do not leave them behind if the test fails
            os.kill(pid, signal.SIGKILL)
        assert not survivors, [commands[p] for p in survivors]
