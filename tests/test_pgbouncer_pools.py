"""Every pool behind pgbouncer 1.18 in transaction mode with the statement cache off.

Issue 15 (item 2): the platform pool and the supervisor's start-up check were
built with their own options, so they kept asyncpg's statement cache (named
prepared statements, `__asyncpg_stmt_N__`) behind a pgbouncer that does not
track them: platform RPCs failed with INTERNAL, and a second worker died at
start with DuplicatePreparedStatementError (the supervisor had left a statement
of the same name on the server connection the worker got). Every pool now comes
from one factory with the same ALICE_DB_* options (`Database.from_settings`).
"""

from __future__ import annotations

import ast
import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest_asyncio

from alice_server.auth import mint_platform_token
from alice_server.testing import TestDatabase, running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import (
    context_service_pb2_grpc,
    privacy_service_pb2_grpc,
    tenant_service_pb2_grpc,
)
from chad_client.v1 import privacy_service_pb2 as priv
from chad_client.v1 import tenant_service_pb2 as tenants_pb
from tests.support.pgbouncer import pgbouncer, through
from tests.support.processes import clean_env, server_process

ROOT = Path(__file__).resolve().parents[1]


@pytest_asyncio.fixture
async def bounced(database: TestDatabase) -> AsyncIterator[TestDatabase]:
    """The test database's service and platform URLs through one pgbouncer in
    transaction mode (few server connections: statements left behind are met)."""
    roles = [database.app_role, f"{database.app_role}_platform"]
    async with pgbouncer(database.app_url, roles, pool_size=2) as port:
        yield TestDatabase(
            owner_url=database.owner_url,
            app_url=through(database.app_url, port),
            app_role=database.app_role,
            platform_url=through(database.platform_url, port),
        )


async def _platform_calls(address: str, secret: str, customer_id: int, rounds: int) -> list:
    admin = (("authorization", f"Bearer {mint_platform_token(secret)}"),)
    lookup = (("authorization", f"Bearer {mint_platform_token(secret, scope='platform:lookup')}"),)
    async with grpc.aio.insecure_channel(address) as channel:
        tenants = tenant_service_pb2_grpc.TenantServiceStub(channel)
        privacy = privacy_service_pb2_grpc.PrivacyServiceStub(channel)
        number = f"+1555{secrets.randbelow(10**7):07d}"
        created = await tenants.CreateCustomer(
            tenants_pb.CreateCustomerRequest(business_name="Bounce Co", twilio_number=number),
            metadata=admin,
            timeout=10,
        )

        async def one(i: int) -> object:
            kind = i % 4
            if kind == 0:
                return await tenants.ListCustomers(
                    tenants_pb.ListCustomersRequest(page_size=5), metadata=admin, timeout=10
                )
            if kind == 1:
                return await tenants.GetCustomer(
                    tenants_pb.GetCustomerRequest(customer_id=customer_id),
                    metadata=admin,
                    timeout=10,
                )
            if kind == 2:
                return await privacy.ListAuditRecords(
                    priv.ListAuditRecordsRequest(customer_id=customer_id),
                    metadata=admin,
                    timeout=10,
                )
            found = await tenants.LookupCustomerByNumber(
                tenants_pb.LookupCustomerByNumberRequest(phone_number=number),
                metadata=lookup,
                timeout=10,
            )
            assert found.customer.id == created.customer.id
            return found

        return await asyncio.gather(*(one(i) for i in range(rounds)), return_exceptions=True)


def _failures(results: list) -> list[str]:
    return [
        f"{r.code().name}: {r.details()}" if isinstance(r, grpc.aio.AioRpcError) else repr(r)
        for r in results
        if isinstance(r, BaseException)
    ]


async def test_platform_rpcs_through_pgbouncer_with_the_cache_off(bounced, secret, peterson):
    async with running_server(
        bounced.app_url,
        secret,
        db_statement_cache_size=0,
        rate_limit_per_second=0,
        platform_database_url=bounced.platform_url,
    ) as alice:
        results = await _platform_calls(alice.address, secret, peterson.id, 400)
    assert _failures(results) == []


async def test_two_workers_start_and_answer_through_pgbouncer(bounced, secret, peterson):
    env = clean_env(
        DATABASE_URL=bounced.app_url,
        ALICE_PLATFORM_DATABASE_URL=bounced.platform_url,
        JWT_SECRET_KEY=secret,
        ALICE_WORKERS="2",
        ALICE_DB_STATEMENT_CACHE_SIZE="0",
        ALICE_RATE_LIMIT_PER_SECOND="0",
        ALICE_SHUTDOWN_GRACE_SECONDS="2",
    )
    async with server_process(env) as (_, port, log):
        address = f"127.0.0.1:{port}"
        results = await _platform_calls(address, secret, peterson.id, 200)
        # Tenant calls too, over several connections (both workers).
        for _ in range(8):
            async with grpc.aio.insecure_channel(
                address, options=[("grpc.use_local_subchannel_pool", 1)]
            ) as channel:
                stub = context_service_pb2_grpc.ContextServiceStub(channel)
                response = await stub.GetEnrichedContext(
                    ctx.GetEnrichedContextRequest(user_id="+15550000078"),
                    metadata=peterson.metadata(),
                    timeout=10,
                )
                assert response.customer_id == peterson.id
    assert _failures(results) == []
    text = "".join(log)
    assert "PreparedStatement" not in text and "Traceback" not in text


def test_every_pool_comes_from_the_one_factory():
    """No pool built with options of its own: outside storage/database.py nothing
    constructs PoolOptions or Database directly, and nothing opens asyncpg pools."""
    offenders = []
    for path in (ROOT / "alice_server").rglob("*.py"):
        if path == ROOT / "alice_server/storage/database.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in ("PoolOptions", "Database", "asyncpg.create_pool"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}(...)")
    assert offenders == []
