"""Alice behind a real pgbouncer (Debian's 1.18) in transaction mode.

pgbouncer older than 1.21 does not track prepared statements, and it refuses
startup parameters it does not know. Alice sends none (the tenant and the
timeouts are set inside each transaction) and, with
ALICE_DB_STATEMENT_CACHE_SIZE=0, keeps no prepared statement past a transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import grpc
import pytest
import pytest_asyncio

from alice_server.testing import TestDatabase, running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from tests.helpers import status_of, struct
from tests.test_calls import AUTO_CALL, _call
from tests.test_pool import locked_memory

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _pgbouncer(database: TestDatabase) -> Iterator[str]:
    """A pgbouncer in transaction mode in front of the test database: its app URL."""
    target = urlsplit(database.app_url)
    if not target.hostname or target.hostname.startswith("/"):
        pytest.skip("pgbouncer is tested against a TCP PostgreSQL (ALICE_TEST_DATABASE_URL)")
    if not os.path.exists(PGBOUNCER):
        pytest.fail("pgbouncer is not installed: apt-get install pgbouncer (.ci/run does)")
    directory = Path(tempfile.mkdtemp(prefix="alice-pgbouncer-"))
    port = _free_port()
    dbname = target.path.lstrip("/")
    (directory / "users.txt").write_text(f'"{target.username}" "{target.password}"\n')
    (directory / "pgbouncer.ini").write_text(
        f"""[databases]
{dbname} = host={target.hostname} port={target.port or 5432} dbname={dbname}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = plain
auth_file = {directory}/users.txt
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""
    )
    user = ["-u", "postgres"] if os.geteuid() == 0 else []  # it refuses to run as root
    if user:
        shutil.chown(directory, "postgres")
        for child in directory.iterdir():
            shutil.chown(child, "postgres")
    process = subprocess.Popen([PGBOUNCER, *user, str(directory / "pgbouncer.ini")])
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            if process.poll() is not None:
                raise AssertionError((directory / "pgbouncer.log").read_text())
            time.sleep(0.05)
        netloc = f"{target.username}:{target.password}@127.0.0.1:{port}"
        yield f"postgresql://{netloc}/{dbname}"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(directory, ignore_errors=True)


@pytest_asyncio.fixture
async def bouncer_url(database: TestDatabase) -> AsyncIterator[str]:
    with _pgbouncer(database) as url:
        yield url


async def test_calls_through_pgbouncer_in_transaction_mode(
    bouncer_url, secret, peterson, smith, caller_phone
):
    async with (
        running_server(
            bouncer_url,
            secret,
            pool_size=8,
            db_statement_cache_size=0,
            rate_limit_per_second=0,
            customer_cache_seconds=0,
        ) as alice,
        grpc.aio.insecure_channel(alice.address) as channel,
    ):
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)

        async def one_call(tenant, i):  # type: ignore[no-untyped-def]
            md = tenant.metadata()
            user = f"{caller_phone[:-2]}{i % 7:02d}"
            await contexts.GetEnrichedContext(
                ctx.GetEnrichedContextRequest(user_id=user), metadata=md
            )
            await memories.StoreMemory(
                mem.StoreMemoryRequest(
                    user_id=user, type="fact", key=f"k{i}", value=struct(tenant=tenant.name)
                ),
                metadata=md,
            )
            await memories.SearchMemories(
                mem.SearchMemoriesRequest(user_id=user, query="insurance"), metadata=md
            )
            await contexts.ProcessCall(
                _call(user, f"CA-bouncer-{tenant.id}-{i}", turns=AUTO_CALL), metadata=md
            )
            response = await contexts.GetEnrichedContext(
                ctx.GetEnrichedContextRequest(user_id=user), metadata=md
            )
            # Never another tenant's memory, whichever server connection ran it (the
            # fact the call notes found in AUTO_CALL has no "tenant" field).
            return {m.value["tenant"] for m in response.memories if m.source != "process_call"}

        results = await asyncio.gather(
            *(one_call(tenant, i) for i in range(40) for tenant in (peterson, smith)),
            return_exceptions=True,
        )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    seen = [r for r in results if not isinstance(r, BaseException)]
    assert all(len(tenants) == 1 for tenants in seen)
    assert {next(iter(t)) for t in seen} == {peterson.name, smith.name}


async def test_statement_timeout_holds_through_pgbouncer(
    bouncer_url, database, secret, peterson, caller_phone
):
    async with (
        running_server(
            bouncer_url,
            secret,
            db_statement_cache_size=0,
            db_statement_timeout_ms=300,
            rate_limit_per_second=0,
        ) as alice,
        grpc.aio.insecure_channel(alice.address) as channel,
    ):
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        md = peterson.metadata()
        stored = await memories.StoreMemory(
            mem.StoreMemoryRequest(user_id=caller_phone, type="fact", key="k", value=struct(v=1)),
            metadata=md,
        )
        async with locked_memory(database.owner_url, peterson.id, stored.memory.id):
            code, details = await status_of(
                memories.StoreMemory(
                    mem.StoreMemoryRequest(
                        user_id=caller_phone, type="fact", key="k", value=struct(v=2)
                    ),
                    metadata=md,
                    timeout=10,
                )
            )
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "300 ms" in details
