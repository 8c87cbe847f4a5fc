"""Rows of the tables in `storage.data_tables`, as JSON, for export, erasure and restore.

Rows are PostgreSQL's own JSON form (`to_jsonb`), and restores read them back
with `jsonb_populate_record`, so every type (timestamps with microseconds,
doubles, JSON, UUIDs) round-trips exactly. Generated columns are neither
exported nor restored (PostgreSQL recomputes them).

Bound to a tenant's transaction: row-level security and `customer_id = $1`
both restrict every statement to that tenant.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from alice_server.storage.data_tables import DataTable
from alice_server.storage.repositories.base import TenantRepository

_COLUMNS = """
SELECT attname::text FROM pg_attribute
WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
ORDER BY attnum
"""
_IDENTITY = """
SELECT attname::text FROM pg_attribute
WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attidentity <> ''
"""
_CUSTOMER = "SELECT to_jsonb(c)::text FROM customers c WHERE id = $1"
EXPORT_BATCH = 500


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PrivacyRepository(TenantRepository):
    """Export, erase and restore the tenant's rows, table by table."""

    async def _columns(self, table: str) -> list[str]:
        return [r[0] for r in await self._connection.fetch(_COLUMNS, table)]

    async def _select(self, table: DataTable, user_id: str | None) -> tuple[str, list[Any]]:
        columns = ", ".join(_ident(c) for c in await self._columns(table.name))
        where = "customer_id = $1"
        args: list[Any] = [self._customer_id]
        if user_id is not None:
            assert table.caller_column is not None
            where += f" AND {_ident(table.caller_column)} = $2"
            args.append(user_id)
        statement = (
            f"SELECT to_jsonb(t)::text FROM (SELECT {columns} FROM {_ident(table.name)} "
            f"WHERE {where} ORDER BY {table.order_by}) t"
        )
        return statement, args

    async def rows(
        self, table: DataTable, user_id: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """The tenant's rows of `table` (one caller's with `user_id`), in a cursor."""
        statement, args = await self._select(table, user_id)
        async for record in self._connection.cursor(statement, *args, prefetch=EXPORT_BATCH):
            yield json.loads(record[0])

    async def erase(self, table: DataTable, user_id: str | None = None) -> int:
        where = "customer_id = $1"
        args: list[Any] = [self._customer_id]
        if user_id is not None:
            assert table.caller_column is not None
            where += f" AND {_ident(table.caller_column)} = $2"
            args.append(user_id)
        result = await self._connection.execute(
            f"DELETE FROM {_ident(table.name)} WHERE {where}", *args
        )
        return int(result.split()[-1])

    async def customer_row(self) -> dict[str, Any] | None:
        """The customers row as JSON (schema owner or platform role)."""
        text = await self._connection.fetchval(_CUSTOMER, self._customer_id)
        return None if text is None else dict(json.loads(text))

    async def erase_customer_row(self) -> int:
        """Delete the customers row itself (platform role or schema owner)."""
        result = await self._connection.execute(
            "DELETE FROM customers WHERE id = $1", self._customer_id
        )
        return int(result.split()[-1])

    async def insert(self, table: str, rows: Iterable[dict[str, Any]]) -> int:
        """Insert exported rows as they are (ids included); returns how many."""
        columns = ", ".join(_ident(c) for c in await self._columns(table))
        statement = (
            f"INSERT INTO {_ident(table)} ({columns}) OVERRIDING SYSTEM VALUE "
            f"SELECT {columns} FROM jsonb_populate_record(NULL::{_ident(table)}, $1::text::jsonb)"
        )
        owner_column = "id" if table == "customers" else "customer_id"
        batch = []
        for row in rows:
            if row.get(owner_column) != self._customer_id:
                raise ValueError(f"a {table} row belongs to another customer")
            batch.append((json.dumps(row),))
        await self._connection.executemany(statement, batch)
        await self._advance_identities(table)
        return len(batch)

    async def _advance_identities(self, table: str) -> None:
        """Keep identity sequences ahead of restored ids (other tenants' rows included)."""
        for column in [r[0] for r in await self._connection.fetch(_IDENTITY, table)]:
            sequence = await self._connection.fetchval(
                "SELECT pg_get_serial_sequence($1, $2)", table, column
            )
            await self._connection.execute(
                f"SELECT setval($1::regclass, GREATEST("
                f"(SELECT coalesce(max({_ident(column)}), 1) FROM {_ident(table)}), "
                f"(SELECT last_value FROM {sequence})))",
                sequence,
            )
