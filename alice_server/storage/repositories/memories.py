"""The memories table: upsert by identity, get, delete, keyset pages, full-text search.

Every read filters `expires_at > now()`, so an expired memory is never returned,
whether or not the purge has deleted it yet. Every statement also names the
tenant (`customer_id = $1`) although row-level security already restricts the
rows: the planner then uses the (customer_id, user_id, ...) indexes directly.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from alice_server.domain.memories import SHARED_OWNER, Memory, NewMemory, SearchQuery
from alice_server.domain.paging import PageRequest
from alice_server.storage.repositories.base import TenantRepository

COLUMNS = (
    "id, scope, user_id, type, key, value, source, ttl_days, created_at, updated_at, expires_at"
)

# Replacing an expired memory makes a new one (new id, created again): the old one
# had already disappeared for every reader. now() is the transaction's timestamp,
# so a row created by this statement has created_at = updated_at.
_UPSERT = f"""
INSERT INTO memories AS m
    (customer_id, scope, user_id, type, key, value, source, ttl_days, expires_at)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, now() + make_interval(days => $8))
ON CONFLICT ON CONSTRAINT uq_memories_customer_id_scope_user_id_type_key DO UPDATE SET
    id = CASE WHEN m.expires_at <= now() THEN gen_random_uuid() ELSE m.id END,
    created_at = CASE WHEN m.expires_at <= now() THEN now() ELSE m.created_at END,
    value = EXCLUDED.value,
    source = EXCLUDED.source,
    ttl_days = EXCLUDED.ttl_days,
    expires_at = EXCLUDED.expires_at,
    updated_at = now()
RETURNING {COLUMNS}, created_at = updated_at AS created
"""

_GET = f"""
SELECT {COLUMNS} FROM memories
WHERE customer_id = $1 AND id = $2 AND expires_at > now()
"""

_DELETE = """
DELETE FROM memories
WHERE customer_id = $1 AND id = $2 AND expires_at > now()
RETURNING id
"""

_LIST = f"""
SELECT {COLUMNS} FROM memories
WHERE customer_id = $1 AND user_id = ANY($2::text[]) AND expires_at > now()
  AND ($3::text IS NULL OR type = $3)
  AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $6
"""

# Any of the query's words (English stems), not all of them: a spoken question
# rarely repeats a memory's exact wording. More matching words, and matches in
# the key (weight A), rank higher; recency breaks ties.
_SEARCH = f"""
WITH q AS (
    SELECT to_tsquery('simple'::regconfig,
                      coalesce(string_agg(quote_literal(lexeme), ' | '), '')) AS query
    FROM unnest(tsvector_to_array(to_tsvector('english'::regconfig, $3::text))) AS lexeme
)
SELECT {COLUMNS}, ts_rank_cd(m.search_vector, q.query)::float8 AS score
FROM memories m, q
WHERE m.customer_id = $1 AND m.user_id = ANY($2::text[]) AND m.expires_at > now()
  AND m.search_vector @@ q.query
  AND (cardinality($5::text[]) = 0 OR m.type = ANY($5::text[]))
ORDER BY score DESC, m.updated_at DESC, m.id DESC
LIMIT $4
"""

# The caller's newest memories, then the tenant's shared ones, `limit` in all: two
# halves, each read in index order and cut at `limit`, so that a tenant with
# thousands of shared memories costs no more.
_FOR_CONTEXT = f"""
SELECT {COLUMNS} FROM (
    (SELECT {COLUMNS} FROM memories
     WHERE customer_id = $1 AND user_id = $2 AND type <> ALL($4::text[]) AND expires_at > now()
     ORDER BY updated_at DESC LIMIT $3)
    UNION ALL
    (SELECT {COLUMNS} FROM memories
     WHERE customer_id = $1 AND user_id = '' AND type <> ALL($4::text[]) AND expires_at > now()
     ORDER BY updated_at DESC LIMIT $3)
) AS both_halves
ORDER BY user_id = '' ASC, updated_at DESC
LIMIT $3
"""

_PURGE_EXPIRED = "DELETE FROM memories WHERE customer_id = $1 AND expires_at <= now()"


def memory_of(row: Mapping[str, Any]) -> Memory:
    """A row of COLUMNS (asyncpg returns jsonb as its JSON text) as a Memory."""
    return Memory(
        id=row["id"],
        scope=row["scope"],
        user_id=row["user_id"],
        type=row["type"],
        key=row["key"],
        value=json.loads(row["value"]),
        source=row["source"],
        ttl_days=row["ttl_days"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        expires_at=row["expires_at"],
    )


class MemoryRepository(TenantRepository):
    async def upsert(self, item: NewMemory) -> tuple[Memory, bool]:
        """Create or update the memory with this identity; returns (memory, created)."""
        row = await self._connection.fetchrow(
            _UPSERT,
            self._customer_id,
            item.scope,
            item.user_id,
            item.type,
            item.key,
            json.dumps(item.value),
            item.source,
            item.ttl_days,
        )
        assert row is not None
        return memory_of(row), bool(row["created"])

    async def get(self, memory_id: uuid.UUID) -> Memory | None:
        row = await self._connection.fetchrow(_GET, self._customer_id, memory_id)
        return None if row is None else memory_of(row)

    async def delete(self, memory_id: uuid.UUID) -> bool:
        """True when a (live) memory was deleted."""
        deleted = await self._connection.fetchval(_DELETE, self._customer_id, memory_id)
        return deleted is not None

    async def list_page(
        self, owners: list[str], type: str | None, page: PageRequest
    ) -> list[Memory]:
        """Up to `page.fetch` memories, newest first, after `page.after`
        ((created_at, id) of the previous page's last one)."""
        after_at, after_id = page.after if page.after is not None else (None, None)
        rows = await self._connection.fetch(
            _LIST, self._customer_id, owners, type, after_at, after_id, page.fetch
        )
        return [memory_of(row) for row in rows]

    async def search(self, query: SearchQuery) -> list[tuple[Memory, float]]:
        rows = await self._connection.fetch(
            _SEARCH, self._customer_id, query.owners, query.text, query.limit, query.types
        )
        return [(memory_of(row), float(row["score"])) for row in rows]

    async def for_context(
        self, user_id: str, limit: int, excluded_types: list[str]
    ) -> list[Memory]:
        """The caller's newest memories, then the shared ones, `limit` in all."""
        if limit <= 0:
            return []
        rows = await self._connection.fetch(
            _FOR_CONTEXT, self._customer_id, user_id, limit, excluded_types
        )
        return [memory_of(row) for row in rows]

    async def purge_expired(self) -> int:
        """Delete the tenant's expired memories; returns how many."""
        status = await self._connection.execute(_PURGE_EXPIRED, self._customer_id)
        return int(status.rsplit(" ", 1)[-1])


assert SHARED_OWNER == ""  # the SQL above spells the shared owner as ''
