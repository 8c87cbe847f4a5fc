"""Rate limits shared by replicas through Redis (ALICE_RATE_LIMIT_BACKEND=redis):
an atomic token bucket, two server processes holding one combined rate, and the
documented behaviour when Redis is down (each replica limits on its own).

Each test starts a redis-server of its own on a free port (the machine's Redis on
6379 is left alone), so that it can stop it."""

from __future__ import annotations

import asyncio
import shutil
import time

import grpc
import pytest

from alice_server.domain.errors import ResourceExhausted
from alice_server.domain.ratelimit import RateLimiter
from alice_server.ratelimit import RedisRateLimiter
from alice_server.testing import running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc
from tests.helpers import status_of
from tests.support.processes import clean_env, server_process

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")

REQUEST = ctx.GetEnrichedContextRequest(user_id="+15550000077")


async def _taken(
    limiter: RedisRateLimiter | RateLimiter, key: int, rate: float | None = None
) -> bool:
    try:
        await limiter.acquire(key, rate)
    except ResourceExhausted as exc:
        assert exc.retry_after > 0
        return False
    return True


async def test_the_redis_bucket_is_shared_and_atomic(redis_process):
    # Two limiters are two replicas; 40 concurrent takes from a bucket of 5.
    # On a loaded machine a Redis answer can take longer than the limiter's timeout,
    # and that take falls back to the replica's own bucket, as designed: such a round
    # says nothing about atomicity, so it is run again for another customer.
    judged = False
    for attempt in range(3):
        replicas = [RedisRateLimiter(redis_process.url, rate=0.01, burst=5) for _ in range(2)]
        customer = 11 + 100 * attempt
        try:
            results = await asyncio.gather(*(_taken(replicas[i % 2], customer) for i in range(40)))
            if any(replica._down_until for replica in replicas):
                continue
            assert sum(results) == 5
            assert await _taken(replicas[0], customer + 1)  # another customer: its own bucket
            judged = True
            break
        finally:
            for limiter in replicas:
                await limiter.close()
    assert judged, "Redis timed out in every round"


async def test_a_customers_own_rate_replaces_the_default(redis_process):
    redis_limiter = RedisRateLimiter(redis_process.url, rate=100, burst=200)
    memory = RateLimiter(rate=100, burst=200)
    try:
        for limiter in (redis_limiter, memory):
            # A customer limited to 1/s gets a bucket of 2 (the default's 2 s of calls).
            results = [await _taken(limiter, 21, rate=1) for _ in range(5)]
            assert results == [True, True, False, False, False]
            assert all([await _taken(limiter, 22) for _ in range(50)])
    finally:
        await redis_limiter.close()


async def test_when_redis_is_down_each_replica_limits_on_its_own(
    redis_process, database, secret, peterson, caplog
):
    async with (
        running_server(
            database.app_url,
            secret,
            rate_limit_backend="redis",
            redis_url=redis_process.url,
            rate_limit_per_second=0.02,
            rate_limit_burst=3,
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        stub = context_service_pb2_grpc.ContextServiceStub(channel)
        for _ in range(3):
            await stub.GetEnrichedContext(REQUEST, metadata=peterson.metadata())
        code, _ = await status_of(stub.GetEnrichedContext(REQUEST, metadata=peterson.metadata()))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED  # Redis's bucket is empty

        redis_process.stop()
        # Served, and still limited: by this process's own bucket (full at first).
        codes = []
        for _ in range(6):
            try:
                await stub.GetEnrichedContext(REQUEST, metadata=peterson.metadata(), timeout=5)
                codes.append(grpc.StatusCode.OK)
            except grpc.aio.AioRpcError as exc:
                codes.append(exc.code())
        assert codes[:3] == [grpc.StatusCode.OK] * 3
        assert set(codes[3:]) == {grpc.StatusCode.RESOURCE_EXHAUSTED}
        assert any("Redis rate-limit backend unreachable" in r.getMessage() for r in caplog.records)


async def test_two_server_processes_hold_one_combined_rate(
    redis_process, database, secret, peterson
):
    rate, burst = 2, 10
    env = clean_env(
        DATABASE_URL=database.app_url,
        JWT_SECRET_KEY=secret,
        ALICE_RATE_LIMIT_BACKEND="redis",
        ALICE_REDIS_URL=redis_process.url,
        ALICE_RATE_LIMIT_PER_SECOND=str(rate),
        ALICE_RATE_LIMIT_BURST=str(burst),
        ALICE_SUMMARIZER_PROCESSES="0",
    )
    async with (
        server_process(env) as (_, port_a, _),
        server_process(env) as (_, port_b, _),
        grpc.aio.insecure_channel(f"127.0.0.1:{port_a}") as a,
        grpc.aio.insecure_channel(f"127.0.0.1:{port_b}") as b,
    ):
        stubs = [context_service_pb2_grpc.ContextServiceStub(c) for c in (a, b)]
        metadata = peterson.metadata()
        accepted = [0, 0]
        started = time.monotonic()
        for i in range(60):
            try:
                await stubs[i % 2].GetEnrichedContext(REQUEST, metadata=metadata)
                accepted[i % 2] += 1
            except grpc.aio.AioRpcError as exc:
                assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        elapsed = time.monotonic() - started
    # One bucket for both: burst + rate x time (not 2 x burst, as per-process buckets give).
    assert sum(accepted) <= burst + rate * elapsed + 1, (accepted, elapsed)
    assert accepted[0] > 0 and accepted[1] > 0
