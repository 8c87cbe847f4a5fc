"""The gRPC server: options, interceptors, servicers, health, reflection, graceful stop."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

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
from alice_server.ratelimit import build_limiter
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
    """A configured, not yet started server. `await start()`, then `await stop()`."""

    settings: Settings
    database: Database
    jwt_secret: str
    summarizer: Summarizer | None = None
    # The platform role's pool (ALICE_PLATFORM_DATABASE_URL); None refuses platform RPCs.
    platform_database: Database | None = None

    def __post_init__(self) -> None:
        # The built-in summariser is CPU-bound: it runs in worker processes, off
        # the event loop that serves every tenant (ALICE_SUMMARIZER_PROCESSES).
        # Tenants share the workers fairly (per-tenant queues, round robin, bounded).
        self._pool: FairSummarizerPool | None = None
        if self.summarizer is None:
            if self.settings.summarizer_processes > 0:
                self._pool = FairSummarizerPool(
                    self.settings.summarizer_processes,
                    self.settings.summarizer_queue_size,
                    self.settings.summarizer_tenant_share,
                )
            self.summarizer = HeuristicSummarizer(self._pool)
            if self.settings.summarizer == "openai":
                self.summarizer = llm_summarizer(self.settings, self.summarizer)
        # The embedding model loads once per process (ALICE_SEMANTIC_SEARCH).
        self.embedder = embedder_for(self.settings.semantic_search)
        self.summarizer = metrics.InstrumentedSummarizer(self.summarizer)
        self.limiter = build_limiter(
            self.settings.rate_limit_backend,
            self.settings.redis_url,
            self.settings.rate_limit_per_second,
            self.settings.rate_limit_burst,
        )
        tokens = PageTokens(self.jwt_secret)
        normalize = UserIdNormalizer(self.settings.default_region)
        db = self.database
        self.health = health.aio.HealthServicer()
        directory = CustomerDirectory(db, self.settings.customer_cache_seconds)
        # NOT_SERVING while the database is unreachable or its schema is not at head.
        self.monitor = HealthMonitor(
            self.health,
            [s.full_name for s in SERVICES],
            db.ping,
            head_revision(),
            self.settings.health_check_seconds,
        )
        self.metrics_endpoint: metrics.MetricsEndpoint | None = None
        self.server = grpc.aio.server(
            interceptors=[
                MalformedRequestInterceptor(),
                StatusInterceptor(self.settings.access_log_level, self.monitor.poke),
                AuthInterceptor(
                    TokenVerifier(
                        self.jwt_secret,
                        max_lifetime_seconds=self.settings.max_token_lifetime_seconds,
                    ),
                    directory,
                    self.limiter,
                    METHOD_SCOPES,
                    PLATFORM_METHOD_SCOPES,
                ),
            ],
            options=[
                ("grpc.max_receive_message_length", self.settings.max_message_bytes),
                ("grpc.max_send_message_length", self.settings.max_message_bytes),
                # Metadata (the token included) up to 16 KiB reaches the interceptors,
                # which answer for it (a token over 4,096 characters: UNAUTHENTICATED);
                # gRPC refuses more with RESOURCE_EXHAUSTED. Soft and hard limits are
                # equal, so the answer never depends on chance (gRPC rejects at random
                # between them).
                ("grpc.max_metadata_size", MAX_METADATA_BYTES),
                ("grpc.absolute_max_metadata_size", MAX_METADATA_BYTES),
                # ALICE_WORKERS > 1: every worker binds the same port (alice_server.workers).
                ("grpc.so_reuseport", 1 if self.settings.workers > 1 else 0),
            ],
        )
        memory_service_pb2_grpc.add_MemoryServiceServicer_to_server(  # type: ignore[no-untyped-call]
            MemoryServicer(
                MemoryService(db, tokens, self.embedder, self.settings.memory_history_days),
                normalize,
                response_budget(self.settings.max_message_bytes),
            ),
            self.server,
        )
        context_service_pb2_grpc.add_ContextServiceServicer_to_server(  # type: ignore[no-untyped-call]
            ContextServicer(
                ContextService(db, self.embedder),
                CallService(db, self.summarizer, self.embedder),
                CallerService(db, tokens),
                normalize,
                StatsService(db),
                response_budget(self.settings.max_message_bytes),
            ),
            self.server,
        )
        call_service_pb2_grpc.add_CallServiceServicer_to_server(  # type: ignore[no-untyped-call]
            CallServicer(TranscriptService(db), normalize), self.server
        )
        customer_admin = CustomerAdmin(
            self.platform_database,
            tokens,
            cache_seconds=self.settings.customer_cache_seconds,
            on_change=directory.forget,
        )
        tenant_service_pb2_grpc.add_TenantServiceServicer_to_server(  # type: ignore[no-untyped-call]
            TenantServicer(
                customer_admin, TenantProfiles(db), PhoneNumbers(self.settings.default_region)
            ),
            self.server,
        )
        privacy = PrivacyService(db, self.platform_database, SubjectHasher(self.jwt_secret), tokens)
        privacy_service_pb2_grpc.add_PrivacyServiceServicer_to_server(  # type: ignore[no-untyped-call]
            PrivacyServicer(privacy, normalize), self.server
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.expiry = ExpiryTask(
            db,
            interval_seconds=self.settings.expiry_interval_seconds,
            batch_size=self.settings.expiry_batch_size,
        )
        if self.settings.reflection:
            names = [s.full_name for s in SERVICES]
            reflection.enable_server_reflection(
                [
                    *names,
                    health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                    reflection.SERVICE_NAME,
                ],
                self.server,
            )
        self.port = self._bind(self.settings.listen_address)

    def _bind(self, address: str) -> int:
        settings = self.settings
        try:
            if settings.tls_cert_file and settings.tls_key_file:
                key, chain = settings.tls_key_file.read_bytes(), settings.tls_cert_file.read_bytes()
                credentials = grpc.ssl_server_credentials([(key, chain)])
                port = self.server.add_secure_port(address, credentials)
            else:
                port = self.server.add_insecure_port(address)
        except RuntimeError:  # recent grpcio raises where older ones returned 0
            port = 0
        if port == 0:
            raise OSError(f"cannot listen on {address} (in use, or not a local address)")
        return int(port)

    async def start(self) -> None:
        # The metrics port first: if it is taken, nothing else has started yet.
        if self.settings.metrics_address:
            self.metrics_endpoint = metrics.MetricsEndpoint(self.settings.metrics_address)
            host = self.settings.metrics_address.rpartition(":")[0]
            logger.info("metrics on http://%s:%d/metrics", host, self.metrics_endpoint.port)
        metrics.watch_pool(self.database.pool_stats)
        if self._pool is not None:  # start the workers now, not on the first call
            await asyncio.get_running_loop().run_in_executor(self._pool, warm_up)
        await self.monitor.start()  # the first health answer is already the truth
        await self.server.start()
        self.expiry.start()
        logger.info("serving on port %d", self.port)

    async def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING, let running calls finish within the grace period, stop."""
        await self.health.enter_graceful_shutdown()
        metrics.HEALTH_SERVING.set(0)
        await self.monitor.stop()
        await self.expiry.stop()
        await self.server.stop(self.settings.shutdown_grace_seconds if grace is None else grace)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self.metrics_endpoint is not None:
            self.metrics_endpoint.close()
            self.metrics_endpoint = None
        await self.limiter.close()

    async def wait_for_termination(self) -> None:
        await self.server.wait_for_termination()
