"""The gRPC server: options, interceptors, servicers, health, reflection, graceful stop."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from alice_server.auth import SCOPE_READ, SCOPE_WRITE, TokenVerifier
from alice_server.config import Settings
from alice_server.domain.embeddings import embedder_for
from alice_server.domain.identity import UserIdNormalizer
from alice_server.domain.paging import PageTokens
from alice_server.domain.ratelimit import RateLimiter
from alice_server.domain.summarizer import HeuristicSummarizer, Summarizer, warm_up
from alice_server.interceptors import AuthInterceptor, StatusInterceptor
from alice_server.llm.summarizer import llm_summarizer
from alice_server.servicers.context import ContextServicer
from alice_server.servicers.memory import MemoryServicer
from alice_server.services.callers import CallerService
from alice_server.services.calls import CallService
from alice_server.services.context import ContextService
from alice_server.services.customers import CustomerDirectory
from alice_server.services.memories import MemoryService
from alice_server.storage.database import Database
from chad_client.v1 import (
    context_service_pb2,
    context_service_pb2_grpc,
    memory_service_pb2,
    memory_service_pb2_grpc,
)

logger = logging.getLogger("alice.server")

SERVICES = (
    memory_service_pb2.DESCRIPTOR.services_by_name["MemoryService"],
    context_service_pb2.DESCRIPTOR.services_by_name["ContextService"],
)
# Every RPC writes or reads; tests/test_auth.py checks that each is listed.
WRITE_METHODS = frozenset(
    {
        "/alice.memory.v1.MemoryService/StoreMemory",
        "/alice.memory.v1.MemoryService/DeleteMemory",
        "/alice.memory.v1.ContextService/ProcessCall",
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
    }
)
METHOD_SCOPES = {m: SCOPE_WRITE for m in WRITE_METHODS} | {m: SCOPE_READ for m in READ_METHODS}


def all_methods() -> set[str]:
    return {f"/{s.full_name}/{m.name}" for s in SERVICES for m in s.methods}


@dataclass
class AliceServer:
    """A configured, not yet started server. `await start()`, then `await stop()`."""

    settings: Settings
    database: Database
    jwt_secret: str
    summarizer: Summarizer | None = None

    def __post_init__(self) -> None:
        # The built-in summariser is CPU-bound: it runs in worker processes, off
        # the event loop that serves every tenant (ALICE_SUMMARIZER_PROCESSES).
        self._pool: ProcessPoolExecutor | None = None
        if self.summarizer is None:
            if self.settings.summarizer_processes > 0:
                self._pool = ProcessPoolExecutor(
                    self.settings.summarizer_processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=warm_up,
                )
            self.summarizer = HeuristicSummarizer(self._pool)
            if self.settings.summarizer == "openai":
                self.summarizer = llm_summarizer(self.settings, self.summarizer)
        # The embedding model loads once per process (ALICE_SEMANTIC_SEARCH).
        self.embedder = embedder_for(self.settings.semantic_search)
        tokens = PageTokens(self.jwt_secret)
        normalize = UserIdNormalizer(self.settings.default_region)
        db = self.database
        self.health = health.aio.HealthServicer()
        self.server = grpc.aio.server(
            interceptors=[
                StatusInterceptor(),
                AuthInterceptor(
                    TokenVerifier(self.jwt_secret),
                    CustomerDirectory(db, self.settings.customer_cache_seconds),
                    RateLimiter(
                        self.settings.rate_limit_per_second,
                        self.settings.rate_limit_burst,
                    ),
                    METHOD_SCOPES,
                ),
            ],
            options=[
                ("grpc.max_receive_message_length", self.settings.max_message_bytes),
                ("grpc.max_send_message_length", self.settings.max_message_bytes),
                ("grpc.so_reuseport", 0),
            ],
        )
        memory_service_pb2_grpc.add_MemoryServiceServicer_to_server(  # type: ignore[no-untyped-call]
            MemoryServicer(
                MemoryService(db, tokens, self.embedder, self.settings.memory_history_days),
                normalize,
            ),
            self.server,
        )
        context_service_pb2_grpc.add_ContextServiceServicer_to_server(  # type: ignore[no-untyped-call]
            ContextServicer(
                ContextService(db, self.embedder),
                CallService(db, self.summarizer, self.embedder),
                CallerService(db, tokens),
                normalize,
            ),
            self.server,
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
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
        if settings.tls_cert_file and settings.tls_key_file:
            credentials = grpc.ssl_server_credentials(
                [
                    (
                        settings.tls_key_file.read_bytes(),
                        settings.tls_cert_file.read_bytes(),
                    )
                ]
            )
            port = self.server.add_secure_port(address, credentials)
        else:
            port = self.server.add_insecure_port(address)
        if port == 0:
            raise OSError(f"cannot listen on {address} (in use, or not a local address)")
        return int(port)

    async def start(self) -> None:
        if self._pool is not None:  # start the workers now, not on the first call
            await asyncio.get_running_loop().run_in_executor(self._pool, warm_up)
        await self.server.start()
        for service in ("", *(s.full_name for s in SERVICES)):
            await self.health.set(service, health_pb2.HealthCheckResponse.SERVING)
        logger.info("serving on port %d", self.port)

    async def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING, let running calls finish within the grace period, stop."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(self.settings.shutdown_grace_seconds if grace is None else grace)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    async def wait_for_termination(self) -> None:
        await self.server.wait_for_termination()
