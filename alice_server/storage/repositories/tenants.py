"""customers (the full profile) and tenant_settings.

`TenantProfileRepository` and `TenantSettingsRepository` are bound to one
tenant's transaction (the service role sees only that tenant's rows).
`PlatformCustomerRepository` runs without a tenant, as the platform role (its
own policy on customers shows it every customer) or the schema owner.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import asyncpg

from alice_server.domain.errors import AlreadyExists
from alice_server.domain.tenants import (
    Customer,
    CustomerChanges,
    CustomerDraft,
)
from alice_server.storage.repositories.base import TenantRepository

COLUMNS = (
    "id, business_name, agent_name, greeting_template, voice, twilio_phone_number, "
    "time_zone, status, rate_limit_per_second, created_at, updated_at"
)
# Columns UpdateCustomer may change (CustomerChanges keys).
UPDATABLE = frozenset(
    {
        "business_name",
        "agent_name",
        "greeting_template",
        "voice",
        "twilio_phone_number",
        "time_zone",
        "status",
        "rate_limit_per_second",
    }
)
TWILIO_TAKEN = "that twilio_number belongs to another customer"

_OWN = f"SELECT {COLUMNS} FROM customers WHERE id = $1"
_CREATE = f"""
INSERT INTO customers (id, business_name, agent_name, greeting_template, voice,
                       twilio_phone_number, time_zone, rate_limit_per_second, status)
VALUES (coalesce($1, nextval(pg_get_serial_sequence('customers', 'id'))),
        $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING {COLUMNS}
"""
_SYNC_SEQUENCE = (
    "SELECT setval(pg_get_serial_sequence('customers', 'id'), "
    "GREATEST((SELECT max(id) FROM customers), 1))"
)
_GET = f"SELECT {COLUMNS} FROM customers WHERE id = $1"
# ProcessCall's view of its tenant, in one statement: the time zone and one setting.
_PAGE = f"""
SELECT {COLUMNS} FROM customers
WHERE id > $1 AND ($2::text IS NULL OR status = $2)
ORDER BY id
LIMIT $3
"""
# The call-start lookup: the unique index on twilio_phone_number answers it.
_BY_NUMBER = f"SELECT {COLUMNS} FROM customers WHERE twilio_phone_number = $1"
_DELETE = "DELETE FROM customers WHERE id = $1"
_IDS = "SELECT id FROM customers ORDER BY id"

_SETTINGS = """
SELECT name, value::text AS value FROM tenant_settings
WHERE customer_id = $1 AND (cardinality($2::text[]) = 0 OR name = ANY($2::text[]))
ORDER BY name
"""
_UPSERT_SETTING = """
INSERT INTO tenant_settings (customer_id, name, value) VALUES ($1, $2, $3::text::jsonb)
ON CONFLICT (customer_id, name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
"""
_DELETE_SETTINGS = "DELETE FROM tenant_settings WHERE customer_id = $1 AND name = ANY($2::text[])"


def customer_of(row: asyncpg.Record) -> Customer:
    return Customer(
        id=row["id"],
        business_name=row["business_name"],
        agent_name=row["agent_name"],
        greeting_template=row["greeting_template"],
        voice=row["voice"],
        twilio_number=row["twilio_phone_number"],
        time_zone=row["time_zone"],
        status=row["status"],
        rate_limit_per_second=row["rate_limit_per_second"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class TenantProfileRepository(TenantRepository):
    """The tenant's own customers row, full profile."""

    async def get(self) -> Customer | None:
        row = await self._connection.fetchrow(_OWN, self._customer_id)
        return None if row is None else customer_of(row)


class TenantSettingsRepository(TenantRepository):
    """The tenant's named settings (JSON values)."""

    async def read(self, names: Iterable[str] = ()) -> dict[str, Any]:
        rows = await self._connection.fetch(_SETTINGS, self._customer_id, list(names))
        return {row["name"]: json.loads(row["value"]) for row in rows}

    async def write(self, values: dict[str, Any]) -> None:
        await self._connection.executemany(
            _UPSERT_SETTING,
            [(self._customer_id, name, json.dumps(value)) for name, value in values.items()],
        )

    async def remove(self, names: Iterable[str]) -> None:
        await self._connection.execute(_DELETE_SETTINGS, self._customer_id, list(names))


class PlatformCustomerRepository:
    """Every customer: the platform role's (or the owner's) view, no tenant set."""

    __slots__ = ("_connection",)

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def create(self, draft: CustomerDraft) -> Customer:
        try:
            row = await self._connection.fetchrow(
                _CREATE,
                draft.id,
                draft.business_name,
                draft.agent_name,
                draft.greeting_template,
                draft.voice,
                draft.twilio_number,
                draft.time_zone,
                draft.rate_limit_per_second,
                draft.status,
            )
        except asyncpg.exceptions.UniqueViolationError as exc:
            raise _taken(exc, draft.id) from None
        assert row is not None
        if draft.id is not None:
            await self._connection.execute(_SYNC_SEQUENCE)
        return customer_of(row)

    async def get(self, customer_id: int) -> Customer | None:
        row = await self._connection.fetchrow(_GET, customer_id)
        return None if row is None else customer_of(row)

    async def page(self, after_id: int, limit: int, status: str | None) -> list[Customer]:
        rows = await self._connection.fetch(_PAGE, after_id, status, limit)
        return [customer_of(row) for row in rows]

    async def update(self, customer_id: int, changes: CustomerChanges) -> Customer | None:
        columns = [c for c in changes.values if c in UPDATABLE]
        assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
        statement = (
            f"UPDATE customers SET {assignments}, updated_at = now() "
            f"WHERE id = $1 RETURNING {COLUMNS}"
        )
        try:
            row = await self._connection.fetchrow(
                statement, customer_id, *(changes.values[c] for c in columns)
            )
        except asyncpg.exceptions.UniqueViolationError as exc:
            raise _taken(exc, None) from None
        return None if row is None else customer_of(row)

    async def by_number(self, number: str) -> Customer | None:
        row = await self._connection.fetchrow(_BY_NUMBER, number)
        return None if row is None else customer_of(row)

    async def delete(self, customer_id: int) -> int:
        result = await self._connection.execute(_DELETE, customer_id)
        return int(result.split()[-1])

    async def ids(self) -> list[int]:
        return [row["id"] for row in await self._connection.fetch(_IDS)]


def _taken(exc: asyncpg.exceptions.UniqueViolationError, customer_id: int | None) -> AlreadyExists:
    if "twilio" in (exc.constraint_name or ""):
        return AlreadyExists(TWILIO_TAKEN)
    return AlreadyExists(f"customer {customer_id} exists already")
