"""Rate limiting shared by replicas: an atomic token bucket per customer in Redis.

ALICE_RATE_LIMIT_BACKEND=memory (the default) keeps the buckets in each server
process (`alice_server.domain.ratelimit.RateLimiter`): N replicas then allow N
times the rate. ALICE_RATE_LIMIT_BACKEND=redis keeps them in Redis
(ALICE_REDIS_URL), so that every replica draws from one bucket per customer.

One Lua script reads, refills and takes from a bucket in one step (Redis runs
a script atomically), with Redis's own clock, so replicas with skewed clocks
still agree.

When Redis cannot be reached (a documented choice): the server keeps serving
and falls back to the in-process buckets with the same limits, so each
replica still holds every customer to the per-replica rate; it logs a warning
(at most every 30 s) and tries Redis again after 1 s. Failing closed would
turn a Redis outage into an outage of every tenant; failing open without a
local limit would let one tenant flood the database while Redis is down.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

import redis.asyncio as aioredis
import redis.exceptions

from alice_server.domain.ratelimit import Limit, RateLimiter, exceeded

logger = logging.getLogger("alice.ratelimit")

KEY_PREFIX = "alice:ratelimit:"
RETRY_REDIS_AFTER_SECONDS = 1.0
WARN_EVERY_SECONDS = 30.0
REDIS_TIMEOUT_SECONDS = 0.25

# KEYS[1]: the bucket; ARGV: rate (calls/s), burst (bucket size).
# Returns {1, "0"} when a call was taken, {0, "<seconds to wait>"} when not.
BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1])
local at = tonumber(bucket[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local taken = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {taken, tostring(wait)}
"""


class Limiter(Protocol):
    async def acquire(self, key: int, rate: float | None = None) -> None: ...

    async def close(self) -> None: ...


class RedisRateLimiter:
    """Token buckets in Redis (ALICE_RATE_LIMIT_BACKEND=redis)."""

    def __init__(self, url: str, rate: float, burst: int) -> None:
        self.limit = Limit(rate, float(burst))
        self._redis = aioredis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry_on_timeout=False,
        )
        self._script = self._redis.register_script(BUCKET_SCRIPT)
        self._fallback = RateLimiter(rate, burst)
        self._down_until = 0.0
        self._warned_at = -WARN_EVERY_SECONDS

    async def acquire(self, key: int, rate: float | None = None) -> None:
        limit = self.limit.scaled(rate)
        if limit.rate <= 0:
            return
        now = time.monotonic()
        if now < self._down_until:
            self._fallback.take(key, rate)
            return
        try:
            taken, wait = await self._script(
                keys=[f"{KEY_PREFIX}{key}"], args=[repr(limit.rate), repr(limit.burst)]
            )
        except (redis.exceptions.RedisError, OSError) as exc:
            self._redis_down(now, exc)
            self._fallback.take(key, rate)
            return
        if int(taken) != 1:
            raise exceeded(limit, float(wait))

    def _redis_down(self, now: float, exc: BaseException) -> None:
        self._down_until = now + RETRY_REDIS_AFTER_SECONDS
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning(
                "Redis rate-limit backend unreachable (%s); limiting in this process "
                "until it answers again",
                type(exc).__name__,
            )

    async def close(self) -> None:
        await self._redis.aclose()


def build_limiter(backend: str, redis_url: str, rate: float, burst: int) -> Limiter:
    if backend == "redis":
        return RedisRateLimiter(redis_url, rate, burst)
    return RateLimiter(rate, burst)
