"""chad_client on a bad day: expiring tokens, a database that goes away, a slow
server, a stopped server, and errors that must come back typed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import grpc
import jwt
import pytest

from alice_server.domain.summarizer import CallAnalysis, HeuristicSummarizer, TranscriptTurn
from alice_server.testing import running_server
from chad_client import (
    AliceClient,
    DeadlineExceeded,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RateLimited,
    RetryPolicy,
    SecretTokenProvider,
    Timeouts,
    Turn,
    Unauthenticated,
    Unavailable,
)
from tests.pgproxy import pg_proxy
from tests.support.client import Recorder

# ---------------------------------------------------------------------------- tokens


async def test_tokens_are_cached_and_renewed_before_expiry(alice, peterson, caller_phone):
    recorder = Recorder()
    provider = SecretTokenProvider(peterson.secret, ttl_seconds=3, renew_before_seconds=2)
    async with AliceClient(
        alice.address, token_provider=provider, interceptors=[recorder]
    ) as client:
        tenant = client.for_customer(peterson.id)
        await tenant.get_context_or_empty(caller_phone)
        await tenant.get_enriched_context(caller_phone)
        assert recorder.tokens[0] == recorder.tokens[1]  # cached
        await asyncio.sleep(1.1)  # under 2 s of the token's life left: renew
        await tenant.get_enriched_context(caller_phone)
    assert recorder.tokens[2] != recorder.tokens[1]
    claims = jwt.decode(recorder.tokens[2], peterson.secret, algorithms=["HS256"])
    assert claims["customer_id"] == peterson.id
    assert len(recorder.attempts) == 3  # no call failed


async def test_an_expired_cached_token_is_replaced_without_a_failed_rpc(
    alice, peterson, caller_phone
):
    now = [time.time() - 7200]  # the cached token was minted two hours ago...
    provider = SecretTokenProvider(peterson.secret, ttl_seconds=3600, clock=lambda: now[0])
    stale = provider.token_for_sync(peterson.id)
    now[0] = time.time()  # ...and has expired since
    recorder = Recorder()
    async with AliceClient(
        alice.address, token_provider=provider, interceptors=[recorder]
    ) as client:
        context = await client.for_customer(peterson.id).get_enriched_context(caller_phone)
    assert context.customer_id == peterson.id
    assert recorder.tokens and stale not in recorder.tokens
    assert len(recorder.attempts) == 1
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(stale, peterson.secret, algorithms=["HS256"])


async def test_a_token_the_server_refuses_as_expired_is_renewed_once(alice, peterson, caller_phone):
    # The client's clock runs two hours late: it believes its token is fresh.
    skew = [-7200.0]
    provider = SecretTokenProvider(peterson.secret, clock=lambda: time.time() + skew[0])
    recorder = Recorder()
    async with AliceClient(
        alice.address, token_provider=provider, interceptors=[recorder]
    ) as client:
        tenant = client.for_customer(peterson.id)
        with pytest.raises(Unauthenticated, match="expired") as refused:
            # The renewed token is minted with the same late clock: refused
            # again, and then the error is raised (one renewal, no loop).
            await tenant.get_enriched_context(caller_phone)
        assert len(recorder.attempts) == 2
        assert refused.value.reason == "TOKEN_EXPIRED"
        skew[0] = 0.0
        provider.invalidate(peterson.id)
        await tenant.get_enriched_context(caller_phone)


def test_secret_token_provider_checks_its_arguments():
    with pytest.raises(ValueError, match="32 bytes"):
        SecretTokenProvider("short")
    with pytest.raises(ValueError, match="renew_before"):
        SecretTokenProvider("s" * 40, ttl_seconds=60, renew_before_seconds=60)
    with pytest.raises(ValueError, match="positive"):
        SecretTokenProvider("s" * 40).token_for_sync(0)


# ---------------------------------------------------------------------------- retries


@pytest.fixture
async def flaky(database, secret):
    """A real server whose connection to PostgreSQL the test can cut."""
    async with (
        pg_proxy(database.app_url) as proxy,
        running_server(
            proxy.url, secret, rate_limit_per_second=0, customer_cache_seconds=0
        ) as server,
    ):
        yield server, proxy


def _client(server, secret, recorder, **kwargs):  # type: ignore[no-untyped-def]
    return AliceClient(server.address, secret=secret, interceptors=[recorder], **kwargs)


async def test_a_read_is_retried_on_unavailable_until_the_database_is_back(
    flaky, secret, peterson, caller_phone
):
    server, proxy = flaky
    recorder = Recorder()
    retry = RetryPolicy(max_attempts=10, initial_backoff=0.1, max_backoff=0.2)
    async with _client(server, secret, recorder, retry=retry) as client:
        tenant = client.for_customer(peterson.id)
        stored = await tenant.store_memory(caller_phone, "fact", "k", {"value": "v"})
        recorder.attempts.clear()
        proxy.cut()
        asyncio.get_running_loop().call_later(0.5, proxy.restore)
        memory = await tenant.get_memory(stored.memory.id, timeout=10)
    assert memory.value == {"value": "v"}
    assert len(recorder.attempts) >= 2  # failed while cut, then succeeded


async def test_retries_stop_after_max_attempts(flaky, secret, peterson, caller_phone):
    server, proxy = flaky
    recorder = Recorder()
    async with _client(
        server, secret, recorder, retry=RetryPolicy(max_attempts=3, initial_backoff=0.01)
    ) as client:
        tenant = client.for_customer(peterson.id)
        proxy.cut()
        with pytest.raises(Unavailable, match="database is unavailable") as down:
            await tenant.list_memories(caller_phone)
        assert down.value.reason == "DATABASE_UNAVAILABLE"
        assert recorder.attempts == ["ListMemories"] * 3
        recorder.attempts.clear()
        # The upsert and ProcessCall are idempotent by design: retried too.
        with pytest.raises(Unavailable):
            await tenant.store_memory(caller_phone, "fact", "k", {"value": "v"})
        with pytest.raises(Unavailable):
            await tenant.process_call(caller_phone, "CA-r", [Turn("caller", "hello")])
        assert recorder.attempts == ["StoreMemory"] * 3 + ["ProcessCall"] * 3


async def test_a_non_idempotent_write_is_never_retried(flaky, secret, peterson):
    server, proxy = flaky
    recorder = Recorder()
    async with _client(
        server, secret, recorder, retry=RetryPolicy(max_attempts=5, initial_backoff=0.01)
    ) as client:
        proxy.cut()
        with pytest.raises(Unavailable):
            await client.for_customer(peterson.id).delete_memory(
                "00000000-0000-4000-8000-000000000000"
            )
    assert recorder.attempts == ["DeleteMemory"]


async def test_invalid_argument_is_never_retried(alice, secret, peterson):
    recorder = Recorder()
    async with AliceClient(alice.address, secret=secret, interceptors=[recorder]) as client:
        with pytest.raises(InvalidArgument, match="UUID") as failure:
            await client.for_customer(peterson.id).get_memory("not-a-uuid")
    assert recorder.attempts == ["GetMemory"]
    assert failure.value.code == grpc.StatusCode.INVALID_ARGUMENT


# ---------------------------------------------------------------------------- deadlines


class SlowSummarizer:
    """A deliberately slow handler: the summariser takes 30 seconds."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def analyze(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        self.started.set()
        await asyncio.sleep(30)
        return await HeuristicSummarizer().analyze(turns)


async def test_deadline_against_a_slow_handler(database, secret, peterson, caller_phone):
    slow = SlowSummarizer()
    async with running_server(database.app_url, secret, summarizer=slow) as server:
        timeouts = Timeouts(process_call=0.5)
        async with AliceClient(server.address, secret=secret, timeouts=timeouts) as client:
            tenant = client.for_customer(peterson.id)
            began = time.monotonic()
            with pytest.raises(DeadlineExceeded):
                await tenant.process_call(caller_phone, "CA-slow", [Turn("caller", "hello")])
            with pytest.raises(DeadlineExceeded):  # a per-call deadline overrides the default
                await tenant.process_call(
                    caller_phone, "CA-slow", [Turn("caller", "hello")], timeout=0.2
                )
            waited = time.monotonic() - began
            assert slow.started.is_set()
            # Not a speed check: the client did not wait for the 30 s handler.
            assert waited < 15
            # The abandoned call recorded nothing.
            assert (await tenant.list_call_summaries(caller_phone)).items == []


# ---------------------------------------------------------------------------- fail-soft


async def test_fail_soft_context_with_the_server_stopped(
    database, secret, peterson, caller, caplog
):
    async with running_server(database.app_url, secret) as server:
        address = server.address
    # The server is stopped now: nothing listens on its port.
    async with AliceClient(address, secret=secret) as client:
        tenant = client.for_customer(peterson.id)
        with caplog.at_level(logging.WARNING, logger="chad_client"):
            began = time.monotonic()
            context = await tenant.get_context_or_empty(caller, timeout=0.5)
            waited = time.monotonic() - began
        assert context.degraded and context.is_new_caller
        assert context.text == "" and context.memories == [] and context.summaries == []
        assert context.customer_id == peterson.id and context.user_id == caller
        assert (
            "Unavailable" in context.degraded_reason
            or "DeadlineExceeded" in context.degraded_reason
        )
        assert "continuing without it" in caplog.text
        assert waited < 5  # not a speed check: it did not hang
        assert not await client.health(timeout=0.5)
        with pytest.raises((Unavailable, DeadlineExceeded)):  # the raising variant raises
            await tenant.get_enriched_context(caller, timeout=0.5)


async def test_fail_soft_context_with_a_slow_database(database, secret, peterson, caller):
    async with (
        pg_proxy(database.app_url) as proxy,
        running_server(proxy.url, secret, customer_cache_seconds=0) as server,
        AliceClient(server.address, secret=secret) as client,
    ):
        proxy.delay = 2.0  # every packet to and from PostgreSQL waits 2 s
        context = await client.for_customer(peterson.id).get_context_or_empty(caller, timeout=0.3)
        proxy.delay = 0.0
    assert context.degraded and "DeadlineExceeded" in context.degraded_reason


# ---------------------------------------------------------------------------- errors, health


async def test_statuses_come_back_as_typed_exceptions(alice, database, secret, peterson, caller):
    async with AliceClient(alice.address, secret=secret) as client:
        tenant = client.for_customer(peterson.id)
        with pytest.raises(NotFound, match="not found") as not_found:
            await tenant.get_memory("00000000-0000-4000-8000-000000000000")
        assert not_found.value.reason is None  # the server sent no ErrorInfo
        with pytest.raises(NotFound):
            await tenant.get_caller_profile(caller)
        with pytest.raises(InvalidArgument, match="query is required"):
            await tenant.search_memories(caller, "")
        with pytest.raises(PermissionDenied, match="does not exist"):
            await client.for_customer(10**12).get_enriched_context(caller)
        assert await client.health()
        assert await client.health("alice.memory.v1.ContextService")
    async with AliceClient(alice.address, secret="w" * 40) as wrong_secret:
        with pytest.raises(Unauthenticated, match="signature") as refused:
            await wrong_secret.for_customer(peterson.id).get_enriched_context(caller)
    assert refused.value.reason == "TOKEN_INVALID"
    read_only = SecretTokenProvider(secret, scope="memory:read")
    async with AliceClient(alice.address, token_provider=read_only) as reader:
        with pytest.raises(PermissionDenied, match="memory:write"):
            await reader.for_customer(peterson.id).store_memory(caller, "fact", "k", {"v": 1})


async def test_rate_limited_carries_the_retry_delay(database, secret, peterson, caller):
    async with (
        running_server(
            database.app_url, secret, rate_limit_per_second=0.5, rate_limit_burst=1
        ) as server,
        AliceClient(server.address, secret=secret) as client,
    ):
        tenant = client.for_customer(peterson.id)
        await tenant.get_enriched_context(caller)
        with pytest.raises(RateLimited) as failure:
            await tenant.get_enriched_context(caller)
    assert failure.value.retry_after is not None and 0 < failure.value.retry_after <= 2
    assert failure.value.reason == "RATE_LIMITED"


def test_client_arguments_are_checked():
    with pytest.raises(ValueError, match="exactly one"):
        AliceClient("127.0.0.1:1")
    with pytest.raises(ValueError, match="positive"):
        AliceClient("127.0.0.1:1", secret="s" * 40).for_customer(0)
    with pytest.raises(ValueError, match="role"):
        from chad_client.models import turns

        turns([("robot", "beep")])


@pytest.fixture
def caller(caller_phone):
    return caller_phone
