"""Units of work: one transaction on one connection, with its repositories bound to it.

`Database.tenant(customer_id)` yields a `TenantUnitOfWork` (the tenant is set,
row-level security applies); `Database.statement(customer_id)` a `StatementUnit`
(one statement that sets the tenant itself: the call start, the memory search);
`Database.admin()` yields an `AdminUnitOfWork`
(no tenant; for the schema owner's maintenance: customers, purges). Code
outside storage/ only ever calls the repositories' methods: it never sees the
connection's driver, a SQL string or a database row (no unit of work exposes
its connection).

`set_tenant_sql` is the one place that writes the tenant setting: the tenant
transaction's first statement and `AdminUnitOfWork.enter_tenant` both send it.
"""

from __future__ import annotations

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
from alice_server.storage.repositories.legacy_import import LegacyImportRepository
from alice_server.storage.repositories.memories import MemoryRepository, MemorySearchRepository
from alice_server.storage.repositories.memory_history import MemoryHistoryRepository
from alice_server.storage.repositories.privacy import PrivacyRepository
from alice_server.storage.repositories.schema import SchemaRepository
from alice_server.storage.repositories.stats import StatsRepository
from alice_server.storage.repositories.tenants import (
    PlatformCustomerRepository,
    TenantProfileRepository,
    TenantSettingsRepository,
)
from alice_server.storage.repositories.usage import UsageCounts, UsageRepository

TENANT_SETTING = "alice.customer_id"


def set_tenant_sql(customer_id: int) -> str:
    """The transaction-local tenant setting, as an SQL expression.

    The id is formatted here, from an int, never from request text: that lets the
    tenant transaction send it in the same message as its BEGIN.
    """
    return f"set_config('{TENANT_SETTING}', '{int(customer_id)}', true)"


class TenantUnitOfWork:
    """The repositories of one tenant's transaction (see `Database.tenant`)."""

    __slots__ = (
        "audit",
        "call_records",
        "callers",
        "calls",
        "customers",
        "follow_ups",
        "legacy_import",
        "memories",
        "memory_history",
        "privacy",
        "profile",
        "schema",
        "settings",
        "stats",
        "usage",
    )

    def __init__(self, connection: asyncpg.Connection, customer_id: int) -> None:
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
        self.schema = SchemaRepository(connection)
        self.legacy_import = LegacyImportRepository(connection, customer_id)


class StatementUnit:
    """One statement that sets the tenant itself (an SQL function of the schema), so
    it needs no BEGIN or COMMIT exchange: the call start (`context`) and the memory
    search (`memories`); see `Database.statement`."""

    __slots__ = ("context", "memories")

    def __init__(
        self,
        connection: asyncpg.Connection,
        customer_id: int,
        timeout_seconds: float | None,
        timeout_message: str,
    ) -> None:
        self.context = ContextRepository(connection, customer_id, timeout_seconds, timeout_message)
        self.memories = MemorySearchRepository(
            connection, customer_id, timeout_seconds, timeout_message
        )


class AdminUnitOfWork:
    """The owner-level repositories of one transaction without a tenant (see `Database.admin`)."""

    __slots__ = ("_connection", "audit", "console_users", "customers", "tenants", "usage_counts")

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection
        self.customers = CustomerAdminRepository(connection)
        # t-tenants: every customer's full profile, and every audit record (platform role).
        self.tenants = PlatformCustomerRepository(connection)
        self.audit = AuditRepository(connection)
        # The console's users (platform role, owner) and the RPC counts' flush (0008).
        self.console_users = ConsoleUserRepository(connection)
        self.usage_counts = UsageCounts(connection)

    async def enter_tenant(self, customer_id: int) -> TenantUnitOfWork:
        """The rest of this transaction as `customer_id`'s: a customer created here
        gets its first rows (its settings) in the same transaction."""
        await self._connection.execute(f"SELECT {set_tenant_sql(customer_id)}")
        return TenantUnitOfWork(self._connection, customer_id)
