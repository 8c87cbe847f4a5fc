"""`alice-server` and `alice-admin` as real processes: start-up checks, the
embedded default a newcomer gets, and a graceful stop on SIGTERM."""

from __future__ import annotations

import asyncio
import re
import signal
import stat
import tempfile
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from tests.helpers import struct
from tests.support.processes import clean_env, installed_script, run_command, server_process


async def test_a_missing_or_short_secret_stops_the_server(database):
    code, _, err = await run_command(
        installed_script("alice-server"), env=clean_env(DATABASE_URL=database.app_url)
    )
    assert code == 2 and "JWT_SECRET_KEY is required" in err
    code, _, err = await run_command(
        installed_script("alice-server"),
        env=clean_env(DATABASE_URL=database.app_url, JWT_SECRET_KEY="short"),
    )
    assert code == 2 and "too short" in err and "short" not in err.split("too short")[1][:3]


async def test_the_server_refuses_a_role_that_bypasses_rls(database, secret):
    code, _, err = await run_command(
        installed_script("alice-server"),
        "--listen",
        "127.0.0.1:0",
        env=clean_env(DATABASE_URL=database.owner_url, JWT_SECRET_KEY=secret),
    )
    assert code == 1
    assert "superuser" in err and "row-level security" in err
    assert secret not in err


async def test_server_serves_and_stops_gracefully_on_sigterm(database, secret, peterson):
    env = clean_env(DATABASE_URL=database.app_url, JWT_SECRET_KEY=secret)
    async with server_process(env) as (process, port, log):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest()
            )
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            response = await context_service_pb2_grpc.ContextServiceStub(
                channel
            ).GetEnrichedContext(
                ctx.GetEnrichedContextRequest(user_id="+15550000042"), metadata=peterson.metadata()
            )
            assert response.customer_id == peterson.id
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    text = "".join(log)
    assert "stopping" in text
    assert secret not in text and "Traceback" not in text


@pytest.mark.slow
async def test_newcomer_flow_on_the_embedded_database():
    """No DATABASE_URL, no JWT_SECRET_KEY: the server brings its own PostgreSQL
    and secret; alice-admin shares both."""
    data_dir = Path(tempfile.mkdtemp(prefix="alice-newcomer-", dir="/tmp"))
    env = clean_env(ALICE_DATA_DIR=str(data_dir))
    async with server_process(env) as (process, port, log):
        code, out, err = await run_command(
            installed_script("alice-admin"),
            "create-customer",
            "--name",
            "Peterson Insurance",
            "--agent-name",
            "Sam",
            env=env,
        )
        assert code == 0, err
        customer_id = int(re.search(r'"id": (\d+)', out).group(1))  # type: ignore[union-attr]
        code, token, err = await run_command(
            installed_script("alice-admin"),
            "mint-token",
            "--customer-id",
            str(customer_id),
            env=env,
        )
        assert code == 0, err
        metadata = (("authorization", f"Bearer {token.strip()}"),)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
            await memories.StoreMemory(
                mem.StoreMemoryRequest(
                    user_id="555-123-4567", type="fact", key="k", value=struct(value="hello")
                ),
                metadata=metadata,
            )
            listed = await memories.ListMemories(
                mem.ListMemoriesRequest(user_id="+15551234567"), metadata=metadata
            )
            assert [m.value["value"] for m in listed.memories] == ["hello"]
        secret_file = data_dir / "jwt_secret"
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        assert secret_file.read_text().strip() not in "".join(log)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0

    # The cluster stopped with its last user; a restart finds the data again.
    async with server_process(env) as (process, port, log):  # noqa: SIM117 (port from the first)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            listed = await memory_service_pb2_grpc.MemoryServiceStub(channel).ListMemories(
                mem.ListMemoriesRequest(user_id="+15551234567"), metadata=metadata
            )
            assert len(listed.memories) == 1
    code, out, _ = await run_command("pgrep", "-f", f"{data_dir}/pgdata", env=clean_env())
    assert out.strip() == ""
