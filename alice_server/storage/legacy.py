"""Reading a legacy ai-memory database (storage/repositories/legacy_import.py writes
the imported rows into Alice).

The legacy database is read as it is: with or without `customer_id` columns,
with an `embedding` column of pgvector or any other type (never read), and
tables of older copies may be missing. Its tables must have the columns the
import reads (domain.legacy.LEGACY_COLUMNS), or nothing is read. Only those
columns are selected; jsonb comes back as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from alice_server.domain.errors import FailedPrecondition, Unavailable
from alice_server.domain.legacy import LEGACY_COLUMNS, shape_problems


@dataclass
class LegacyData:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    has_customer_id: dict[str, bool] = field(default_factory=dict)


async def read_legacy(url: str, legacy_customer_id: int) -> LegacyData:
    """Every legacy row of the customer (all rows of tables without customer_id).

    Refused (FailedPrecondition, one line naming every missing column) unless
    the tables have the shape the import reads: an unknown column is never
    ignored, since rows read without it would be imported wrongly."""
    try:
        connection = await asyncpg.connect(url, timeout=10)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise Unavailable(f"cannot connect to the legacy database: {type(exc).__name__}") from None
    data = LegacyData()
    try:
        found: dict[str, dict[str, str]] = {}
        for row in await connection.fetch(
            "SELECT table_name::text, column_name::text, data_type::text "
            "FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ANY($1::text[])",
            list(LEGACY_COLUMNS),
        ):
            found.setdefault(row[0], {})[row[1]] = row[2]
        problems = shape_problems(found)
        if problems:
            raise FailedPrecondition(
                "the legacy database is not in the shape import-legacy reads (MIGRATION.md, "
                f'"The legacy tables"): {"; ".join(problems)}; nothing was imported'
            )
        for table, wanted in LEGACY_COLUMNS.items():
            columns = found.get(table)
            if columns is None:
                data.tables[table] = []
                continue
            expressions = ", ".join(
                f'"{c}"::text AS "{c}"' if c in _JSON_COLUMNS else f'"{c}"' for c in wanted
            )
            statement = f'SELECT {expressions} FROM "{table}"'
            args: list[Any] = []
            data.has_customer_id[table] = "customer_id" in columns
            if "customer_id" in columns:
                statement += " WHERE customer_id = $1"
                args.append(legacy_customer_id)
            rows = await connection.fetch(statement, *args)
            data.tables[table] = [dict(r) for r in rows]
    finally:
        await connection.close()
    return data


_JSON_COLUMNS = {"value_json", "key_topics", "preferences", "context"}
