"""Shared fixtures: one PostgreSQL database per test session, the real server
in-process on a free port, and fresh tenants for every test.

ALICE_TEST_DATABASE_URL names a superuser URL of a PostgreSQL server; each
session creates (and finally drops) its own database and service role there.
Unset, the tests start an embedded PostgreSQL in a temporary directory.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
import pytest_asyncio

from alice_server.testing import RunningServer, TestDatabase, running_server, temporary_database
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from tests.support.fake_llm import fake_llm  # noqa: F401 (a fixture for every test)
from tests.support.pgbouncer import pgbouncer, through
from tests.support.redis import redis_process  # noqa: F401 (a fixture for every test)
from tests.support.tenants import TenantHandle, create_customer


@pytest.fixture(scope="session")
def superuser_url() -> Iterator[str]:
    url = os.environ.get("ALICE_TEST_DATABASE_URL")
    if url:
        yield url
        return
    from alice_server.embedded import EmbeddedPostgres

    directory = tempfile.mkdtemp(prefix="alice-test-", dir="/tmp")
    cluster = EmbeddedPostgres.start(__import__("pathlib").Path(directory), delete_on_stop=True)
    try:
        yield cluster.url("postgres")
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest_asyncio.fixture(scope="session")
async def database(superuser_url: str) -> AsyncIterator[TestDatabase]:
    async with temporary_database(superuser_url) as db:
        if os.environ.get("ALICE_TEST_PGBOUNCER") != "1":
            yield db
            return
        # The service connects through pgbouncer in transaction mode (.ci/run runs
        # the isolation, call-flow and concurrency tests so, with
        # ALICE_DB_STATEMENT_CACHE_SIZE=0); the owner connects directly.
        async with pgbouncer(db.owner_url, [db.app_role]) as port:
            yield dataclasses.replace(db, app_url=through(db.app_url, port))


@pytest.fixture(scope="session")
def secret() -> str:
    return secrets.token_urlsafe(48)


@pytest_asyncio.fixture(scope="session")
async def alice(database: TestDatabase, secret: str) -> AsyncIterator[RunningServer]:
    # Rate limiting has its own test; customer status changes are seen at once.
    async with running_server(
        database.app_url,
        secret,
        rate_limit_per_second=0,
        customer_cache_seconds=0,
        platform_database_url=database.platform_url,
    ) as server:
        yield server


@pytest_asyncio.fixture(scope="session")
async def channel(alice: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(alice.address) as channel:
        yield channel


@pytest.fixture(scope="session")
def memories(channel: grpc.aio.Channel) -> memory_service_pb2_grpc.MemoryServiceStub:
    return memory_service_pb2_grpc.MemoryServiceStub(channel)


@pytest.fixture(scope="session")
def contexts(channel: grpc.aio.Channel) -> context_service_pb2_grpc.ContextServiceStub:
    return context_service_pb2_grpc.ContextServiceStub(channel)


@pytest_asyncio.fixture
async def peterson(database: TestDatabase, secret: str) -> TenantHandle:
    name = "Peterson Insurance"
    return TenantHandle(await create_customer(database.owner_url, name), name, secret)


@pytest_asyncio.fixture
async def smith(database: TestDatabase, secret: str) -> TenantHandle:
    name = "Smith Insurance Agency"
    return TenantHandle(await create_customer(database.owner_url, name), name, secret)


@pytest.fixture
def caller_phone() -> str:
    """A caller number unique to the test (555 numbers are fictional)."""
    return f"+1555{secrets.randbelow(10**7):07d}"
