"""The asyncio client: one channel per process, a tenant-bound view per call.

    async with AliceClient("alice.internal:50051", secret=JWT_SECRET_KEY) as alice:
        tenant = alice.for_customer(customer_id)
        context = await tenant.get_context_or_empty("+15551234567")

Every RPC has a deadline (`timeout`, seconds; defaults below, overridable per
call), is retried on UNAVAILABLE only when it is safe to repeat (see
`chad_client.retry`), and fails with a typed exception (`chad_client.errors`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from chad_client import errors, models
from chad_client.models import (
    CallerProfile,
    CallResult,
    CallSummary,
    EnrichedContext,
    Memory,
    Page,
    Personality,
    Scope,
    SearchHit,
    StoredMemory,
    TurnLike,
)
from chad_client.retry import RetryPolicy
from chad_client.tokens import SecretTokenProvider, TokenProvider
from chad_client.v1 import context_service_pb2 as ctx_pb
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem_pb

logger = logging.getLogger("chad_client")

R = TypeVar("R")
T = TypeVar("T")

SETTINGS_TYPE = "admin_setting"
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Timeouts:
    """Default deadlines, in seconds.

    `context` guards the start of a phone call: the agent must start speaking
    without waiting long, so it is short. `process_call` allows for a slower
    summariser at the end of a call.
    """

    default: float = 5.0
    context: float = 1.0
    process_call: float = 15.0


class AliceClient:
    """Asyncio client of Alice. Create one per process (it owns one channel)."""

    def __init__(
        self,
        target: str,
        *,
        secret: str | None = None,
        token_provider: TokenProvider | None = None,
        secure: bool = False,
        root_certificates: bytes | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        max_message_bytes: int = 4 * 1024 * 1024,
        interceptors: Sequence[grpc.aio.ClientInterceptor] | None = None,
    ) -> None:
        """`target` is host:port. Give the shared `secret` (JWT_SECRET_KEY) or a
        `token_provider`. `secure=True` uses TLS (system roots unless
        `root_certificates`, PEM, is given)."""
        if (secret is None) == (token_provider is None):
            raise ValueError("give exactly one of secret or token_provider")
        self.tokens: TokenProvider = token_provider or SecretTokenProvider(secret or "")
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        options = [
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            # Retries are ours (only where safe); keepalive finds dead connections.
            ("grpc.enable_retries", 0),
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_timeout_ms", 10_000),
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 5_000),
        ]
        if secure:
            credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            self.channel = grpc.aio.secure_channel(
                target, credentials, options, interceptors=interceptors
            )
        else:
            self.channel = grpc.aio.insecure_channel(target, options, interceptors=interceptors)
        self._memory = memory_service_pb2_grpc.MemoryServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self._context = context_service_pb2_grpc.ContextServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self._health = health_pb2_grpc.HealthStub(self.channel)

    def for_customer(self, customer_id: int) -> TenantClient:
        """A view of the client whose every call acts for `customer_id`."""
        if type(customer_id) is not int or customer_id <= 0:
            raise ValueError("customer_id must be a positive integer")
        return TenantClient(self, customer_id)

    async def health(self, service: str = "", *, timeout: float | None = None) -> bool:
        """True when Alice reports SERVING (for `service`, or the server as a whole)."""
        try:
            response = await self._health.Check(
                health_pb2.HealthCheckRequest(service=service),
                timeout=timeout or self.timeouts.default,
            )
        except grpc.aio.AioRpcError as exc:
            logger.info("Alice health check failed: %s %s", exc.code().name, exc.details())
            return False
        return bool(response.status == health_pb2.HealthCheckResponse.SERVING)

    async def close(self, grace: float | None = None) -> None:
        await self.channel.close(grace)

    async def __aenter__(self) -> AliceClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _call(
        self,
        customer_id: int,
        method: Callable[..., Awaitable[R]],
        request: Any,
        *,
        timeout: float,
        idempotent: bool,
    ) -> R:
        """One RPC within one deadline: token, retries, typed errors."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        retries = 0
        token_renewed = False
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise errors.DeadlineExceeded(
                    "the deadline expired before Alice answered", grpc.StatusCode.DEADLINE_EXCEEDED
                )
            token = await self.tokens.token_for(customer_id)
            try:
                return await method(
                    request, timeout=remaining, metadata=(("authorization", f"Bearer {token}"),)
                )
            except grpc.aio.AioRpcError as exc:
                code = exc.code()
                # A token refused as expired (clock skew, a revoked cache): the
                # server did nothing, so one retry with a fresh token is safe. The
                # server says so with the ErrorInfo reason TOKEN_EXPIRED.
                invalidate = getattr(self.tokens, "invalidate", None)
                if (
                    code == grpc.StatusCode.UNAUTHENTICATED
                    and not token_renewed
                    and invalidate is not None
                    and errors.error_reason(exc) == errors.RENEW_REASON
                ):
                    invalidate(customer_id)
                    token_renewed = True
                    continue
                if (
                    code == grpc.StatusCode.UNAVAILABLE
                    and idempotent
                    and retries + 1 < self.retry.max_attempts
                ):
                    delay = self.retry.backoff(retries)
                    if loop.time() + delay < deadline:
                        logger.info(
                            "Alice unavailable (%s); retrying in %.0f ms",
                            exc.details(),
                            delay * 1000,
                        )
                        retries += 1
                        await asyncio.sleep(delay)
                        continue
                raise errors.from_rpc_error(exc) from exc


class TenantClient:
    """The calls of one customer (tenant). Get it from `AliceClient.for_customer`."""

    def __init__(self, client: AliceClient, customer_id: int) -> None:
        self.client = client
        self.customer_id = customer_id

    async def _rpc(
        self,
        method: Callable[..., Awaitable[R]],
        request: Any,
        timeout: float | None,
        default: float,
        *,
        idempotent: bool,
    ) -> R:
        return await self.client._call(
            self.customer_id,
            method,
            request,
            timeout=default if timeout is None else timeout,
            idempotent=idempotent,
        )

    # ------------------------------------------------------------------ call start / end

    async def get_enriched_context(
        self,
        user_id: str,
        *,
        num_summaries: int | None = None,
        num_memories: int | None = None,
        timeout: float | None = None,
    ) -> EnrichedContext:
        """Everything Alice knows about the caller (raises on failure)."""
        request = ctx_pb.GetEnrichedContextRequest(
            user_id=user_id, num_summaries=num_summaries, num_memories=num_memories
        )
        response = await self._rpc(
            self.client._context.GetEnrichedContext,
            request,
            timeout,
            self.client.timeouts.context,
            idempotent=True,
        )
        return models.enriched_context(response)

    async def get_context_or_empty(
        self,
        user_id: str,
        *,
        num_summaries: int | None = None,
        num_memories: int | None = None,
        timeout: float | None = None,
    ) -> EnrichedContext:
        """The call-start helper: never raises for Alice's failures.

        When Alice is slow, down or refuses the call, returns an empty context
        (`degraded` True, `degraded_reason` saying why) within the deadline and
        logs the reason, so the agent can start speaking anyway.
        """
        try:
            return await self.get_enriched_context(
                user_id, num_summaries=num_summaries, num_memories=num_memories, timeout=timeout
            )
        except errors.AliceError as exc:
            transient = isinstance(
                exc, errors.Unavailable | errors.DeadlineExceeded | errors.RateLimited
            )
            logger.log(
                logging.WARNING if transient else logging.ERROR,
                "Alice context unavailable for customer %d, continuing without it: %s: %s",
                self.customer_id,
                type(exc).__name__,
                exc.details,
            )
            return EnrichedContext.empty(
                self.customer_id, user_id, f"{type(exc).__name__}: {exc.details}"
            )

    async def process_call(
        self,
        user_id: str,
        call_id: str,
        turns: Iterable[TurnLike],
        *,
        started_at: dt.datetime | None = None,
        ended_at: dt.datetime | None = None,
        timeout: float | None = None,
    ) -> CallResult:
        """Summarise and record a finished call. Safe to retry: idempotent on call_id."""
        request = ctx_pb.ProcessCallRequest(
            user_id=user_id,
            call_id=call_id,
            turns=models.turns(turns),
            started_at=models.timestamp(started_at) if started_at else None,
            ended_at=models.timestamp(ended_at) if ended_at else None,
        )
        response = await self._rpc(
            self.client._context.ProcessCall,
            request,
            timeout,
            self.client.timeouts.process_call,
            idempotent=True,
        )
        return models.call_result(response)

    # ------------------------------------------------------------------ memories

    async def store_memory(
        self,
        user_id: str,
        type: str,
        key: str,
        value: dict[str, Any],
        *,
        scope: Scope = "user",
        ttl_days: int = 0,
        source: str = "",
        timeout: float | None = None,
    ) -> StoredMemory:
        """Create or update the memory (scope, user_id, type, key). Safe to retry."""
        request = mem_pb.StoreMemoryRequest(
            user_id=user_id,
            scope=models.scope_enum(scope),
            type=type,
            key=key,
            value=models.struct(value),
            ttl_days=ttl_days,
            source=source,
        )
        response = await self._rpc(
            self.client._memory.StoreMemory,
            request,
            timeout,
            self.client.timeouts.default,
            idempotent=True,
        )
        return models.stored_memory(response)

    async def store_shared_memory(
        self,
        type: str,
        key: str,
        value: dict[str, Any],
        *,
        ttl_days: int = 0,
        source: str = "",
        timeout: float | None = None,
    ) -> StoredMemory:
        """A memory of the tenant as a whole (settings, office hours...)."""
        return await self.store_memory(
            "",
            type,
            key,
            value,
            scope="shared",
            ttl_days=ttl_days,
            source=source,
            timeout=timeout,
        )

    async def get_settings(
        self, type: str = SETTINGS_TYPE, *, timeout: float | None = None
    ) -> dict[str, dict[str, Any]]:
        """The tenant's settings in one call: {key: value} of its shared memories of
        `type` ("admin_setting" by default), e.g. agent_name, greeting templates."""
        memories = self.iter_memories(
            "", type=type, include_shared=True, page_size=MAX_PAGE_SIZE, timeout=timeout
        )
        return {memory.key: memory.value async for memory in memories}

    async def get_memory(self, memory_id: str, *, timeout: float | None = None) -> Memory:
        response = await self._rpc(
            self.client._memory.GetMemory,
            mem_pb.GetMemoryRequest(id=memory_id),
            timeout,
            self.client.timeouts.default,
            idempotent=True,
        )
        return models.memory(response.memory)

    async def delete_memory(self, memory_id: str, *, timeout: float | None = None) -> None:
        """Delete a memory. Never retried automatically (a repeat would be NOT_FOUND)."""
        await self._rpc(
            self.client._memory.DeleteMemory,
            mem_pb.DeleteMemoryRequest(id=memory_id),
            timeout,
            self.client.timeouts.default,
            idempotent=False,
        )

    async def list_memories(
        self,
        user_id: str = "",
        *,
        type: str = "",
        include_shared: bool = False,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[Memory]:
        """One page, newest first. user_id "" with include_shared lists shared memories."""
        request = mem_pb.ListMemoriesRequest(
            user_id=user_id,
            type=type,
            include_shared=include_shared,
            page_size=page_size,
            page_token=page_token,
        )
        response = await self._rpc(
            self.client._memory.ListMemories,
            request,
            timeout,
            self.client.timeouts.default,
            idempotent=True,
        )
        return models.page([models.memory(m) for m in response.memories], response.next_page_token)

    def iter_memories(
        self,
        user_id: str = "",
        *,
        type: str = "",
        include_shared: bool = False,
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[Memory]:
        """Every memory, page after page (each page has its own deadline)."""
        return _every_item(
            lambda token: self.list_memories(
                user_id,
                type=type,
                include_shared=include_shared,
                page_size=page_size,
                page_token=token,
                timeout=timeout,
            )
        )

    async def search_memories(
        self,
        user_id: str,
        query: str,
        *,
        types: Sequence[str] = (),
        include_shared: bool = False,
        limit: int = 0,
        timeout: float | None = None,
    ) -> list[SearchHit]:
        """Full-text search, most relevant first."""
        request = mem_pb.SearchMemoriesRequest(
            user_id=user_id,
            query=query,
            types=list(types),
            include_shared=include_shared,
            limit=limit,
        )
        response = await self._rpc(
            self.client._memory.SearchMemories,
            request,
            timeout,
            self.client.timeouts.default,
            idempotent=True,
        )
        return [SearchHit(models.memory(r.memory), r.score) for r in response.results]

    # ------------------------------------------------------------------ callers (admin)

    async def get_caller_profile(
        self, user_id: str, *, timeout: float | None = None
    ) -> CallerProfile:
        response = await self._rpc(
            self.client._context.GetCallerProfile,
            ctx_pb.GetCallerProfileRequest(user_id=user_id),
            timeout,
            self.client.timeouts.default,
            idempotent=True,
        )
        return models.caller_profile(response.profile)

    async def list_caller_profiles(
        self, *, page_size: int = 0, page_token: str = "", timeout: float | None = None
    ) -> Page[CallerProfile]:
        response = await self._rpc(
            self.client._context.ListCallerProfiles,
            ctx_pb.ListCallerProfilesRequest(page_size=page_size, page_token=page_token),
            timeout,
            self.client.timeouts.default,
            idempotent=True,
        )
        return models.page(
            [models.caller_profile(p) for p in response.profiles], response.next_page_token
        )

    def iter_caller_profiles(
        self, *, page_size: int = 0, timeout: float | None = None
    ) -> AsyncIterator[CallerProfile]:
        return _every_item(
            lambda token: self.list_caller_profiles(
                page_size=page_size, page_token=token, timeout=timeout
            )
        )

    async def get_personality(self, user_id: str, *, timeout: float | None = None) -> Personality:
        response = await self._rpc(
            self.client._context.GetPersonality,
            ctx_pb.GetPersonalityRequest(user_id=user_id),
            timeout,
            self.client.timeouts.default,
            idempotent=True,
        )
        return models.personality(response.personality)

    async def list_call_summaries(
        self,
        user_id: str = "",
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[CallSummary]:
        """Newest call first; every caller's when user_id is empty."""
        response = await self._rpc(
            self.client._context.ListCallSummaries,
            ctx_pb.ListCallSummariesRequest(
                user_id=user_id, page_size=page_size, page_token=page_token
            ),
            timeout,
            self.client.timeouts.default,
            idempotent=True,
        )
        return models.page(
            [models.call_summary(s) for s in response.summaries], response.next_page_token
        )

    def iter_call_summaries(
        self, user_id: str = "", *, page_size: int = 0, timeout: float | None = None
    ) -> AsyncIterator[CallSummary]:
        return _every_item(
            lambda token: self.list_call_summaries(
                user_id, page_size=page_size, page_token=token, timeout=timeout
            )
        )


async def _every_item(fetch: Callable[[str], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    token = ""
    while True:
        page = await fetch(token)
        for item in page.items:
            yield item
        token = page.next_page_token
        if not token:
            return
