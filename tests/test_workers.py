"""ALICE_WORKERS: real `alice-server` processes sharing one port, seen from the OS.

Which process listens on, or holds a connection of, the port is read from
/proc/net/tcp and /proc/<pid>/fd (no debug hook in the server). Linux only.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from contextlib import suppress
from pathlib import Path

import grpc
import pytest

from alice_server.storage.urls import libpq_url, with_user
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc
from chad_client.v1 import resources_pb2 as res
from tests.support.calls import call_request
from tests.support.processes import clean_env, installed_script, run_command, server_process

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

LISTEN, ESTABLISHED = "0A", "01"


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            found.update(int(c) for c in (task / "children").read_text().split())
    return found


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in _children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Running and not a zombie (an orphan's zombie may wait for a reaper here)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _socket_pids(port: int, state: str, candidates: set[int]) -> set[int]:
    """Which of `candidates` own a TCP socket in `state` whose local port is `port`."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(fields[9])
    owners: set[int] = set()
    for pid in candidates:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    owners.add(pid)
        except OSError:
            continue
    return owners


async def _gone(pids: set[int], seconds: float) -> set[int]:
    """Wait up to `seconds` for every pid to end; the ones still alive."""
    for _ in range(int(seconds * 5)):
        if not any(_alive(p) for p in pids):
            break
        await asyncio.sleep(0.2)
    return {p for p in pids if _alive(p)}


def _workers_env(database, secret: str, workers: int = 2) -> dict[str, str]:
    return clean_env(
        DATABASE_URL=database.app_url,
        JWT_SECRET_KEY=secret,
        ALICE_WORKERS=str(workers),
        ALICE_SHUTDOWN_GRACE_SECONDS="2",
    )


async def test_two_workers_listen_on_one_port_and_both_answer_calls(database, secret, peterson):
    async with server_process(_workers_env(database, secret)) as (process, port, log):
        # Announced only when every worker serves: both listen at this moment.
        workers = _socket_pids(port, LISTEN, _children(process.pid))
        assert len(workers) == 2 and process.pid not in workers
        # The kernel spreads connections, not calls: one channel per connection.
        channels = [
            grpc.aio.insecure_channel(
                f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]
            )
            for _ in range(16)
        ]
        try:
            for channel in channels:
                response = await context_service_pb2_grpc.ContextServiceStub(
                    channel
                ).GetEnrichedContext(
                    ctx.GetEnrichedContextRequest(user_id="+15550000077"),
                    metadata=peterson.metadata(),
                    timeout=10,
                )
                assert response.customer_id == peterson.id and response.is_new_caller
            answering = _socket_pids(port, ESTABLISHED, workers)
        finally:
            for channel in channels:
                await channel.close()
        # 16 connections all hashed to one of two workers: odds 2 in 65,536.
        assert answering == workers

        family = _descendants(process.pid)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
        assert await _gone(family, 10) == set()
    text = "".join(log)
    assert "Alice listening on" in text and "2 workers" in text
    assert "Traceback" not in text and secret not in text


async def test_killing_the_supervisor_with_sigkill_leaves_no_worker(database, secret):
    async with server_process(_workers_env(database, secret)) as (process, port, _):
        workers = _socket_pids(port, LISTEN, _children(process.pid))
        assert len(workers) == 2
        family = _descendants(process.pid)  # workers, their summarisers, trackers
        process.kill()
        await process.wait()
        # The workers stop gracefully (SIGTERM from the kernel); on a loaded machine
        # that can take a while, so allow a minute and name what is left if any.
        left = await _gone(family, 60)
        assert left == set(), {pid: _cmdline(pid) for pid in left}
        assert _socket_pids(port, LISTEN, family) == set()


async def test_a_worker_that_dies_is_reported_and_stops_the_server(database, secret):
    async with server_process(_workers_env(database, secret)) as (process, port, log):
        first, second = sorted(_socket_pids(port, LISTEN, _children(process.pid)))
        orphans = _descendants(first)  # its summariser (whose own test is elsewhere)
        try:
            os.kill(first, signal.SIGKILL)
            assert await asyncio.wait_for(process.wait(), 30) == 1
            assert await _gone({first, second}, 10) == set()
        finally:
            for pid in await _gone(orphans, 5):
                os.kill(pid, signal.SIGKILL)
    text = "".join(log)
    assert f"(pid {first}) was killed by SIGKILL; the other workers were stopped" in text


async def test_a_port_in_use_stops_the_second_server(database, secret):
    env = _workers_env(database, secret)
    async with server_process(env) as (_, port, _):
        code, _, err = await run_command(
            installed_script("alice-server"), "--listen", f"127.0.0.1:{port}", env=env
        )
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port} (in use" in err


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return file.read().replace(b"\0", b" ").decode(errors="replace")[:200]
    except OSError:
        return "(gone)"


async def test_a_worker_that_cannot_start_says_why_in_one_line(database, secret):
    """The workers' platform pool refuses its login (the supervisor checks only
    the service role): each worker says so in one line, no traceback, exit 1."""
    wrong = libpq_url(with_user(database.platform_url, "alice_no_such_role", "x"))
    env = _workers_env(database, secret) | {"ALICE_PLATFORM_DATABASE_URL": wrong}
    code, _, err = await run_command(
        installed_script("alice-server"), "--listen", "127.0.0.1:0", env=env
    )
    assert code == 1, err
    assert "Traceback" not in err, err
    refused = [line for line in err.splitlines() if "could not serve" in line]
    assert refused and all("the database refused the login" in line for line in refused), err


BACKLOG_CALLS = 100
BACKLOG_TURNS = 1500


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
async def test_the_supervisor_ends_under_a_summariser_backlog_and_leaves_nothing(
    database, secret, peterson, how
):
    """Two workers with ~100 ProcessCalls of 1,500 turns each in flight; the
    supervisor gets SIGKILL (the kernel sends each worker SIGTERM) or SIGTERM.
    Every worker, its summariser and the resource tracker must be gone within a
    few seconds of the grace period, and SIGTERM needs no kill: nothing may
    wait for the summariser's queue (multiprocessing's exit join, the
    executor's manager thread). On main they stayed under PID 1 for minutes
    after SIGKILL, and SIGTERM ended with "worker N did not stop: killed"."""
    env = _workers_env(database, secret) | {
        "ALICE_SUMMARIZER_QUEUE_SIZE": "200",
        "ALICE_SUMMARIZER_TENANT_SHARE": "1",
        "ALICE_RATE_LIMIT_PER_SECOND": "0",
    }
    turns = [
        res.Turn(
            role=res.ROLE_CALLER if i % 2 else res.ROLE_AGENT,
            content=f"turn {i}: I would like to move my appointment to next Tuesday at {i % 12} pm",
        )
        for i in range(BACKLOG_TURNS)
    ]
    md = peterson.metadata()
    family: set[int] = set()
    async with server_process(env) as (process, port, log):
        channels = [
            grpc.aio.insecure_channel(
                f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]
            )
            for _ in range(4)
        ]
        try:
            stubs = [context_service_pb2_grpc.ContextServiceStub(c) for c in channels]
            calls = [
                asyncio.ensure_future(
                    stubs[i % 4].ProcessCall(
                        call_request(f"+1555{i:07d}", f"backlog-{i}", turns),
                        metadata=md,
                        timeout=300,
                    )
                )
                for i in range(BACKLOG_CALLS)
            ]
            await asyncio.sleep(4)  # the summarisers busy, the rest queued
            family = _descendants(process.pid)  # workers, summarisers, trackers
            assert len(family) >= 4, family
            process.send_signal(signal.Signals[how])
            code = await process.wait()
            left = await _gone(family, 12)  # grace 2 s, under load
        finally:
            for call in calls:
                call.cancel()
            for channel in channels:
                await channel.close()
            for pid in {p for p in family if _alive(p)}:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
    assert left == set(), {pid: _cmdline(pid) for pid in left}
    if how == "SIGTERM":
        assert code == 0
        assert "did not stop" not in "".join(log)
    if how == "SIGTERM":
        assert code == 0
        assert "did not stop" not in "".join(log)
