"""What every repository shares: the connection of its unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from alice_server.domain.errors import StatementTimeout


class TenantRepository:
    """A repository bound to one tenant's transaction (see `Database.tenant`).

    Statements name the tenant (`customer_id = $1`) as well as relying on row-level
    security: the planner then uses the indexes that lead with customer_id.
    """

    __slots__ = ("_connection", "_customer_id")

    def __init__(self, connection: asyncpg.Connection, customer_id: int) -> None:
        self._connection = connection
        self._customer_id = customer_id


class StatementRepository:
    """A repository of one statement that sets the tenant itself (an SQL function of
    the schema; see `Database.statement`), on a connection with no tenant set.

    The statement timeout of a single statement cannot be set inside it (PostgreSQL
    arms the timer when the statement starts), so the driver enforces it: past the
    timeout asyncpg sends a cancel request to the server and the call fails with
    StatementTimeout.
    """

    __slots__ = ("_connection", "_customer_id", "_timeout", "_timeout_message")

    def __init__(
        self,
        connection: asyncpg.Connection,
        customer_id: int,
        timeout_seconds: float | None,
        timeout_message: str,
    ) -> None:
        self._connection = connection
        self._customer_id = customer_id
        self._timeout = timeout_seconds
        self._timeout_message = timeout_message

    async def _fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._timed(self._connection.fetch, query, *args)
        return rows

    async def _fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self._timed(self._connection.fetchrow, query, *args)
        return row

    async def _fetchval(self, query: str, *args: Any) -> Any:
        return await self._timed(self._connection.fetchval, query, *args)

    async def _timed(self, method: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        try:
            return await method(*args, timeout=self._timeout)
        except TimeoutError:
            raise StatementTimeout(self._timeout_message) from None
