"""The tenant's profile and settings, cached per tenant, and the call-start bundle.

The voice agent reads its tenant's settings constantly: the transfer rules on
every caller utterance, the voice on every text-to-speech request. They
change rarely (an admin edits them), so the client keeps them per tenant for
`ttl` seconds (`AliceClient(settings_ttl=...)`, default 60) and fetches them
again after that; `TenantClient.refresh_tenant_info()` fetches them now (call
it when an admin screen saved new settings). Concurrent misses of one tenant
share one fetch. When a refresh fails and an older copy exists, the older
copy is served (and the failure logged): stale settings beat a silent agent.

Where the profile and settings come from is a `TenantInfoSource`:

- `TenantServiceSource` (the default): TenantService.GetMyCustomer (the
  profile: business and agent name, greeting template, voice, time zone) and
  TenantService.GetSettings (typed settings: greetings, voice, transfer rules,
  prompt blocks, and free-form `other` ones), fetched concurrently.
- `LegacySettingsSource`: for a tenant whose settings still live where the
  legacy service kept them, shared memories of type "admin_setting". Their
  legacy names map to the typed settings as `alice-admin import-legacy` maps
  them (existing_user_greeting -> returning_caller_greeting, voice_id /
  openai_voice -> voice...); any other key goes to `other`. It knows no
  tenant profile (None). Choose it with
  `AliceClient(tenant_info_source=LegacySettingsSource())`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import grpc

from chad_client import errors
from chad_client.models import EnrichedContext, FollowUp
from chad_client.prompt import Prompt, build_prompt
from chad_client.tenants import Customer, PromptBlock, TenantSettings, TransferRule

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

    @classmethod
    def of(cls, customer: Customer) -> TenantProfile:
        return cls(
            customer_id=customer.id,
            business_name=customer.business_name,
            agent_name=customer.agent_name,
            greeting_template=customer.greeting_template,
            voice=customer.voice,
            time_zone=customer.time_zone,
        )


@dataclass(frozen=True, slots=True)
class TenantInfo:
    """A tenant's profile (None when the source has none) and its typed settings."""

    profile: TenantProfile | None
    settings: TenantSettings


class TenantInfoSource(Protocol):
    async def fetch(self, tenant: TenantClient, timeout: float) -> TenantInfo:
        """The tenant's profile and settings, fresh from Alice, within `timeout`."""
        ...


class TenantServiceSource:
    """Profile and settings from TenantService: GetMyCustomer and GetSettings,
    concurrently, each within `timeout`."""

    async def fetch(self, tenant: TenantClient, timeout: float) -> TenantInfo:
        customer, settings = await asyncio.gather(
            tenant.get_my_customer(timeout=timeout),
            tenant.get_tenant_settings(timeout=timeout),
        )
        return TenantInfo(TenantProfile.of(customer), settings)


# Legacy setting names -> typed TenantSettings fields (as alice-admin
# import-legacy maps them).
LEGACY_SETTING_NAMES = {
    "existing_user_greeting": "returning_caller_greeting",
    "returning_user_greeting": "returning_caller_greeting",
    "returning_caller_greeting": "returning_caller_greeting",
    "new_caller_greeting": "new_caller_greeting",
    "new_user_greeting": "new_caller_greeting",
    "openai_voice": "voice",
    "voice_id": "voice",
    "voice": "voice",
    "transfer_rules": "transfer_rules",
    "prompt_blocks": "prompt_blocks",
}


def legacy_settings(values: dict[str, dict[str, Any]]) -> TenantSettings:
    """Typed settings from legacy {key: value} setting memories. A value is
    {"value": text} for a text setting, {"rules": [...]} for transfer rules,
    {"blocks": [...]} for prompt blocks; what does not fit goes to `other`."""
    typed: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for key, value in values.items():
        name = LEGACY_SETTING_NAMES.get(key)
        if name in ("transfer_rules", "prompt_blocks"):
            items = value.get("rules" if name == "transfer_rules" else "blocks")
            if isinstance(items, list) and all(isinstance(i, dict) for i in items):
                if name == "transfer_rules":
                    typed[name] = [
                        TransferRule(
                            str(i.get("when", "")),
                            str(i.get("target", "")),
                            str(i.get("phone_number", "")),
                        )
                        for i in items
                    ]
                else:
                    typed[name] = [
                        PromptBlock(str(i.get("name", "")), str(i.get("text", ""))) for i in items
                    ]
                continue
        elif name is not None and isinstance(value.get("value"), str):
            typed.setdefault(name, value["value"])
            continue
        other[key] = value
    return TenantSettings(**typed, other=other)


class LegacySettingsSource:
    """Settings as shared memories of type "admin_setting" (one ListMemories page)."""

    def __init__(self, type: str = SETTINGS_TYPE) -> None:
        self.type = type

    async def fetch(self, tenant: TenantClient, timeout: float) -> TenantInfo:
        page = await tenant.list_memories(
            "", type=self.type, include_shared=True, page_size=MAX_PAGE_SIZE, timeout=timeout
        )
        return TenantInfo(None, legacy_settings({m.key: m.value for m in page.items}))


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
    deadline is empty (`profile` None, `settings` all unset, an empty
    `context`), and `degraded_reasons` says what and why.
    """

    customer_id: int
    user_id: str
    profile: TenantProfile | None
    settings: TenantSettings
    context: EnrichedContext
    degraded_reasons: list[str]

    @property
    def degraded(self) -> bool:
        return bool(self.degraded_reasons)

    @property
    def follow_ups(self) -> list[FollowUp]:
        """The caller's open follow-ups, earliest due first (`overdue` marks the
        late ones); empty when the context could not be had."""
        return self.context.follow_ups

    @property
    def caller_name(self) -> str:
        """The caller's preferred name, when Alice knows it ("" otherwise)."""
        profile = self.context.profile
        return profile.preferred_name if profile is not None else ""

    @property
    def voice(self) -> str:
        """The voice for text-to-speech: the setting, else the profile's ("" if neither)."""
        return self.settings.voice or (self.profile.voice if self.profile else "")

    def prompt(self, *, now: dt.datetime | None = None) -> Prompt | None:
        """The system prompt and greeting (`chad_client.build_prompt`), or None
        when the tenant's profile could not be had (the agent's own fallback)."""
        if self.profile is None:
            return None
        return build_prompt(self.profile, self.settings, self.context, now=now)
