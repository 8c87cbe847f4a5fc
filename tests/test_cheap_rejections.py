"""Cheap rejections come first: the rate limit is checked before any database
lookup, so a tenant over its limit costs the database nothing."""

from __future__ import annotations

import asyncpg
import grpc
import pytest

from alice_server.server import start_server
from alice_server.storage.database import Database
from alice_server.storage.models import Customer
from alice_server.testing import running_server, settings_for_tests
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc
from tests.helpers import status_of


async def test_the_rate_limit_is_checked_before_the_customer_lookup(secret, peterson):
    # Nothing listens on port 1: any database lookup would answer UNAVAILABLE.
    database = Database("postgresql://alice@127.0.0.1:1/alice")
    settings = settings_for_tests(rate_limit_per_second=0.01, rate_limit_burst=1)
    server = await start_server(settings, database, secret)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = context_service_pb2_grpc.ContextServiceStub(channel)
            request = ctx.GetEnrichedContextRequest(user_id="+15550000000")
            first, _ = await status_of(
                stub.GetEnrichedContext(request, metadata=peterson.metadata())
            )
            second, details = await status_of(
                stub.GetEnrichedContext(request, metadata=peterson.metadata())
            )
    finally:
        await server.stop(0)
        await database.close()
    assert first == grpc.StatusCode.UNAVAILABLE  # the one call the bucket allowed looked it up
    assert second == grpc.StatusCode.RESOURCE_EXHAUSTED  # refused before any lookup
    assert "rate limit" in details


@pytest.mark.skipif(
    "rate_limit_per_second" not in Customer.__table__.c,
    reason="customers.rate_limit_per_second arrives with migration 0005",
)
async def test_a_customers_own_rate_limit_is_used(database, secret, peterson, smith):
    owner = await asyncpg.connect(database.owner_url)
    try:
        await owner.execute(
            "UPDATE customers SET rate_limit_per_second = 1 WHERE id = $1", peterson.id
        )
    finally:
        await owner.close()
    async with (
        running_server(
            database.app_url, secret, rate_limit_per_second=100, rate_limit_burst=200
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        stub = context_service_pb2_grpc.ContextServiceStub(channel)
        request = ctx.GetEnrichedContextRequest(user_id="+15550000000")
        codes = []
        for _ in range(6):
            try:
                await stub.GetEnrichedContext(request, metadata=peterson.metadata())
                codes.append(grpc.StatusCode.OK)
            except grpc.aio.AioRpcError as exc:
                codes.append(exc.code())
        for _ in range(6):  # the default limit for a customer without its own
            await stub.GetEnrichedContext(request, metadata=smith.metadata())
    # The first call reads the customer's limit; from then on 1/s with a bucket of 2.
    assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes
    assert codes.count(grpc.StatusCode.OK) <= 4
