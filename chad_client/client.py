"""The asyncio client: one channel per process, a tenant-bound view per call.

    async with AliceClient("alice.internal:50051", secret=JWT_SECRET_KEY) as alice:
        tenant = alice.for_customer(customer_id)
        context = await tenant.get_context_or_empty("+15551234567")

Every RPC has a deadline (`timeout`, seconds; the default is its proto
method's, in `DEADLINES` below, overridable per call), is retried on
UNAVAILABLE only when its proto method says it is safe to repeat (see
`chad_client.retry`), and fails with a typed exception (`chad_client.errors`).
The RPCs themselves, one `Rpc` and one thin wrapper each, are generated from
the proto into `chad_client.rpcs`; `chad_client.transport` makes the calls.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from chad_client import errors, models, tenants
from chad_client.channel import Target, channel_options, channel_target
from chad_client.models import (
    AppendResult,
    CallerProfile,
    CallRecord,
    CallResult,
    CallSummary,
    CallTranscript,
    Direction,
    EnrichedContext,
    FollowUp,
    FollowUpStatus,
    Memory,
    MemoryHistoryEntry,
    Page,
    Personality,
    Scope,
    SearchHit,
    SearchMode,
    StoredMemory,
    TenantStats,
    TranscriptTurn,
    TurnLike,
)
from chad_client.platform import PlatformClient, PlatformTokenMinter
from chad_client.read_your_writes import ReadYourWrites
from chad_client.retry import RetryPolicy
from chad_client.rpcs import RPCS, TenantMethods, TenantRpcs
from chad_client.tenant_info import (
    MAX_PAGE_SIZE,
    SETTINGS_TYPE,
    CallStart,
    TenantInfo,
    TenantInfoCache,
    TenantInfoSource,
    TenantProfile,
    TenantServiceSource,
)
from chad_client.tenants import AuditRecord, Customer, Erasure, ExportedRow, TenantSettings
from chad_client.tokens import SecretTokenProvider, TokenProvider
from chad_client.transport import REQUEST_ID_HEADER as REQUEST_ID_HEADER
from chad_client.transport import Credentials, TokenSource, Transport
from chad_client.v1 import call_service_pb2 as call_pb
from chad_client.v1 import context_service_pb2 as ctx_pb
from chad_client.v1 import follow_up_service_pb2 as fu_pb
from chad_client.v1 import memory_service_pb2 as mem_pb
from chad_client.v1 import privacy_service_pb2 as priv_pb
from chad_client.v1 import tenant_service_pb2 as ten_pb

logger = logging.getLogger("chad_client")

T = TypeVar("T")

# Every deadline of the client, in seconds, in one table, tuned for a phone
# call. Call start is on the hot path: the agent must start speaking within a
# second, with or without Alice. During the call, writes happen between the
# caller's sentences and must not pile up. Call end (summarising) and the
# admin screens can wait longer. Each RPC's deadline is declared on its proto
# method, (default_deadline_seconds), and comes through chad_client.rpcs; the
# entries that are not RPCs are declared here.
DEADLINES: Mapping[str, float] = MappingProxyType(
    {
        "start_call": 0.9,  # the whole of start_call (the parts run concurrently)
        "tenant_info": 0.9,  # tenant profile + settings (cached per tenant)
        "Health": 5.0,
        **{name: rpc.deadline for name, rpc in RPCS.items()},
    }
)


@dataclass(frozen=True)
class Timeouts:
    """Deadlines in seconds: `DEADLINES`, with overrides.

    `per_method` overrides entries of `DEADLINES` by name; `context` and
    `process_call` are shorthands for "GetEnrichedContext" and "ProcessCall";
    `default` is for a name the table does not have.
    """

    default: float = 5.0
    context: float = DEADLINES["GetEnrichedContext"]
    process_call: float = DEADLINES["ProcessCall"]
    per_method: Mapping[str, float] = field(default_factory=dict)

    def of(self, name: str) -> float:
        if name in self.per_method:
            return self.per_method[name]
        if name == "GetEnrichedContext":
            return self.context
        if name == "ProcessCall":
            return self.process_call
        return DEADLINES.get(name, self.default)


def fact_key(text: str) -> str:
    """A deterministic memory key for a fact: the same words give the same key in
    every process (the legacy agent used Python's per-process `hash()`, so its
    upserts never deduplicated). Case, accents, punctuation and spacing do not
    matter: "fact:" + the first 16 hex digits of SHA-256 of the normalised text."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    words = "".join(c if c.isalnum() else " " for c in folded).split()
    if not words:
        raise ValueError("a fact needs at least one word")
    return "fact:" + hashlib.sha256(" ".join(words).encode()).hexdigest()[:16]


class AliceClient:
    """Asyncio client of Alice. Create one per process (it owns one channel)."""

    def __init__(
        self,
        target: Target,
        *,
        secret: str | None = None,
        token_provider: TokenProvider | None = None,
        secure: bool = False,
        root_certificates: bytes | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        max_message_bytes: int = 4 * 1024 * 1024,
        interceptors: Sequence[grpc.aio.ClientInterceptor] | None = None,
        settings_ttl: float = 60.0,
        tenant_info_source: TenantInfoSource | None = None,
    ) -> None:
        """`target` is host:port, several of them (a list, or "host1:port,host2:port":
        the replicas of one Alice) or a gRPC target such as
        "dns:///alice.internal:50051"; calls are balanced round-robin over every
        address (see `chad_client.channel`). Give the shared `secret` (JWT_SECRET_KEY) or a
        `token_provider`. `secure=True` uses TLS (system roots unless
        `root_certificates`, PEM, is given). The tenant's profile and settings
        come from `tenant_info_source` (default `TenantServiceSource`:
        GetMyCustomer + GetSettings; `LegacySettingsSource()` for settings kept
        as shared memories) and are cached for `settings_ttl` seconds per
        tenant (see `chad_client.tenant_info`)."""
        if (secret is None) == (token_provider is None):
            raise ValueError("give exactly one of secret or token_provider")
        self.tokens: TokenProvider = token_provider or SecretTokenProvider(secret or "")
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        options = channel_options(max_message_bytes)
        self.target = channel_target(target)
        # Read-your-writes with a read replica: the newest x-alice-lsn per tenant.
        self.read_your_writes = ReadYourWrites()
        interceptors = [self.read_your_writes, *(interceptors or ())]
        if secure:
            credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            self.channel = grpc.aio.secure_channel(
                self.target, credentials, options, interceptors=interceptors
            )
        else:
            self.channel = grpc.aio.insecure_channel(
                self.target, options, interceptors=interceptors
            )
        # How every RPC is made; TenantClient and PlatformClient share it.
        self.transport = Transport(self.channel, self.timeouts, self.retry)
        self._health = health_pb2_grpc.HealthStub(self.channel)
        self.tenant_info = TenantInfoCache(
            tenant_info_source or TenantServiceSource(), settings_ttl
        )

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
                timeout=timeout or self.timeouts.of("Health"),
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

    def platform(
        self, *, token: str | None = None, secret: str | None = None, scope: str = ""
    ) -> PlatformClient:
        """The platform (operator) calls: customers, lookup by number, backups.

        Give a platform `token` minted by `alice-admin mint-platform-token`, or
        the `secret` to mint them with `scope` ("platform:lookup" by default).
        """
        if (token is None) == (secret is None):
            raise ValueError("give exactly one of token or secret")
        source: TokenSource
        if token is not None:
            fixed = token

            async def source() -> str:
                return fixed

        else:
            source = PlatformTokenMinter(secret or "", scope=scope or "platform:lookup").token
        return PlatformClient(self, source)


class TenantClient(TenantMethods):
    """The calls of one customer (tenant). Get it from `AliceClient.for_customer`.

    `rpc` holds one thin wrapper per tenant RPC (chad_client.rpcs, generated):
    the request message in, the response message out. The methods below are the
    richer, hand-written ones; an RPC without one gets a generated method."""

    def __init__(self, client: AliceClient, customer_id: int) -> None:
        self.client = client
        self.customer_id = customer_id

        async def token() -> str:
            return await client.tokens.token_for(customer_id)

        invalidate = getattr(client.tokens, "invalidate", None)
        renew = (lambda: invalidate(customer_id)) if invalidate is not None else None
        self.rpc = TenantRpcs(client.transport, Credentials(token, renew))

    # ------------------------------------------------------------------ call start / end

    async def get_enriched_context(
        self,
        user_id: str,
        *,
        num_summaries: int | None = None,
        num_memories: int | None = None,
        query: str = "",
        timeout: float | None = None,
        num_follow_ups: int | None = None,
    ) -> EnrichedContext:
        """Everything Alice knows about the caller (raises on failure).

        With `query` (what the call is about, when the agent knows it; at most
        1,000 characters) the memories are the ones most relevant to it, ranked
        like `search_memories` in hybrid mode; without, the newest.
        `num_follow_ups`: how many open follow-ups (None: 10, at most 50)."""
        request = ctx_pb.GetEnrichedContextRequest(
            user_id=user_id,
            num_summaries=num_summaries,
            num_memories=num_memories,
            query=query,
            num_follow_ups=num_follow_ups,
        )
        response = await self.rpc.get_enriched_context(request, timeout=timeout)
        return models.enriched_context(response)

    async def get_context_or_empty(
        self,
        user_id: str,
        *,
        num_summaries: int | None = None,
        num_memories: int | None = None,
        query: str = "",
        timeout: float | None = None,
        num_follow_ups: int | None = None,
    ) -> EnrichedContext:
        """The call-start helper: never raises for Alice's failures.

        When Alice is slow, down or refuses the call, returns an empty context
        (`degraded` True, `degraded_reason` saying why) within the deadline and
        logs the reason, so the agent can start speaking anyway.
        """
        try:
            return await self.get_enriched_context(
                user_id,
                num_summaries=num_summaries,
                num_memories=num_memories,
                query=query,
                timeout=timeout,
                num_follow_ups=num_follow_ups,
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
        turns: Iterable[TurnLike] = (),
        *,
        started_at: dt.datetime | None = None,
        ended_at: dt.datetime | None = None,
        timeout: float | None = None,
    ) -> CallResult:
        """Summarise and record a finished call. Safe to retry: idempotent on call_id.

        Without `turns`, Alice summarises the turns stored for `call_id` with
        `append_transcript_turns`, and takes the call's start and end from the
        first and last of them unless `started_at` / `ended_at` are given."""
        request = ctx_pb.ProcessCallRequest(
            user_id=user_id,
            call_id=call_id,
            turns=models.turns(turns),
            started_at=models.timestamp(started_at) if started_at else None,
            ended_at=models.timestamp(ended_at) if ended_at else None,
        )
        response = await self.rpc.process_call(request, timeout=timeout)
        return models.call_result(response)

    async def start_call(
        self,
        user_id: str,
        *,
        num_summaries: int | None = None,
        num_memories: int | None = None,
        query: str = "",
        timeout: float | None = None,
        num_follow_ups: int | None = None,
    ) -> CallStart:
        """Call start in one line: tenant profile, settings and the caller's context.

        Fail-soft like `get_context_or_empty`: never raises for Alice's
        failures and returns within `timeout` (default: the table's
        "start_call", under a second). The tenant's profile and settings come
        from the per-tenant cache (one fetch per TTL; by default TenantService's
        GetMyCustomer and GetSettings); the context and a cache miss run
        concurrently. `query` and `num_follow_ups` are passed to
        GetEnrichedContext; the caller's open follow-ups are `.follow_ups`.
        """
        budget = self.client.timeouts.of("start_call") if timeout is None else timeout
        reasons: list[str] = []

        async def info() -> TenantInfo | None:
            try:
                return await self.tenant_info(timeout=budget)
            except errors.AliceError as exc:
                reason = f"tenant settings: {type(exc).__name__}: {exc.details}"
                logger.warning(
                    "Alice tenant settings unavailable for customer %d, continuing without: %s",
                    self.customer_id,
                    reason,
                )
                reasons.append(reason)
                return None

        tenant_info, context = await asyncio.gather(
            info(),
            self.get_context_or_empty(
                user_id,
                num_summaries=num_summaries,
                num_memories=num_memories,
                query=query,
                timeout=budget,
                num_follow_ups=num_follow_ups,
            ),
        )
        if context.degraded:
            reasons.append(f"context: {context.degraded_reason}")
        return CallStart(
            customer_id=self.customer_id,
            user_id=context.user_id,
            profile=tenant_info.profile if tenant_info else None,
            settings=tenant_info.settings if tenant_info else TenantSettings(),
            context=context,
            degraded_reasons=reasons,
        )

    # ------------------------------------------------------------------ tenant settings

    async def tenant_info(
        self, *, refresh: bool = False, timeout: float | None = None
    ) -> TenantInfo:
        """The tenant's profile and settings, from the per-tenant cache (fetched
        when older than the client's `settings_ttl`, or now with `refresh`)."""
        budget = self.client.timeouts.of("tenant_info") if timeout is None else timeout
        return await self.client.tenant_info.get(self, budget, refresh=refresh)

    async def settings(
        self, *, refresh: bool = False, timeout: float | None = None
    ) -> TenantSettings:
        """The tenant's typed settings, cached (see `tenant_info`). Cheap enough to
        call on every utterance (transfer rules) or TTS request (voice)."""
        return (await self.tenant_info(refresh=refresh, timeout=timeout)).settings

    async def tenant_profile(
        self, *, refresh: bool = False, timeout: float | None = None
    ) -> TenantProfile | None:
        """The tenant's profile, cached; None when the settings source has none."""
        return (await self.tenant_info(refresh=refresh, timeout=timeout)).profile

    async def refresh_tenant_info(self, *, timeout: float | None = None) -> TenantInfo:
        """Fetch the tenant's profile and settings now (after an admin changed them)."""
        return await self.tenant_info(refresh=True, timeout=timeout)

    # ------------------------------------------------------------------ during the call

    async def append_transcript_turns(
        self,
        user_id: str,
        call_id: str,
        turns: Iterable[TranscriptTurn],
        *,
        timeout: float | None = None,
    ) -> AppendResult:
        """Store turns of a running call (CallService.AppendTranscriptTurns).

        Number the call's turns 0, 1, 2...: a turn whose sequence is stored
        already is skipped, so this is safe to retry (and it is retried on
        UNAVAILABLE)."""
        request = call_pb.AppendTranscriptTurnsRequest(
            user_id=user_id, call_id=call_id, turns=models.transcript_turns(turns)
        )
        response = await self.rpc.append_transcript_turns(request, timeout=timeout)
        return models.append_result(response)

    async def get_call_transcript(
        self, call_id: str, *, timeout: float | None = None
    ) -> CallTranscript:
        """A call's stored turns, in sequence order."""
        response = await self.rpc.get_call_transcript(
            call_pb.GetCallTranscriptRequest(call_id=call_id), timeout=timeout
        )
        return models.call_transcript(response)

    async def update_call_record(
        self,
        user_id: str,
        call_id: str,
        *,
        direction: Direction | None = None,
        dialled_number: str | None = None,
        external_call_id: str | None = None,
        transfer_target: str | None = None,
        recording_url: str | None = None,
        transcript_url: str | None = None,
        timeout: float | None = None,
    ) -> CallRecord:
        """Create or update a call's record; arguments left None keep their value
        ("" clears one). Safe to retry."""
        request = call_pb.UpdateCallRecordRequest(
            user_id=user_id,
            call_id=call_id,
            direction=models.direction_enum(direction),
            dialled_number=dialled_number,
            external_call_id=external_call_id,
            transfer_target=transfer_target,
            recording_url=recording_url,
            transcript_url=transcript_url,
        )
        response = await self.rpc.update_call_record(request, timeout=timeout)
        return models.call_record(response.record)

    async def get_call_record(self, call_id: str, *, timeout: float | None = None) -> CallRecord:
        response = await self.rpc.get_call_record(
            call_pb.GetCallRecordRequest(call_id=call_id), timeout=timeout
        )
        return models.call_record(response.record)

    async def update_caller_profile(
        self,
        user_id: str,
        *,
        preferred_name: str | None = None,
        preferences: dict[str, Any] | None = None,
        replace_preferences: bool = False,
        timeout: float | None = None,
    ) -> CallerProfile:
        """Set or correct the caller's name and preferences (merged key by key;
        a key set to None is removed), creating the profile if needed. Safe to retry."""
        request = ctx_pb.UpdateCallerProfileRequest(
            user_id=user_id,
            preferred_name=preferred_name,
            preferences=models.struct(preferences) if preferences is not None else None,
            replace_preferences=replace_preferences,
        )
        response = await self.rpc.update_caller_profile(request, timeout=timeout)
        return models.caller_profile(response.profile)

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
        response = await self.rpc.store_memory(request, timeout=timeout)
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
        """Legacy settings in one call: {key: value} of the tenant's shared memories
        of `type` ("admin_setting" by default), uncached. Settings kept in
        TenantService are `get_tenant_settings()` (uncached) and `settings()`
        (cached)."""
        memories = self.iter_memories(
            "", type=type, include_shared=True, page_size=MAX_PAGE_SIZE, timeout=timeout
        )
        return {memory.key: memory.value async for memory in memories}

    async def get_memory_by_key(
        self,
        user_id: str,
        type: str,
        key: str,
        *,
        scope: Scope = "user",
        timeout: float | None = None,
    ) -> Memory:
        """The memory (scope, user_id, type, key), without listing; NotFound if none."""
        request = mem_pb.GetMemoryByKeyRequest(
            user_id=user_id, scope=models.scope_enum(scope), type=type, key=key
        )
        response = await self.rpc.get_memory_by_key(request, timeout=timeout)
        return models.memory(response.memory)

    async def get_memory(self, memory_id: str, *, timeout: float | None = None) -> Memory:
        response = await self.rpc.get_memory(mem_pb.GetMemoryRequest(id=memory_id), timeout=timeout)
        return models.memory(response.memory)

    async def delete_memory(self, memory_id: str, *, timeout: float | None = None) -> None:
        """Delete a memory. Never retried automatically (a repeat would be NOT_FOUND)."""
        await self.rpc.delete_memory(mem_pb.DeleteMemoryRequest(id=memory_id), timeout=timeout)

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
        response = await self.rpc.list_memories(request, timeout=timeout)
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
        mode: SearchMode = "hybrid",
        timeout: float | None = None,
    ) -> list[SearchHit]:
        """Search, most relevant first. `mode` "hybrid" fuses the keyword and the
        semantic rankings; "keyword" is full-text only; "semantic" is embedding
        similarity only (FailedPrecondition when the server runs without its
        model). Each hit says which signals matched (`keyword_match`,
        `semantic_match`, their ranks, `semantic_similarity`)."""
        request = mem_pb.SearchMemoriesRequest(
            user_id=user_id,
            query=query,
            types=list(types),
            include_shared=include_shared,
            limit=limit,
            mode=models.search_mode_enum(mode),
        )
        response = await self.rpc.search_memories(request, timeout=timeout)
        return [models.search_hit(r) for r in response.results]

    async def get_memory_history(
        self,
        memory_id: str,
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[MemoryHistoryEntry]:
        """One page of a memory's earlier values, newest change first (a deleted
        memory's too). `page_size` 0 means 50, at most 500."""
        response = await self.rpc.get_memory_history(
            mem_pb.GetMemoryHistoryRequest(
                id=memory_id, page_size=page_size, page_token=page_token
            ),
            timeout=timeout,
        )
        return models.page(
            [models.memory_history_entry(e) for e in response.entries], response.next_page_token
        )

    def iter_memory_history(
        self, memory_id: str, *, page_size: int = 0, timeout: float | None = None
    ) -> AsyncIterator[MemoryHistoryEntry]:
        """Every earlier value of a memory, page after page (each page has its own deadline)."""
        return _every_item(
            lambda token: self.get_memory_history(
                memory_id, page_size=page_size, page_token=token, timeout=timeout
            )
        )

    # ------------------------------------------------------------------ callers (admin)

    async def get_caller_profile(
        self, user_id: str, *, timeout: float | None = None
    ) -> CallerProfile:
        response = await self.rpc.get_caller_profile(
            ctx_pb.GetCallerProfileRequest(user_id=user_id), timeout=timeout
        )
        return models.caller_profile(response.profile)

    async def list_caller_profiles(
        self, *, page_size: int = 0, page_token: str = "", timeout: float | None = None
    ) -> Page[CallerProfile]:
        response = await self.rpc.list_caller_profiles(
            ctx_pb.ListCallerProfilesRequest(page_size=page_size, page_token=page_token),
            timeout=timeout,
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
        response = await self.rpc.get_personality(
            ctx_pb.GetPersonalityRequest(user_id=user_id), timeout=timeout
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
        response = await self.rpc.list_call_summaries(
            ctx_pb.ListCallSummariesRequest(
                user_id=user_id, page_size=page_size, page_token=page_token
            ),
            timeout=timeout,
        )
        records = {k: models.call_record(v) for k, v in response.records.items()}
        return models.page(
            [models.call_summary(s, records.get(s.call_id)) for s in response.summaries],
            response.next_page_token,
        )

    def iter_call_summaries(
        self, user_id: str = "", *, page_size: int = 0, timeout: float | None = None
    ) -> AsyncIterator[CallSummary]:
        return _every_item(
            lambda token: self.list_call_summaries(
                user_id, page_size=page_size, page_token=token, timeout=timeout
            )
        )

    async def get_tenant_stats(self, *, timeout: float | None = None) -> TenantStats:
        """Counts of memories, callers and calls, for an admin screen (one cheap call)."""
        response = await self.rpc.get_tenant_stats(ctx_pb.GetTenantStatsRequest(), timeout=timeout)
        return models.tenant_stats(response)

    # ------------------------------------------------------------------ follow-ups

    async def list_follow_ups(
        self,
        user_id: str = "",
        *,
        status: FollowUpStatus = "open",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[FollowUp]:
        """One page of follow-ups with `status`, earliest due first, undated last;
        one caller's, or every caller's when user_id is empty."""
        request = fu_pb.ListFollowUpsRequest(
            user_id=user_id,
            status=models.follow_up_status_enum(status),
            page_size=page_size,
            page_token=page_token,
        )
        response = await self.rpc.list_follow_ups(request, timeout=timeout)
        return models.page(
            [models.follow_up(f) for f in response.follow_ups], response.next_page_token
        )

    def iter_follow_ups(
        self,
        user_id: str = "",
        *,
        status: FollowUpStatus = "open",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[FollowUp]:
        """Every follow-up with `status`, page after page (each page has its own deadline)."""
        return _every_item(
            lambda token: self.list_follow_ups(
                user_id, status=status, page_size=page_size, page_token=token, timeout=timeout
            )
        )

    async def get_follow_up(self, follow_up_id: str, *, timeout: float | None = None) -> FollowUp:
        response = await self.rpc.get_follow_up(
            fu_pb.GetFollowUpRequest(id=follow_up_id), timeout=timeout
        )
        return models.follow_up(response.follow_up)

    async def complete_follow_up(
        self, follow_up_id: str, *, timeout: float | None = None
    ) -> FollowUp:
        """Mark an open follow-up done (the promise was kept). Safe to retry;
        FailedPrecondition if it was cancelled."""
        response = await self.rpc.complete_follow_up(
            fu_pb.CompleteFollowUpRequest(id=follow_up_id), timeout=timeout
        )
        return models.follow_up(response.follow_up)

    async def cancel_follow_up(
        self, follow_up_id: str, *, timeout: float | None = None
    ) -> FollowUp:
        """Mark an open follow-up cancelled (the promise no longer holds). Safe to
        retry; FailedPrecondition if it is done."""
        response = await self.rpc.cancel_follow_up(
            fu_pb.CancelFollowUpRequest(id=follow_up_id), timeout=timeout
        )
        return models.follow_up(response.follow_up)

    # ------------------------------------------------------------------ the tenant itself

    async def get_my_customer(self, *, timeout: float | None = None) -> Customer:
        """The tenant's profile (agent name, greeting template, voice, time zone...)."""
        response = await self.rpc.get_my_customer(ten_pb.GetMyCustomerRequest(), timeout=timeout)
        return tenants.customer(response.customer)

    async def get_tenant_settings(
        self, names: Sequence[str] = (), *, timeout: float | None = None
    ) -> TenantSettings:
        """The tenant's settings (TenantService.GetSettings): all, or the named ones."""
        response = await self.rpc.get_settings(
            ten_pb.GetSettingsRequest(names=list(names)), timeout=timeout
        )
        return tenants.settings(response.settings)

    async def update_tenant_settings(
        self,
        settings: TenantSettings | None = None,
        *,
        clear: Sequence[str] = (),
        timeout: float | None = None,
    ) -> TenantSettings:
        """Set the settings that are not None in `settings`, remove those in `clear`."""
        request = ten_pb.UpdateSettingsRequest(
            settings=tenants.settings_message(settings or TenantSettings()), clear=list(clear)
        )
        response = await self.rpc.update_settings(request, timeout=timeout)
        return tenants.settings(response.settings)

    # ------------------------------------------------------------------ privacy (privacy:admin)

    async def export_user_data(
        self, user_id: str, *, timeout: float | None = None
    ) -> list[ExportedRow]:
        """Every row Alice holds about one caller (GDPR export)."""
        return [row async for row in self.iter_user_data(user_id, timeout=timeout)]

    async def iter_user_data(
        self, user_id: str, *, timeout: float | None = None
    ) -> AsyncIterator[ExportedRow]:
        stream = self.rpc.export_user_data(
            priv_pb.ExportUserDataRequest(user_id=user_id), timeout=timeout
        )
        async for response in stream:
            yield tenants.exported_row(response.record)

    async def delete_user_data(self, user_id: str, *, timeout: float | None = None) -> Erasure:
        """Erase every row of one caller, in one transaction; rows per table."""
        response = await self.rpc.delete_user_data(
            priv_pb.DeleteUserDataRequest(user_id=user_id), timeout=timeout
        )
        return tenants.erasure(response)

    async def list_my_audit_records(
        self, *, page_size: int = 0, page_token: str = "", timeout: float | None = None
    ) -> Page[AuditRecord]:
        response = await self.rpc.list_my_audit_records(
            priv_pb.ListMyAuditRecordsRequest(page_size=page_size, page_token=page_token),
            timeout=timeout,
        )
        return models.page(
            [tenants.audit_record(r) for r in response.records], response.next_page_token
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
