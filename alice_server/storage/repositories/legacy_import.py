"""Writing rows imported from the legacy ai-memory database (`alice-admin
import-legacy`, services/legacy_import.py) into the tenant's tables.

Reading the legacy database is `alice_server.storage.legacy`.
"""

from __future__ import annotations

import json
from typing import Any

from alice_server.domain.legacy import ImportedMemory
from alice_server.domain.traits import AVERAGED_TRAITS, PERSONALITY_TRAITS, RECENT_LEVELS
from alice_server.storage.repositories.base import TenantRepository

_MEMORY = """
INSERT INTO memories AS m (customer_id, scope, user_id, type, key, value, source, ttl_days,
                           created_at, updated_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $9, $9, $10)
ON CONFLICT ON CONSTRAINT uq_memories_customer_id_scope_user_id_type_key DO UPDATE SET
    value = EXCLUDED.value, source = EXCLUDED.source, ttl_days = EXCLUDED.ttl_days,
    updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at,
    embedding_bytes = NULL  -- a new value: the import embeds it again
WHERE m.updated_at < EXCLUDED.updated_at
RETURNING (xmax = 0) AS inserted
"""
_SUMMARY = """
INSERT INTO call_summaries (customer_id, call_id, user_id, started_at, ended_at,
                            duration_seconds, summary, key_topics, sentiment, turn_count,
                            created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9, 0, $10)
ON CONFLICT (customer_id, call_id) DO NOTHING
RETURNING call_id
"""
_PROFILE = """
INSERT INTO caller_profiles (customer_id, user_id, first_call_at, last_call_at, total_calls,
                             preferred_name, preferences, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8, $9)
ON CONFLICT (customer_id, user_id) DO NOTHING
RETURNING user_id
"""
_METRICS = f"""
INSERT INTO personality_metrics (customer_id, user_id, call_id, call_at,
                                 {", ".join(PERSONALITY_TRAITS)}, created_at)
VALUES ($1, $2, $3, $4, {", ".join(f"${i}" for i in range(5, 5 + len(PERSONALITY_TRAITS)))},
        ${5 + len(PERSONALITY_TRAITS)})
ON CONFLICT (customer_id, call_id) DO NOTHING
RETURNING call_id
"""
_AVERAGE_COLUMNS = (
    *(f"avg_{t}" for t in AVERAGED_TRAITS),
    *(f"recent_{lv.removesuffix('_level')}" for lv in RECENT_LEVELS),
)
_AVERAGES = f"""
INSERT INTO personality_averages (customer_id, user_id, call_count, {", ".join(_AVERAGE_COLUMNS)},
                                  updated_at)
VALUES ($1, $2, $3, {", ".join(f"${i}" for i in range(4, 4 + len(_AVERAGE_COLUMNS)))},
        ${4 + len(_AVERAGE_COLUMNS)})
ON CONFLICT (customer_id, user_id) DO NOTHING
RETURNING user_id
"""
AVERAGE_COLUMNS = _AVERAGE_COLUMNS


class LegacyImportRepository(TenantRepository):
    """`uow.legacy_import`: writes imported rows in the tenant's transaction; every
    write is idempotent."""

    __slots__ = ()

    async def memory(self, item: ImportedMemory) -> str:
        """'inserted', 'updated' (an older copy was there) or 'present'."""
        row = await self._connection.fetchrow(
            _MEMORY,
            self._customer_id,
            item.scope,
            item.user_id,
            item.type,
            item.key,
            json.dumps(item.value),
            item.source,
            item.ttl_days,
            item.created_at,
            item.expires_at,
        )
        if row is None:
            return "present"
        return "inserted" if row["inserted"] else "updated"

    async def call_summary(self, values: dict[str, Any]) -> bool:
        return (
            await self._connection.fetchval(
                _SUMMARY,
                self._customer_id,
                values["call_id"],
                values["user_id"],
                values["started_at"],
                values["ended_at"],
                values["duration_seconds"],
                values["summary"],
                json.dumps(values["key_topics"]),
                values["sentiment"],
                values["created_at"],
            )
            is not None
        )

    async def call_ids(self) -> set[str]:
        rows = await self._connection.fetch(
            "SELECT call_id FROM call_summaries WHERE customer_id = $1", self._customer_id
        )
        return {r[0] for r in rows}

    async def caller_profile(self, values: dict[str, Any]) -> bool:
        return (
            await self._connection.fetchval(
                _PROFILE,
                self._customer_id,
                values["user_id"],
                values["first_call_at"],
                values["last_call_at"],
                values["total_calls"],
                values["preferred_name"],
                json.dumps(values["preferences"]),
                values["created_at"],
                values["updated_at"],
            )
            is not None
        )

    async def profile_ids(self) -> set[str]:
        rows = await self._connection.fetch(
            "SELECT user_id FROM caller_profiles WHERE customer_id = $1", self._customer_id
        )
        return {r[0] for r in rows}

    async def metrics(self, values: dict[str, Any]) -> bool:
        return (
            await self._connection.fetchval(
                _METRICS,
                self._customer_id,
                values["user_id"],
                values["call_id"],
                values["call_at"],
                *(values[t] for t in PERSONALITY_TRAITS),
                values["created_at"],
            )
            is not None
        )

    async def averages(self, values: dict[str, Any]) -> bool:
        return (
            await self._connection.fetchval(
                _AVERAGES,
                self._customer_id,
                values["user_id"],
                values["call_count"],
                *(values[c] for c in AVERAGE_COLUMNS),
                values["updated_at"],
            )
            is not None
        )

    async def set_agent_name(self, name: str) -> None:
        await self._connection.execute(
            "UPDATE customers SET agent_name = $2, updated_at = now() "
            "WHERE id = $1 AND agent_name = ''",
            self._customer_id,
            name,
        )
