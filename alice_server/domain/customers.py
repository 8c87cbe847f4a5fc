"""Customers (tenants): the check every RPC makes, and the admin operations.

The service role sees only the customers row of the tenant it has set (RLS on
customers), so the check runs in a tenant transaction like everything else.
Its answer is cached for ALICE_CUSTOMER_CACHE_SECONDS: suspending a customer
takes effect within that time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from alice_server.domain.errors import InvalidArgument, NotFound, PermissionDenied
from alice_server.storage.database import Database
from alice_server.storage.models import Customer

ACTIVE, SUSPENDED = "active", "suspended"


class CustomerDirectory:
    """Answers "may this customer use Alice now?" with a short-lived cache."""

    def __init__(
        self,
        db: Database,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[int, tuple[str | None, float]] = {}
        # customer -> its own rate limit (calls per second), where one is stored.
        self._rate_limits: dict[int, float | None] = {}

    def cached_rate_limit(self, customer_id: int) -> float | None:
        """The customer's own rate limit as last read (None: the default), without
        a database round trip, so the rate limit can be checked before any lookup.

        The hook for the nullable `customers.rate_limit_per_second` column: read
        with the status when the schema has it (see `_status`)."""
        return self._rate_limits.get(customer_id)

    async def check_active(self, customer_id: int) -> None:
        status = await self._status(customer_id)
        if status is None:
            raise PermissionDenied(f"customer {customer_id} does not exist")
        if status != ACTIVE:
            raise PermissionDenied(f"customer {customer_id} is {status}")

    async def _status(self, customer_id: int) -> str | None:
        now = self._clock()
        cached = self._cache.get(customer_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        rate_column = getattr(Customer, "rate_limit_per_second", None)
        columns = [Customer.status] if rate_column is None else [Customer.status, rate_column]
        async with self._db.tenant_session(customer_id) as session:
            row = (
                await session.execute(select(*columns).where(Customer.id == customer_id))
            ).first()
        status = row[0] if row is not None else None
        rate = row[1] if row is not None and len(row) > 1 else None
        self._rate_limits[customer_id] = float(rate) if rate is not None else None
        if self._ttl > 0:
            self._cache[customer_id] = (status, now + self._ttl)
        return status


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: int
    business_name: str
    agent_name: str
    twilio_phone_number: str | None
    status: str


async def create_customer(
    connection: AsyncConnection,
    *,
    business_name: str,
    agent_name: str = "",
    greeting_template: str = "",
    twilio_phone_number: str | None = None,
    customer_id: int | None = None,
) -> CustomerRecord:
    """Insert a customer (as the schema owner). An explicit id is for imports."""
    if not business_name.strip():
        raise InvalidArgument("business_name is required")
    values: dict[str, object] = {
        "business_name": business_name.strip(),
        "agent_name": agent_name,
        "greeting_template": greeting_template,
        "twilio_phone_number": twilio_phone_number,
    }
    if customer_id is not None:
        if customer_id <= 0:
            raise InvalidArgument("customer id must be a positive integer")
        values["id"] = customer_id
    row = (await connection.execute(insert(Customer).values(**values).returning(*_COLUMNS))).one()
    if customer_id is not None:
        # Keep the identity sequence ahead of explicitly chosen ids.
        await connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('customers', 'id'), "
            "GREATEST((SELECT max(id) FROM customers), 1))"
        )
    return CustomerRecord(*row)


async def set_status(connection: AsyncConnection, customer_id: int, status: str) -> CustomerRecord:
    if status not in (ACTIVE, SUSPENDED):
        raise InvalidArgument("status must be active or suspended")
    row = (
        await connection.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(status=status, updated_at=func.now())
            .returning(*_COLUMNS)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return CustomerRecord(*row)


async def list_customers(connection: AsyncConnection) -> list[CustomerRecord]:
    rows = await connection.execute(select(*_COLUMNS).order_by(Customer.id))
    return [CustomerRecord(*row) for row in rows]


# The columns of CustomerRecord, in its field order.
_COLUMNS: list[Any] = [
    Customer.id,
    Customer.business_name,
    Customer.agent_name,
    Customer.twilio_phone_number,
    Customer.status,
]
