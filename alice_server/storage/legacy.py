"""Reading a legacy ai-memory database (storage/repositories/legacy_import.py writes
the imported rows into Alice).

The legacy database is read as it is: with or without `customer_id` columns,
with an `embedding` column of pgvector or any other type (never read), and
tables of older copies may be missing. Only the columns the import uses are
selected; jsonb comes back as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from alice_server.domain.errors import Unavailable
from alice_server.domain.traits import AVERAGED_TRAITS, PERSONALITY_TRAITS, RECENT_LEVELS

LEGACY_TABLES = (
    "memories",
    "call_summaries",
    "caller_profiles",
    "personality_metrics",
    "personality_averages",
)
_WANTED: dict[str, tuple[str, ...]] = {
    "memories": (
        "id",
        "user_id",
        "scope",
        "type",
        "k",
        "value_json",
        "source",
        "ttl_days",
        "created_at",
    ),
    "call_summaries": (
        "id",
        "call_id",
        "user_id",
        "call_date",
        "summary",
        "key_topics",
        "key_variables",
        "sentiment",
        "duration_seconds",
        "resolution_status",
        "created_at",
    ),
    "caller_profiles": (
        "id",
        "user_id",
        "first_call_date",
        "last_call_date",
        "total_calls",
        "preferred_name",
        "preferences",
        "context",
        "created_at",
        "updated_at",
    ),
    "personality_metrics": (
        "id",
        "user_id",
        "call_id",
        "measured_at",
        *PERSONALITY_TRAITS,
        "created_at",
    ),
    "personality_averages": (
        "user_id",
        "call_count",
        "last_updated",
        *(f"avg_{t}" for t in AVERAGED_TRAITS),
        *(f"recent_{lv.removesuffix('_level')}" for lv in RECENT_LEVELS),
    ),
}


@dataclass
class LegacyData:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    has_customer_id: dict[str, bool] = field(default_factory=dict)


async def read_legacy(url: str, legacy_customer_id: int) -> LegacyData:
    """Every legacy row of the customer (all rows of tables without customer_id)."""
    try:
        connection = await asyncpg.connect(url, timeout=10)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise Unavailable(f"cannot connect to the legacy database: {type(exc).__name__}") from None
    data = LegacyData()
    try:
        for table in LEGACY_TABLES:
            columns = {
                r[0]
                for r in await connection.fetch(
                    "SELECT column_name::text FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = $1",
                    table,
                )
            }
            if not columns:
                data.tables[table] = []
                continue
            selected = [c for c in _WANTED[table] if c in columns]
            expressions = ", ".join(
                f'"{c}"::text AS "{c}"' if c in _JSON_COLUMNS else f'"{c}"' for c in selected
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


_JSON_COLUMNS = {"value_json", "key_topics", "key_variables", "preferences", "context"}
