"""What every repository shares: the connection of its unit of work."""

from __future__ import annotations

import asyncpg


class TenantRepository:
    """A repository bound to one tenant's transaction (see `Database.tenant`).

    Statements name the tenant (`customer_id = $1`) as well as relying on row-level
    security: the planner then uses the indexes that lead with customer_id.
    """

    __slots__ = ("_connection", "_customer_id")

    def __init__(self, connection: asyncpg.Connection, customer_id: int) -> None:
        self._connection = connection
        self._customer_id = customer_id
