"""The tenant's profile and settings, cached per tenant, and the call-start bundle.

The voice agent reads its tenant's settings constantly: the transfer rules on
every caller utterance, the voice on every text-to-speech request. They
change rarely (an admin edits them), so the client keeps them per tenant for
`ttl` seconds (`AliceClient(settings_ttl=...)`, default 60) and fetches them
again after that; `TenantClient.refresh_tenant_info()` fetches them now (call
it when an admin screen saved new settings). Concurrent misses of one tenant
share one fetch. When a refresh fails and an older copy exists, the older
copy is served (and the failure logged): stale settings beat a silent agent.

Where the settings come from is a `TenantInfoSource`. `LegacySettingsSource`
reads them as the legacy service kept them: the tenant's shared memories of
type "admin_setting", {key: value}; it knows no tenant profile (None). The
TenantService of the tenants work (GetMyCustomer, GetSettings) replaces it
once merged: a source whose `fetch` calls those two RPCs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import grpc

from chad_client import errors
from chad_client.models import EnrichedContext

if TYPE_CHECKING:
    from chad_client.client import TenantClient

logger = logging.getLogger("chad_client")

SETTINGS_TYPE = "admin_setting"
MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class TenantProfile:
    """Who the tenant is, for the system prompt and the greeting."""

    customer_id: int
    business_name: str
    agent_name: str
    greeting_template: str
    voice: str = ""
    time_zone: str = ""


@dataclass(frozen=True, slots=True)
class TenantInfo:
    """A tenant's profile (None when the source has none) and its settings."""

    profile: TenantProfile | None
    settings: dict[str, Any]


class TenantInfoSource(Protocol):
    async def fetch(self, tenant: TenantClient, timeout: float) -> TenantInfo:
        """The tenant's profile and settings, fresh from Alice, within `timeout`."""
        ...


class LegacySettingsSource:
    """Settings as shared memories of type "admin_setting" (one ListMemories page)."""

    def __init__(self, type: str = SETTINGS_TYPE) -> None:
        self.type = type

    async def fetch(self, tenant: TenantClient, timeout: float) -> TenantInfo:
        page = await tenant.list_memories(
            "", type=self.type, include_shared=True, page_size=MAX_PAGE_SIZE, timeout=timeout
        )
        return TenantInfo(None, {m.key: m.value for m in page.items})


@dataclass
class _Entry:
    info: TenantInfo
    fetched_at: float


@dataclass
class TenantInfoCache:
    """Per-tenant cache of `TenantInfo` with a TTL and single-flight refreshes."""

    source: TenantInfoSource
    ttl: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _entries: dict[int, _Entry] = field(default_factory=dict)
    _inflight: dict[int, asyncio.Future[TenantInfo]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ttl < 0:
            raise ValueError("settings_ttl must be >= 0 seconds")

    async def get(
        self, tenant: TenantClient, timeout: float, *, refresh: bool = False
    ) -> TenantInfo:
        entry = self._entries.get(tenant.customer_id)
        if entry is not None and not refresh and self.clock() - entry.fetched_at < self.ttl:
            return entry.info
        try:
            return await self._fetch(tenant, timeout)
        except errors.AliceError as exc:
            if entry is None or refresh:
                raise
            logger.warning(
                "Alice settings refresh failed for customer %d; serving the copy from "
                "%.0f s ago: %s",
                tenant.customer_id,
                self.clock() - entry.fetched_at,
                type(exc).__name__,
            )
            return entry.info

    def invalidate(self, customer_id: int | None = None) -> None:
        """Forget one tenant's copy (or every tenant's)."""
        if customer_id is None:
            self._entries.clear()
        else:
            self._entries.pop(customer_id, None)

    async def _fetch(self, tenant: TenantClient, timeout: float) -> TenantInfo:
        customer_id = tenant.customer_id
        pending = self._inflight.get(customer_id)
        if pending is None:
            pending = asyncio.ensure_future(self.source.fetch(tenant, timeout))
            self._inflight[customer_id] = pending

            def store(done: asyncio.Future[TenantInfo]) -> None:
                self._inflight.pop(customer_id, None)
                if not done.cancelled() and done.exception() is None:
                    self._entries[customer_id] = _Entry(done.result(), self.clock())

            pending.add_done_callback(store)
        # Shielded: one waiter giving up does not cancel the others' fetch.
        try:
            return await asyncio.wait_for(asyncio.shield(pending), timeout)
        except TimeoutError:
            raise errors.DeadlineExceeded(
                "the tenant's settings were not fetched within the deadline",
                grpc.StatusCode.DEADLINE_EXCEEDED,
            ) from None


@dataclass(frozen=True, slots=True)
class CallStart:
    """Everything the agent needs to start speaking, from `TenantClient.start_call`.

    Never raised for Alice's failures: whatever could not be had within the
    deadline is empty (`profile` None, `settings` {}, an empty `context`), and
    `degraded_reasons` says what and why.
    """

    customer_id: int
    user_id: str
    profile: TenantProfile | None
    settings: dict[str, Any]
    context: EnrichedContext
    degraded_reasons: list[str]

    @property
    def degraded(self) -> bool:
        return bool(self.degraded_reasons)

    @property
    def caller_name(self) -> str:
        """The caller's preferred name, when Alice knows it ("" otherwise)."""
        profile = self.context.profile
        return profile.preferred_name if profile is not None else ""
