"""Units of work: one transaction on one connection, with its repositories bound to it.

`Database.tenant(customer_id)` yields a `TenantUnitOfWork` (the tenant is set,
row-level security applies); `Database.statement(customer_id)` a `StatementUnit`
(one statement that sets the tenant itself: the call start);
`Database.admin()` yields an `AdminUnitOfWork`
(no tenant; for the schema owner's maintenance: customers, purges). Code
outside storage/ only ever calls the repositories' methods: it never sees the
connection's driver, a SQL string or a database row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg

from alice_server.storage.repositories.audit import AuditRepository
from alice_server.storage.repositories.call_records import CallRecordRepository
from alice_server.storage.repositories.callers import CallerRepository
from alice_server.storage.repositories.calls import CallRepository
from alice_server.storage.repositories.console_users import ConsoleUserRepository
from alice_server.storage.repositories.context import ContextRepository
from alice_server.storage.repositories.customers import (
    CustomerAdminRepository,
    CustomerRepository,
)
from alice_server.storage.repositories.follow_ups import FollowUpRepository
from alice_server.storage.repositories.memories import MemoryRepository
from alice_server.storage.repositories.memory_history import MemoryHistoryRepository
from alice_server.storage.repositories.privacy import PrivacyRepository
from alice_server.storage.repositories.stats import StatsRepository
from alice_server.storage.repositories.tenants import (
    PlatformCustomerRepository,
    TenantProfileRepository,
    TenantSettingsRepository,
)
from alice_server.storage.repositories.usage import UsageCounts, UsageRepository

if TYPE_CHECKING:
    from alice_server.storage.database import Database


class TenantUnitOfWork:
    """The repositories of one tenant's transaction (see `Database.tenant`)."""

    __slots__ = (
        "audit",
        "call_records",
        "callers",
        "calls",
        "connection",
        "customer_id",
        "customers",
        "follow_ups",
        "memories",
        "memory_history",
        "privacy",
        "profile",
        "settings",
        "stats",
        "usage",
    )

    def __init__(self, connection: asyncpg.Connection, customer_id: int) -> None:
        self.customer_id = customer_id
        self.connection = connection
        self.memories = MemoryRepository(connection, customer_id)
        self.memory_history = MemoryHistoryRepository(connection, customer_id)
        self.calls = CallRepository(connection, customer_id)
        self.callers = CallerRepository(connection, customer_id)
        self.customers = CustomerRepository(connection, customer_id)
        self.call_records = CallRecordRepository(connection, customer_id)
        self.stats = StatsRepository(connection, customer_id)
        self.follow_ups = FollowUpRepository(connection, customer_id)
        # t-tenants: the full profile, settings, audit trail, privacy export/erasure.
        self.profile = TenantProfileRepository(connection, customer_id)
        self.settings = TenantSettingsRepository(connection, customer_id)
        self.audit = AuditRepository(connection)
        self.privacy = PrivacyRepository(connection, customer_id)
        # The console's usage series (migration 0008).
        self.usage = UsageRepository(connection, customer_id)


class StatementUnit:
    """One statement that sets the tenant itself (an SQL function of the schema), so
    it needs no BEGIN or COMMIT exchange: the call start (see `Database.statement`)."""

    __slots__ = ("context",)

    def __init__(
        self,
        connection: asyncpg.Connection,
        customer_id: int,
        timeout_seconds: float | None,
        timeout_message: str,
    ) -> None:
        self.context = ContextRepository(connection, customer_id, timeout_seconds, timeout_message)


class AdminUnitOfWork:
    """The owner-level repositories of one transaction without a tenant (see `Database.admin`)."""

    __slots__ = (
        "audit",
        "connection",
        "console_users",
        "customers",
        "database",
        "tenants",
        "usage_counts",
    )

    def __init__(self, connection: asyncpg.Connection, database: Database) -> None:
        self.connection = connection
        self.database = database
        self.customers = CustomerAdminRepository(connection)
        # t-tenants: every customer's full profile, and every audit record (platform role).
        self.tenants = PlatformCustomerRepository(connection)
        self.audit = AuditRepository(connection)
        # The console's users (platform role, owner) and the RPC counts' flush (0008).
        self.console_users = ConsoleUserRepository(connection)
        self.usage_counts = UsageCounts(connection)
