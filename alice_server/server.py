"""The gRPC server: `start_server` builds and starts it, top to bottom (options,
interceptors, servicers, health, reflection, the port); `AliceServer.stop` ends
it gracefully. Running a whole server process (databases, signals) is
`alice_server.serve`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from alice_server import metrics
from alice_server.auth import (
    SCOPE_PLATFORM_ADMIN,
    SCOPE_PLATFORM_LOOKUP,
    SCOPE_READ,
    SCOPE_WRITE,
    TokenVerifier,
)
from alice_server.config import Settings
from alice_server.domain.embeddings import Embedder
from alice_server.domain.identity import UserIdNormalizer
from alice_server.domain.paging import PageTokens
from alice_server.domain.privacy import SubjectHasher
from alice_server.domain.summarizer import HeuristicSummarizer, Summarizer, warm_up
from alice_server.domain.tenants import PhoneNumbers
from alice_server.embedding_model import embedder_for
from alice_server.health import HealthMonitor
from alice_server.interceptors import AuthInterceptor, StatusInterceptor
from alice_server.llm.summarizer import llm_summarizer
from alice_server.malformed import MalformedRequestInterceptor
from alice_server.ratelimit import Limiter, build_limiter
from alice_server.servicers.calls import CallServicer
from alice_server.servicers.context import ContextServicer
from alice_server.servicers.limits import response_budget
from alice_server.servicers.memory import MemoryServicer
from alice_server.servicers.privacy import PrivacyServicer
from alice_server.servicers.tenants import TenantServicer
from alice_server.services.callers import CallerService
from alice_server.services.calls import CallService
from alice_server.services.context import ContextService
from alice_server.services.customers import CustomerDirectory
from alice_server.services.expiry import ExpiryTask
from alice_server.services.memories import MemoryService
from alice_server.services.privacy import PrivacyService
from alice_server.services.stats import StatsService
from alice_server.services.tenants import CustomerAdmin, TenantProfiles
from alice_server.services.transcripts import TranscriptService
from alice_server.storage.database import Database
from alice_server.storage.migrate import head_revision
from alice_server.summarizer_pool import FairSummarizerPool
from chad_client.v1 import (
    call_service_pb2,
    call_service_pb2_grpc,
    context_service_pb2,
    context_service_pb2_grpc,
    memory_service_pb2,
    memory_service_pb2_grpc,
    privacy_service_pb2,
    privacy_service_pb2_grpc,
    tenant_service_pb2,
    tenant_service_pb2_grpc,
)

logger = logging.getLogger("alice.server")
MAX_METADATA_BYTES = 16 * 1024

SERVICES = (
    memory_service_pb2.DESCRIPTOR.services_by_name["MemoryService"],
    context_service_pb2.DESCRIPTOR.services_by_name["ContextService"],
    call_service_pb2.DESCRIPTOR.services_by_name["CallService"],
    tenant_service_pb2.DESCRIPTOR.services_by_name["TenantService"],
    privacy_service_pb2.DESCRIPTOR.services_by_name["PrivacyService"],
)
# Every RPC writes or reads; tests/test_auth.py checks that each is listed.
WRITE_METHODS = frozenset(
    {
        "/alice.memory.v1.MemoryService/StoreMemory",
        "/alice.memory.v1.MemoryService/DeleteMemory",
        "/alice.memory.v1.ContextService/ProcessCall",
        "/alice.memory.v1.ContextService/UpdateCallerProfile",
        "/alice.memory.v1.CallService/AppendTranscriptTurns",
        "/alice.memory.v1.CallService/UpdateCallRecord",
        "/alice.memory.v1.TenantService/UpdateSettings",
    }
)
READ_METHODS = frozenset(
    {
        "/alice.memory.v1.MemoryService/GetMemory",
        "/alice.memory.v1.MemoryService/ListMemories",
        "/alice.memory.v1.MemoryService/SearchMemories",
        "/alice.memory.v1.MemoryService/GetMemoryHistory",
        "/alice.memory.v1.ContextService/GetEnrichedContext",
        "/alice.memory.v1.ContextService/GetCallerProfile",
        "/alice.memory.v1.ContextService/ListCallerProfiles",
        "/alice.memory.v1.ContextService/GetPersonality",
        "/alice.memory.v1.ContextService/ListCallSummaries",
        "/alice.memory.v1.ContextService/GetTenantStats",
        "/alice.memory.v1.MemoryService/GetMemoryByKey",
        "/alice.memory.v1.CallService/GetCallTranscript",
        "/alice.memory.v1.CallService/GetCallRecord",
        "/alice.memory.v1.TenantService/GetMyCustomer",
        "/alice.memory.v1.TenantService/GetSettings",
    }
)
# A tenant's GDPR requests: export and erase a caller, read its own audit trail.
SCOPE_PRIVACY = "privacy:admin"
PRIVACY_METHODS = frozenset(
    {
        "/alice.memory.v1.PrivacyService/ExportUserData",
        "/alice.memory.v1.PrivacyService/DeleteUserData",
        "/alice.memory.v1.PrivacyService/ListMyAuditRecords",
    }
)
METHOD_SCOPES = (
    {m: SCOPE_WRITE for m in WRITE_METHODS}
    | {m: SCOPE_READ for m in READ_METHODS}
    | {m: SCOPE_PRIVACY for m in PRIVACY_METHODS}
)
# Platform tokens only (no customer_id); a tenant token is refused here, and a
# platform token everywhere else.
PLATFORM_METHOD_SCOPES = {
    "/alice.memory.v1.TenantService/CreateCustomer": SCOPE_PLATFORM_ADMIN,
    "/alice.memory.v1.TenantService/GetCustomer": SCOPE_PLATFORM_ADMIN,
    "/alice.memory.v1.TenantService/ListCustomers": SCOPE_PLATFORM_ADMIN,
    "/alice.memory.v1.TenantService/UpdateCustomer": SCOPE_PLATFORM_ADMIN,
    "/alice.memory.v1.TenantService/LookupCustomerByNumber": SCOPE_PLATFORM_LOOKUP,
    "/alice.memory.v1.PrivacyService/ExportCustomerData": SCOPE_PLATFORM_ADMIN,
    "/alice.memory.v1.PrivacyService/DeleteCustomerData": SCOPE_PLATFORM_ADMIN,
    "/alice.memory.v1.PrivacyService/ListAuditRecords": SCOPE_PLATFORM_ADMIN,
}


def all_methods() -> set[str]:
    return {f"/{s.full_name}/{m.name}" for s in SERVICES for m in s.methods}


@dataclass
class AliceServer:
    """A started server (see `start_server`) and the parts it stops."""

    settings: Settings
    port: int
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    monitor: HealthMonitor
    expiry: ExpiryTask
    limiter: Limiter
    summarizer_pool: FairSummarizerPool | None
    metrics_endpoint: metrics.MetricsEndpoint | None

    async def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING, let running calls finish within the grace period, stop."""
        await self.health.enter_graceful_shutdown()
        metrics.HEALTH_SERVING.set(0)
        await self.monitor.stop()
        await self.expiry.stop()
        await self.server.stop(self.settings.shutdown_grace_seconds if grace is None else grace)
        if self.summarizer_pool is not None:
            self.summarizer_pool.shutdown(wait=False, cancel_futures=True)
        if self.metrics_endpoint is not None:
            self.metrics_endpoint.close()
            self.metrics_endpoint = None
        await self.limiter.close()

    async def wait_for_termination(self) -> None:
        await self.server.wait_for_termination()


async def start_server(
    settings: Settings,
    database: Database,
    jwt_secret: str,
    *,
    summarizer: Summarizer | None = None,
    platform_database: Database | None = None,
) -> AliceServer:
    """Build Alice's gRPC server on `settings.listen_address` and start it.

    `summarizer` replaces the built-in one (tests); `platform_database` is the
    platform role's pool (ALICE_PLATFORM_DATABASE_URL), None refuses the platform
    RPCs. If anything fails, what was started is stopped again.
    """
    # The metrics port first: if it is taken, nothing else has started yet.
    endpoint = None
    if settings.metrics_address:
        endpoint = metrics.MetricsEndpoint(settings.metrics_address)
        host = settings.metrics_address.rpartition(":")[0]
        logger.info("metrics on http://%s:%d/metrics", host, endpoint.port)
    metrics.watch_pool(database.pool_stats)

    # The built-in summariser is CPU-bound: it runs in worker processes, off the
    # event loop that serves every tenant (ALICE_SUMMARIZER_PROCESSES), shared
    # fairly (per-tenant queues, round robin, bounded).
    pool = None
    if summarizer is None:
        if settings.summarizer_processes > 0:
            pool = FairSummarizerPool(
                settings.summarizer_processes,
                settings.summarizer_queue_size,
                settings.summarizer_tenant_share,
            )
        summarizer = HeuristicSummarizer(pool)
        if settings.summarizer == "openai":
            summarizer = llm_summarizer(settings, summarizer)
    summarizer = metrics.InstrumentedSummarizer(summarizer)
    limiter = build_limiter(
        settings.rate_limit_backend,
        settings.redis_url,
        settings.rate_limit_per_second,
        settings.rate_limit_burst,
    )
    directory = CustomerDirectory(database, settings.customer_cache_seconds)
    # NOT_SERVING while the database is unreachable or its schema is not at head.
    health_servicer = health.aio.HealthServicer()
    monitor = HealthMonitor(
        health_servicer,
        [s.full_name for s in SERVICES],
        database.ping,
        head_revision(),
        settings.health_check_seconds,
    )
    server = grpc.aio.server(
        interceptors=[
            MalformedRequestInterceptor(),
            StatusInterceptor(settings.access_log_level, monitor.poke),
            AuthInterceptor(
                TokenVerifier(jwt_secret, max_lifetime_seconds=settings.max_token_lifetime_seconds),
                directory,
                limiter,
                METHOD_SCOPES,
                PLATFORM_METHOD_SCOPES,
            ),
        ],
        options=_options(settings),
    )
    expiry = ExpiryTask(
        database,
        interval_seconds=settings.expiry_interval_seconds,
        batch_size=settings.expiry_batch_size,
    )
    alice = AliceServer(
        settings, 0, server, health_servicer, monitor, expiry, limiter, pool, endpoint
    )
    try:
        # The embedding model loads once per process (ALICE_SEMANTIC_SEARCH).
        embedder = embedder_for(settings.semantic_search)
        _add_servicers(
            server,
            settings,
            database,
            platform_database,
            directory,
            jwt_secret,
            summarizer,
            embedder,
        )
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        if settings.reflection:
            reflection.enable_server_reflection(
                [
                    *(s.full_name for s in SERVICES),
                    health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                    reflection.SERVICE_NAME,
                ],
                server,
            )
        alice.port = _bind(server, settings)
        if pool is not None:  # start the workers now, not on the first call
            await asyncio.get_running_loop().run_in_executor(pool, warm_up)
        await monitor.start()  # the first health answer is already the truth
        await server.start()
        expiry.start()
    except BaseException:
        await alice.stop(0)
        raise
    logger.info("serving on port %d", alice.port)
    return alice


def _options(settings: Settings) -> list[tuple[str, Any]]:
    return [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        # Metadata (the token included) up to 16 KiB reaches the interceptors,
        # which answer for it (a token over 4,096 characters: UNAUTHENTICATED);
        # gRPC refuses more with RESOURCE_EXHAUSTED. Soft and hard limits are
        # equal, so the answer never depends on chance (gRPC rejects at random
        # between them).
        ("grpc.max_metadata_size", MAX_METADATA_BYTES),
        ("grpc.absolute_max_metadata_size", MAX_METADATA_BYTES),
        # ALICE_WORKERS > 1: every worker binds the same port (alice_server.workers).
        ("grpc.so_reuseport", 1 if settings.workers > 1 else 0),
    ]


def _add_servicers(
    server: grpc.aio.Server,
    settings: Settings,
    db: Database,
    platform_db: Database | None,
    directory: CustomerDirectory,
    jwt_secret: str,
    summarizer: Summarizer,
    embedder: Embedder | None,
) -> None:
    """Each service's servicer over its use cases (services/), on `server`."""
    tokens = PageTokens(jwt_secret)
    normalize = UserIdNormalizer(settings.default_region)
    budget = response_budget(settings.max_message_bytes)
    memory_service_pb2_grpc.add_MemoryServiceServicer_to_server(  # type: ignore[no-untyped-call]
        MemoryServicer(
            MemoryService(db, tokens, embedder, settings.memory_history_days), normalize, budget
        ),
        server,
    )
    context_service_pb2_grpc.add_ContextServiceServicer_to_server(  # type: ignore[no-untyped-call]
        ContextServicer(
            ContextService(db, embedder),
            CallService(db, summarizer, embedder),
            CallerService(db, tokens),
            normalize,
            StatsService(db),
            budget,
        ),
        server,
    )
    call_service_pb2_grpc.add_CallServiceServicer_to_server(  # type: ignore[no-untyped-call]
        CallServicer(TranscriptService(db), normalize), server
    )
    customer_admin = CustomerAdmin(
        platform_db,
        tokens,
        cache_seconds=settings.customer_cache_seconds,
        on_change=directory.forget,
    )
    tenant_service_pb2_grpc.add_TenantServiceServicer_to_server(  # type: ignore[no-untyped-call]
        TenantServicer(customer_admin, TenantProfiles(db), PhoneNumbers(settings.default_region)),
        server,
    )
    privacy = PrivacyService(db, platform_db, SubjectHasher(jwt_secret), tokens)
    privacy_service_pb2_grpc.add_PrivacyServiceServicer_to_server(  # type: ignore[no-untyped-call]
        PrivacyServicer(privacy, normalize), server
    )


def _bind(server: grpc.aio.Server, settings: Settings) -> int:
    """The port bound on ALICE_LISTEN_ADDRESS (TLS with ALICE_TLS_*), or OSError."""
    address = settings.listen_address
    try:
        if settings.tls_cert_file and settings.tls_key_file:
            key, chain = settings.tls_key_file.read_bytes(), settings.tls_cert_file.read_bytes()
            port = server.add_secure_port(address, grpc.ssl_server_credentials([(key, chain)]))
        else:
            port = server.add_insecure_port(address)
    except RuntimeError:  # recent grpcio raises where older ones returned 0
        port = 0
    if port == 0:
        raise OSError(f"cannot listen on {address} (in use, or not a local address)")
    return int(port)
