"""customers: the tenant's own row (service role) and the owner's administration."""

from __future__ import annotations

import asyncpg

from alice_server.domain.customers import CustomerRecord, NewCustomer
from alice_server.domain.errors import AlreadyExists
from alice_server.storage.repositories.base import TenantRepository

RECORD_COLUMNS = "id, business_name, agent_name, twilio_phone_number, status"

_STATUS = "SELECT status FROM customers WHERE id = $1"
_CREATE = f"""
INSERT INTO customers (id, business_name, agent_name, greeting_template, twilio_phone_number)
VALUES (coalesce($1, nextval(pg_get_serial_sequence('customers', 'id'))), $2, $3, $4, $5)
RETURNING {RECORD_COLUMNS}
"""
# Keep the identity sequence ahead of explicitly chosen ids.
_SYNC_SEQUENCE = (
    "SELECT setval(pg_get_serial_sequence('customers', 'id'), "
    "GREATEST((SELECT max(id) FROM customers), 1))"
)
_SET_STATUS = f"""
UPDATE customers SET status = $2, updated_at = now() WHERE id = $1
RETURNING {RECORD_COLUMNS}
"""
_LIST = f"SELECT {RECORD_COLUMNS} FROM customers ORDER BY id"
_IDS = "SELECT id FROM customers ORDER BY id"


def record_of(row: asyncpg.Record) -> CustomerRecord:
    return CustomerRecord(
        id=row["id"],
        business_name=row["business_name"],
        agent_name=row["agent_name"],
        twilio_phone_number=row["twilio_phone_number"],
        status=row["status"],
    )


class CustomerRepository(TenantRepository):
    """The tenant's own customers row (row-level security shows the service role no other)."""

    async def status(self) -> str | None:
        """'active', 'suspended', or None when the customer does not exist."""
        status: str | None = await self._connection.fetchval(_STATUS, self._customer_id)
        return status


class CustomerAdminRepository:
    """Every customer, for the schema owner (`Database.admin()`)."""

    __slots__ = ("_connection",)

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def create(self, customer: NewCustomer) -> CustomerRecord:
        """The new customer; AlreadyExists when its id or phone number is taken."""
        try:
            row = await self._connection.fetchrow(
                _CREATE,
                customer.id,
                customer.business_name,
                customer.agent_name,
                customer.greeting_template,
                customer.twilio_phone_number,
            )
        except asyncpg.exceptions.UniqueViolationError as exc:
            raise AlreadyExists(f"refused by the database: {exc.detail or exc}") from None
        assert row is not None
        if customer.id is not None:
            await self._connection.execute(_SYNC_SEQUENCE)
        return record_of(row)

    async def set_status(self, customer_id: int, status: str) -> CustomerRecord | None:
        row = await self._connection.fetchrow(_SET_STATUS, customer_id, status)
        return None if row is None else record_of(row)

    async def list_all(self) -> list[CustomerRecord]:
        return [record_of(row) for row in await self._connection.fetch(_LIST)]

    async def ids(self) -> list[int]:
        return [row["id"] for row in await self._connection.fetch(_IDS)]
