"""Cheap rejections come first: the rate limit is checked before any database
lookup, so a tenant over its limit costs the database nothing."""

from __future__ import annotations

import grpc

from alice_server.server import AliceServer
from alice_server.storage.database import Database
from alice_server.testing import settings_for_tests
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc
from tests.helpers import status_of


async def test_the_rate_limit_is_checked_before_the_customer_lookup(secret, peterson):
    # Nothing listens on port 1: any database lookup would answer UNAVAILABLE.
    database = Database("postgresql://alice@127.0.0.1:1/alice")
    settings = settings_for_tests(rate_limit_per_second=0.01, rate_limit_burst=1)
    server = AliceServer(settings, database, secret)
    await server.start()
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
