"""Tenant use cases: a tenant's own profile and settings, and the platform's
management of customers (create, read, page, update, look up by number).

Tenant calls run in the tenant's unit of work on the service role's pool.
Platform calls run on the platform role's pool (`platform_db`): a database
role of their own, which sees every customers row but no tenant row unless a
transaction names the tenant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alice_server.domain.errors import FailedPrecondition, NotFound
from alice_server.domain.paging import PageTokens, page_size
from alice_server.domain.tenants import (
    Customer,
    CustomerChanges,
    CustomerDraft,
    SettingsUpdate,
)
from alice_server.storage.database import Database

PLATFORM_NOT_CONFIGURED = (
    "this server has no platform database role: set ALICE_PLATFORM_DATABASE_URL "
    "(the <ALICE_DB_APP_ROLE>_platform role the migrations create)"
)


class TenantProfiles:
    """GetMyCustomer, GetSettings, UpdateSettings: the calling tenant's own data."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def my_customer(self, customer_id: int) -> Customer:
        async with self._db.tenant(customer_id) as uow:
            customer = await uow.profile.get()
        if customer is None:  # the interceptor checked it exists; erased meanwhile
            raise NotFound(f"customer {customer_id} does not exist")
        return customer

    async def settings(self, customer_id: int, names: list[str]) -> dict[str, Any]:
        async with self._db.tenant(customer_id) as uow:
            return await uow.settings.read(names)

    async def update_settings(self, customer_id: int, update: SettingsUpdate) -> dict[str, Any]:
        async with self._db.tenant(customer_id) as uow:
            settings = uow.settings
            if update.values:
                await settings.write(update.values)
            if update.clear:
                await settings.remove(update.clear)
            return await settings.read()


@dataclass(frozen=True, slots=True)
class CustomerPage:
    customers: list[Customer]
    next_page_token: str


class CustomerAdmin:
    """The platform RPCs on customers, on the platform role's pool."""

    def __init__(
        self,
        platform_db: Database | None,
        tokens: PageTokens,
        *,
        cache_seconds: float,
        on_change: Callable[[int], None] = lambda customer_id: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._platform_db = platform_db
        self._tokens = tokens
        self._ttl = cache_seconds
        self._on_change = on_change
        self._clock = clock
        self._by_number: dict[str, tuple[Customer | None, float]] = {}

    @property
    def db(self) -> Database:
        if self._platform_db is None:
            raise FailedPrecondition(PLATFORM_NOT_CONFIGURED)
        return self._platform_db

    async def create(self, draft: CustomerDraft) -> Customer:
        async with self.db.admin() as uow:
            customer = await uow.tenants.create(draft)
        self._by_number.clear()  # a cached "no customer has that number" is stale now
        return customer

    async def get(self, customer_id: int) -> Customer:
        async with self.db.admin() as uow:
            customer = await uow.tenants.get(customer_id)
        if customer is None:
            raise NotFound(f"customer {customer_id} does not exist")
        return customer

    async def page(self, requested_size: int, token: str, status: str | None) -> CustomerPage:
        size = page_size(requested_size)
        scope = [status or ""]
        position = self._tokens.decode(token, "customers", scope)
        after_id = int(position[0]) if position else 0
        async with self.db.admin() as uow:
            rows = await uow.tenants.page(after_id, size + 1, status)
        more = len(rows) > size
        rows = rows[:size]
        next_token = self._tokens.encode("customers", scope, [rows[-1].id]) if more else ""
        return CustomerPage(rows, next_token)

    async def update(self, customer_id: int, changes: CustomerChanges) -> Customer:
        if not changes:
            return await self.get(customer_id)
        async with self.db.admin() as uow:
            customer = await uow.tenants.update(customer_id, changes)
        if customer is None:
            raise NotFound(f"customer {customer_id} does not exist")
        # This replica forgets the customer at once; the others within their cache TTL.
        self._by_number.clear()
        self._on_change(customer_id)
        return customer

    async def lookup(self, number: str) -> Customer:
        """The call-start lookup: one indexed query, cached for the customer cache TTL."""
        now = self._clock()
        cached = self._by_number.get(number)
        if cached is not None and cached[1] > now:
            customer = cached[0]
        else:
            async with self.db.admin() as uow:
                customer = await uow.tenants.by_number(number)
            if self._ttl > 0:
                if len(self._by_number) > 10_000:
                    self._by_number.clear()
                self._by_number[number] = (customer, now + self._ttl)
        if customer is None:
            raise NotFound("no customer has that number")
        return customer
