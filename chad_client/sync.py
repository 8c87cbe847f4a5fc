"""The synchronous twin, for Flask-style code.

    alice = SyncAliceClient("alice.internal:50051", secret=JWT_SECRET_KEY)
    context = alice.for_customer(customer_id).get_context_or_empty("+15551234567")
    ...
    alice.close()

It runs an `AliceClient` on a private event loop in a daemon thread; every
method blocks the calling thread until the call is done (deadlines, retries
and exceptions are exactly the async client's). It is thread-safe: any number
of request threads can share one instance.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from chad_client.client import AliceClient, TenantClient
from chad_client.console import SyncConsolePlatformCalls
from chad_client.models import (
    AppendResult,
    CallerProfile,
    CallRecord,
    CallResult,
    CallSummary,
    CallTranscript,
    Direction,
    EnrichedContext,
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
from chad_client.platform import CustomerChanges, PlatformClient
from chad_client.tenant_info import SETTINGS_TYPE, CallStart, TenantInfo, TenantProfile
from chad_client.tenants import (
    AuditRecord,
    Customer,
    CustomerStatus,
    Erasure,
    ExportedRow,
    TenantSettings,
)

T = TypeVar("T")


class SyncAliceClient:
    """Blocking client of Alice; takes the same arguments as `AliceClient`."""

    def __init__(self, target: str, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="chad-client-loop", daemon=True
        )
        self._thread.start()
        self._closed = False

        async def create() -> AliceClient:
            return AliceClient(target, **kwargs)

        try:
            self.client = self._run(create())
        except BaseException:
            self._stop_loop()
            raise

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coroutine.close()
            raise RuntimeError("the client is closed")
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result()

    def _iterate(self, iterator: AsyncIterator[T]) -> Iterator[T]:
        while True:
            try:
                yield self._run(anext(iterator))  # type: ignore[arg-type]
            except StopAsyncIteration:
                return

    def for_customer(self, customer_id: int) -> SyncTenantClient:
        return SyncTenantClient(self, self.client.for_customer(customer_id))

    def platform(
        self, *, token: str | None = None, secret: str | None = None, scope: str = ""
    ) -> SyncPlatformClient:
        return SyncPlatformClient(
            self, self.client.platform(token=token, secret=secret, scope=scope)
        )

    def health(self, service: str = "", *, timeout: float | None = None) -> bool:
        return self._run(self.client.health(service, timeout=timeout))

    def close(self, grace: float | None = None) -> None:
        if self._closed:
            return
        self._run(self.client.close(grace))
        self._closed = True
        self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> SyncAliceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SyncTenantClient:
    """The blocking calls of one customer; see `TenantClient` for each method."""

    def __init__(self, owner: SyncAliceClient, tenant: TenantClient) -> None:
        self._owner = owner
        self._tenant = tenant
        self.customer_id = tenant.customer_id

    def get_enriched_context(
        self,
        user_id: str,
        *,
        num_summaries: int | None = None,
        num_memories: int | None = None,
        query: str = "",
        timeout: float | None = None,
    ) -> EnrichedContext:
        return self._owner._run(
            self._tenant.get_enriched_context(
                user_id,
                num_summaries=num_summaries,
                num_memories=num_memories,
                query=query,
                timeout=timeout,
            )
        )

    def get_context_or_empty(
        self,
        user_id: str,
        *,
        num_summaries: int | None = None,
        num_memories: int | None = None,
        query: str = "",
        timeout: float | None = None,
    ) -> EnrichedContext:
        return self._owner._run(
            self._tenant.get_context_or_empty(
                user_id,
                num_summaries=num_summaries,
                num_memories=num_memories,
                query=query,
                timeout=timeout,
            )
        )

    def process_call(
        self,
        user_id: str,
        call_id: str,
        turns: Iterable[TurnLike] = (),
        *,
        started_at: dt.datetime | None = None,
        ended_at: dt.datetime | None = None,
        timeout: float | None = None,
    ) -> CallResult:
        return self._owner._run(
            self._tenant.process_call(
                user_id,
                call_id,
                list(turns),
                started_at=started_at,
                ended_at=ended_at,
                timeout=timeout,
            )
        )

    def start_call(
        self,
        user_id: str,
        *,
        num_summaries: int | None = None,
        num_memories: int | None = None,
        query: str = "",
        timeout: float | None = None,
    ) -> CallStart:
        return self._owner._run(
            self._tenant.start_call(
                user_id,
                num_summaries=num_summaries,
                num_memories=num_memories,
                query=query,
                timeout=timeout,
            )
        )

    def tenant_info(self, *, refresh: bool = False, timeout: float | None = None) -> TenantInfo:
        return self._owner._run(self._tenant.tenant_info(refresh=refresh, timeout=timeout))

    def settings(self, *, refresh: bool = False, timeout: float | None = None) -> TenantSettings:
        return self._owner._run(self._tenant.settings(refresh=refresh, timeout=timeout))

    def tenant_profile(
        self, *, refresh: bool = False, timeout: float | None = None
    ) -> TenantProfile | None:
        return self._owner._run(self._tenant.tenant_profile(refresh=refresh, timeout=timeout))

    def refresh_tenant_info(self, *, timeout: float | None = None) -> TenantInfo:
        return self._owner._run(self._tenant.refresh_tenant_info(timeout=timeout))

    def append_transcript_turns(
        self,
        user_id: str,
        call_id: str,
        turns: Iterable[TranscriptTurn],
        *,
        timeout: float | None = None,
    ) -> AppendResult:
        return self._owner._run(
            self._tenant.append_transcript_turns(user_id, call_id, list(turns), timeout=timeout)
        )

    def get_call_transcript(self, call_id: str, *, timeout: float | None = None) -> CallTranscript:
        return self._owner._run(self._tenant.get_call_transcript(call_id, timeout=timeout))

    def update_call_record(
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
        return self._owner._run(
            self._tenant.update_call_record(
                user_id,
                call_id,
                direction=direction,
                dialled_number=dialled_number,
                external_call_id=external_call_id,
                transfer_target=transfer_target,
                recording_url=recording_url,
                transcript_url=transcript_url,
                timeout=timeout,
            )
        )

    def get_call_record(self, call_id: str, *, timeout: float | None = None) -> CallRecord:
        return self._owner._run(self._tenant.get_call_record(call_id, timeout=timeout))

    def update_caller_profile(
        self,
        user_id: str,
        *,
        preferred_name: str | None = None,
        preferences: dict[str, Any] | None = None,
        replace_preferences: bool = False,
        timeout: float | None = None,
    ) -> CallerProfile:
        return self._owner._run(
            self._tenant.update_caller_profile(
                user_id,
                preferred_name=preferred_name,
                preferences=preferences,
                replace_preferences=replace_preferences,
                timeout=timeout,
            )
        )

    def get_memory_by_key(
        self,
        user_id: str,
        type: str,
        key: str,
        *,
        scope: Scope = "user",
        timeout: float | None = None,
    ) -> Memory:
        return self._owner._run(
            self._tenant.get_memory_by_key(user_id, type, key, scope=scope, timeout=timeout)
        )

    def get_tenant_stats(self, *, timeout: float | None = None) -> TenantStats:
        return self._owner._run(self._tenant.get_tenant_stats(timeout=timeout))

    def store_memory(
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
        return self._owner._run(
            self._tenant.store_memory(
                user_id,
                type,
                key,
                value,
                scope=scope,
                ttl_days=ttl_days,
                source=source,
                timeout=timeout,
            )
        )

    def store_shared_memory(
        self,
        type: str,
        key: str,
        value: dict[str, Any],
        *,
        ttl_days: int = 0,
        source: str = "",
        timeout: float | None = None,
    ) -> StoredMemory:
        return self._owner._run(
            self._tenant.store_shared_memory(
                type, key, value, ttl_days=ttl_days, source=source, timeout=timeout
            )
        )

    def get_settings(
        self, type: str = SETTINGS_TYPE, *, timeout: float | None = None
    ) -> dict[str, dict[str, Any]]:
        return self._owner._run(self._tenant.get_settings(type, timeout=timeout))

    def get_memory(self, memory_id: str, *, timeout: float | None = None) -> Memory:
        return self._owner._run(self._tenant.get_memory(memory_id, timeout=timeout))

    def delete_memory(self, memory_id: str, *, timeout: float | None = None) -> None:
        self._owner._run(self._tenant.delete_memory(memory_id, timeout=timeout))

    def list_memories(
        self,
        user_id: str = "",
        *,
        type: str = "",
        include_shared: bool = False,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[Memory]:
        return self._owner._run(
            self._tenant.list_memories(
                user_id,
                type=type,
                include_shared=include_shared,
                page_size=page_size,
                page_token=page_token,
                timeout=timeout,
            )
        )

    def iter_memories(
        self,
        user_id: str = "",
        *,
        type: str = "",
        include_shared: bool = False,
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[Memory]:
        return self._owner._iterate(
            self._tenant.iter_memories(
                user_id,
                type=type,
                include_shared=include_shared,
                page_size=page_size,
                timeout=timeout,
            )
        )

    def search_memories(
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
        return self._owner._run(
            self._tenant.search_memories(
                user_id,
                query,
                types=types,
                include_shared=include_shared,
                limit=limit,
                mode=mode,
                timeout=timeout,
            )
        )

    def get_memory_history(
        self,
        memory_id: str,
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[MemoryHistoryEntry]:
        return self._owner._run(
            self._tenant.get_memory_history(
                memory_id, page_size=page_size, page_token=page_token, timeout=timeout
            )
        )

    def iter_memory_history(
        self, memory_id: str, *, page_size: int = 0, timeout: float | None = None
    ) -> Iterator[MemoryHistoryEntry]:
        return self._owner._iterate(
            self._tenant.iter_memory_history(memory_id, page_size=page_size, timeout=timeout)
        )

    def get_caller_profile(self, user_id: str, *, timeout: float | None = None) -> CallerProfile:
        return self._owner._run(self._tenant.get_caller_profile(user_id, timeout=timeout))

    def list_caller_profiles(
        self, *, page_size: int = 0, page_token: str = "", timeout: float | None = None
    ) -> Page[CallerProfile]:
        return self._owner._run(
            self._tenant.list_caller_profiles(
                page_size=page_size, page_token=page_token, timeout=timeout
            )
        )

    def iter_caller_profiles(
        self, *, page_size: int = 0, timeout: float | None = None
    ) -> Iterator[CallerProfile]:
        return self._owner._iterate(
            self._tenant.iter_caller_profiles(page_size=page_size, timeout=timeout)
        )

    def get_personality(self, user_id: str, *, timeout: float | None = None) -> Personality:
        return self._owner._run(self._tenant.get_personality(user_id, timeout=timeout))

    def list_call_summaries(
        self,
        user_id: str = "",
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[CallSummary]:
        return self._owner._run(
            self._tenant.list_call_summaries(
                user_id, page_size=page_size, page_token=page_token, timeout=timeout
            )
        )

    def iter_call_summaries(
        self, user_id: str = "", *, page_size: int = 0, timeout: float | None = None
    ) -> Iterator[CallSummary]:
        return self._owner._iterate(
            self._tenant.iter_call_summaries(user_id, page_size=page_size, timeout=timeout)
        )

    # ------------------------------------------------------------------ the tenant itself

    def get_my_customer(self, *, timeout: float | None = None) -> Customer:
        return self._owner._run(self._tenant.get_my_customer(timeout=timeout))

    def get_tenant_settings(
        self, names: Sequence[str] = (), *, timeout: float | None = None
    ) -> TenantSettings:
        return self._owner._run(self._tenant.get_tenant_settings(names, timeout=timeout))

    def update_tenant_settings(
        self,
        settings: TenantSettings | None = None,
        *,
        clear: Sequence[str] = (),
        timeout: float | None = None,
    ) -> TenantSettings:
        return self._owner._run(
            self._tenant.update_tenant_settings(settings, clear=clear, timeout=timeout)
        )

    def export_user_data(self, user_id: str, *, timeout: float | None = None) -> list[ExportedRow]:
        return self._owner._run(self._tenant.export_user_data(user_id, timeout=timeout))

    def iter_user_data(
        self, user_id: str, *, timeout: float | None = None
    ) -> Iterator[ExportedRow]:
        return self._owner._iterate(self._tenant.iter_user_data(user_id, timeout=timeout))

    def delete_user_data(self, user_id: str, *, timeout: float | None = None) -> Erasure:
        return self._owner._run(self._tenant.delete_user_data(user_id, timeout=timeout))

    def list_my_audit_records(
        self, *, page_size: int = 0, page_token: str = "", timeout: float | None = None
    ) -> Page[AuditRecord]:
        return self._owner._run(
            self._tenant.list_my_audit_records(
                page_size=page_size, page_token=page_token, timeout=timeout
            )
        )


class SyncPlatformClient(SyncConsolePlatformCalls):
    """The blocking platform calls; see `PlatformClient` for each method."""

    def __init__(self, owner: SyncAliceClient, platform: PlatformClient) -> None:
        self._owner = owner
        self._platform = platform

    def lookup_customer_by_number(
        self, phone_number: str, *, timeout: float | None = None
    ) -> Customer:
        return self._owner._run(
            self._platform.lookup_customer_by_number(phone_number, timeout=timeout)
        )

    def create_customer(
        self,
        business_name: str,
        *,
        agent_name: str = "",
        greeting_template: str = "",
        voice: str = "",
        twilio_number: str = "",
        time_zone: str = "",
        rate_limit_per_second: float | None = None,
        timeout: float | None = None,
    ) -> Customer:
        return self._owner._run(
            self._platform.create_customer(
                business_name,
                agent_name=agent_name,
                greeting_template=greeting_template,
                voice=voice,
                twilio_number=twilio_number,
                time_zone=time_zone,
                rate_limit_per_second=rate_limit_per_second,
                timeout=timeout,
            )
        )

    def get_customer(self, customer_id: int, *, timeout: float | None = None) -> Customer:
        return self._owner._run(self._platform.get_customer(customer_id, timeout=timeout))

    def list_customers(
        self,
        *,
        status: CustomerStatus | None = None,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[Customer]:
        return self._owner._run(
            self._platform.list_customers(
                status=status, page_size=page_size, page_token=page_token, timeout=timeout
            )
        )

    def iter_customers(
        self,
        *,
        status: CustomerStatus | None = None,
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[Customer]:
        return self._owner._iterate(
            self._platform.iter_customers(status=status, page_size=page_size, timeout=timeout)
        )

    def update_customer(
        self, customer_id: int, changes: CustomerChanges, *, timeout: float | None = None
    ) -> Customer:
        return self._owner._run(
            self._platform.update_customer(customer_id, changes, timeout=timeout)
        )

    def suspend_customer(self, customer_id: int, *, timeout: float | None = None) -> Customer:
        return self._owner._run(self._platform.suspend_customer(customer_id, timeout=timeout))

    def iter_customer_data(
        self, customer_id: int, *, timeout: float | None = None
    ) -> Iterator[ExportedRow]:
        return self._owner._iterate(self._platform.iter_customer_data(customer_id, timeout=timeout))

    def delete_customer_data(self, customer_id: int, *, timeout: float | None = None) -> Erasure:
        return self._owner._run(self._platform.delete_customer_data(customer_id, timeout=timeout))

    def list_audit_records(
        self,
        customer_id: int = 0,
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[AuditRecord]:
        return self._owner._run(
            self._platform.list_audit_records(
                customer_id, page_size=page_size, page_token=page_token, timeout=timeout
            )
        )
