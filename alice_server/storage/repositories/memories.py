"""The memories table: upsert by identity, get, delete, keyset pages, hybrid search.

Every read filters `expires_at > now()`, so an expired memory is never returned,
whether or not the purge has deleted it yet. Every statement also names the
tenant (`customer_id = $1`) although row-level security already restricts the
rows: the planner then uses the (customer_id, user_id, ...) indexes directly.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from alice_server.domain.embeddings import EMBEDDING_DIM, Vector
from alice_server.domain.memories import (
    SHARED_OWNER,
    Memory,
    MemoryKey,
    NewMemory,
    SearchQuery,
)
from alice_server.domain.paging import PageRequest
from alice_server.domain.retrieval import Candidate, similarities, top_candidates
from alice_server.storage.repositories.base import StatementRepository, TenantRepository

COLUMNS = (
    "id, scope, user_id, type, key, value, source, ttl_days, created_at, updated_at, expires_at, "
    "call_id"
)


# The upsert of memories, one or many in one statement ($1: the customer; from
# `$first`, the nine arrays of `upsert_rows_arguments`, one element per memory:
# scope, user_id, type, key, value as JSON text, source, ttl_days, the embedding of
# type, key and value as embedding_bytes (NULL when semantic search is off), the
# call the value was extracted from (NULL: not from a call)). The identities must
# differ: one statement cannot update a row twice. Replacing an expired memory
# makes a new one (new id, created again): the old one had already disappeared
# for every reader. now() is the transaction's timestamp, so a row created by this
# statement has created_at = updated_at.
def upsert_rows_sql(first: int) -> str:
    p = [f"${first + i}" for i in range(9)]
    return f"""
INSERT INTO memories AS m
    (customer_id, scope, user_id, type, key, value, source, ttl_days, expires_at,
     embedding_bytes, call_id)
SELECT $1, r.scope, r.user_id, r.type, r.key, r.value::jsonb, r.source, r.ttl_days,
       now() + make_interval(days => r.ttl_days), r.embedding, r.call_id
FROM unnest({p[0]}::text[], {p[1]}::text[], {p[2]}::text[], {p[3]}::text[], {p[4]}::text[],
            {p[5]}::text[], {p[6]}::integer[], {p[7]}::bytea[], {p[8]}::text[])
     AS r(scope, user_id, type, key, value, source, ttl_days, embedding, call_id)
ON CONFLICT ON CONSTRAINT uq_memories_customer_id_scope_user_id_type_key DO UPDATE SET
    id = CASE WHEN m.expires_at <= now() THEN gen_random_uuid() ELSE m.id END,
    created_at = CASE WHEN m.expires_at <= now() THEN now() ELSE m.created_at END,
    value = EXCLUDED.value,
    source = EXCLUDED.source,
    ttl_days = EXCLUDED.ttl_days,
    expires_at = EXCLUDED.expires_at,
    embedding_bytes = EXCLUDED.embedding_bytes,
    call_id = EXCLUDED.call_id,
    updated_at = now()
"""


def upsert_rows_arguments(items: Sequence[tuple[NewMemory, Vector | None]]) -> list[list[Any]]:
    """The nine arrays of `upsert_rows_sql`, one element per (memory, embedding)."""
    return [
        [item.scope for item, _ in items],
        [item.user_id for item, _ in items],
        [item.type for item, _ in items],
        [item.key for item, _ in items],
        [json.dumps(item.value) for item, _ in items],
        [item.source for item, _ in items],
        [item.ttl_days for item, _ in items],
        [None if embedding is None else embedding_bytes(embedding) for _, embedding in items],
        [item.call_id for item, _ in items],
    ]


# StoreMemory's upsert of one memory, with the row it leaves.
_UPSERT = upsert_rows_sql(2) + f"RETURNING {COLUMNS}, created_at = updated_at AS created\n"

_GET = f"""
SELECT {COLUMNS} FROM memories
WHERE customer_id = $1 AND id = $2 AND expires_at > now()
"""

_BY_KEY = f"""
SELECT {COLUMNS} FROM memories
WHERE customer_id = $1 AND scope = $2 AND user_id = $3 AND type = $4 AND key = $5
  AND expires_at > now()
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
       AND NOT (type = $5 AND key = ANY($6::text[]))
     ORDER BY updated_at DESC LIMIT $3)
) AS both_halves
ORDER BY user_id = '' ASC, updated_at DESC
LIMIT $3
"""

_PURGE_EXPIRED = "DELETE FROM memories WHERE customer_id = $1 AND expires_at <= now()"
# The expiry task's bounded batch (short transactions, no long locks). MATERIALIZED:
# the LIMIT applies once, not once per row the planner re-checks.
_DELETE_EXPIRED_BATCH = """
WITH doomed AS MATERIALIZED (
    SELECT id FROM memories
    WHERE customer_id = $1 AND expires_at <= now()
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
DELETE FROM memories m USING doomed
WHERE m.customer_id = $1 AND m.id = doomed.id
"""

_EXISTS = "SELECT EXISTS (SELECT 1 FROM memories WHERE customer_id = $1 AND id = $2)"

# Hybrid search: what both rankings need, in one statement and one round trip.
#
# `alice_search_memories` (migration 0011) sets the tenant itself, as the call
# start does, so the search needs no BEGIN or COMMIT exchange. Its rows are the
# tenant's live memories of the given owners (a caller and/or '' for the shared
# ones), optionally of some types, read through the (customer_id, user_id, ...)
# indexes and nothing else: a search reads at most the caller's memories plus the
# shared ones, whatever the size of the tenant (tests/test_search_plan.py checks
# the plan at full scale). For each row: its full-text score (ts_rank_cd, key
# matches weigh more; NULL when it shares no word stem with the query: any of the
# query's words, a spoken question rarely repeats a memory's wording) and, with
# $5, its embedding as 256 big-endian float4 (embedding_bytes, migrations 0009 and
# 0010: a bytea is copied, a real[] is sent element by element). The match is in
# the select list, not the WHERE clause, so that no plan can answer it from the
# full-text GIN index over the whole table (which grows with the tenant, not with
# the caller). Similarity and both rankings are then computed here
# (domain/retrieval.py): exact scoring of the caller's memories, no approximate
# index (docs/RETRIEVAL.md), and the arithmetic in numpy in the server rather than
# in SQL (PostgreSQL without pgvector spends ~0.1 ms per memory on it, and the
# database is the part that does not scale out).
#
# $1 customer_id, $2 owners, $3 types (empty = all), $4 query text or NULL (no
# keyword ranking), $5 whether to return embeddings, $6 types left out.
SEARCH = "SELECT * FROM alice_search_memories($1, $2, $3, $4, $5, $6)"

# memories.embedding_bytes: EMBEDDING_DIM big-endian float4.
_EMBEDDING_BYTES = 4 * EMBEDDING_DIM


def embedding_bytes(vector: Vector) -> bytes:
    """A vector as memories.embedding_bytes (what the server writes, searches read)."""
    encoded = np.asarray(vector, dtype=">f4").tobytes()
    if len(encoded) != _EMBEDDING_BYTES:
        raise ValueError(f"an embedding has {EMBEDDING_DIM} dimensions, not {len(encoded) // 4}")
    return encoded


def vector_of(blob: bytes) -> npt.NDArray[np.float32]:
    """memories.embedding_bytes as the vector it encodes."""
    return np.frombuffer(blob, dtype=">f4").astype(np.float32)


def embedding_similarities(
    blobs: Sequence[bytes | None], query: Vector | None
) -> list[float | None]:
    """The similarity of each embedding (embedding_bytes) with the query (None: no
    embedding, or no query vector)."""
    result: list[float | None] = [None] * len(blobs)
    if query is None:
        return result
    present = [i for i, blob in enumerate(blobs) if blob and len(blob) == _EMBEDDING_BYTES]
    if present:
        words = np.frombuffer(b"".join(blobs[i] or b"" for i in present), dtype=">f4")
        vectors = words.reshape(len(present), EMBEDDING_DIM)
        for i, value in zip(present, similarities(vectors, query).tolist(), strict=True):
            result[i] = value
    return result


# The backfill (alice-admin backfill-embeddings): live memories without an
# embedding. SKIP LOCKED lets two runs share the work; the history trigger fires
# on value and source only, so adding an embedding is not a change.
_COUNT_WITHOUT_EMBEDDING = """
SELECT count(*) FROM memories
WHERE customer_id = $1 AND embedding_bytes IS NULL AND expires_at > now()
"""
_WITHOUT_EMBEDDING = f"""
SELECT {COLUMNS} FROM memories
WHERE customer_id = $1 AND embedding_bytes IS NULL AND expires_at > now()
ORDER BY id
LIMIT $2
FOR UPDATE SKIP LOCKED
"""
_SET_EMBEDDING = """
UPDATE memories SET embedding_bytes = $3::bytea
WHERE customer_id = $1 AND id = $2 AND embedding_bytes IS NULL
"""


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
        call_id=row["call_id"],
    )


class MemoryRepository(TenantRepository):
    async def upsert(self, item: NewMemory, embedding: Vector | None = None) -> tuple[Memory, bool]:
        """Create or update the memory with this identity; returns (memory, created)."""
        row = await self._connection.fetchrow(
            _UPSERT, self._customer_id, *upsert_rows_arguments([(item, embedding)])
        )
        assert row is not None
        return memory_of(row), bool(row["created"])

    async def exists(self, memory_id: uuid.UUID) -> bool:
        """Whether the id is a memory of this tenant (expired or not)."""
        return bool(await self._connection.fetchval(_EXISTS, self._customer_id, memory_id))

    async def get(self, memory_id: uuid.UUID) -> Memory | None:
        row = await self._connection.fetchrow(_GET, self._customer_id, memory_id)
        return None if row is None else memory_of(row)

    async def by_key(self, identity: MemoryKey) -> Memory | None:
        """The live memory with this identity (one unique-index lookup)."""
        row = await self._connection.fetchrow(
            _BY_KEY,
            self._customer_id,
            identity.scope,
            identity.user_id,
            identity.type,
            identity.key,
        )
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

    async def count_without_embedding(self) -> int:
        return int(await self._connection.fetchval(_COUNT_WITHOUT_EMBEDDING, self._customer_id))

    async def without_embedding(self, limit: int) -> list[Memory]:
        """Up to `limit` live memories without an embedding, locked for this transaction."""
        rows = await self._connection.fetch(_WITHOUT_EMBEDDING, self._customer_id, limit)
        return [memory_of(row) for row in rows]

    async def set_embeddings(self, embeddings: Sequence[tuple[uuid.UUID, Vector]]) -> None:
        await self._connection.executemany(
            _SET_EMBEDDING,
            [
                (self._customer_id, memory_id, embedding_bytes(vector))
                for memory_id, vector in embeddings
            ],
        )

    async def for_context(
        self,
        user_id: str,
        limit: int,
        excluded_types: list[str],
        hidden_settings: tuple[str, list[str]] = ("", []),
    ) -> list[Memory]:
        """The caller's newest memories, then the shared ones, `limit` in all;
        without `excluded_types`, nor shared memories of type `hidden_settings[0]`
        whose key is in `hidden_settings[1]`."""
        if limit <= 0:
            return []
        settings_type, setting_keys = hidden_settings
        rows = await self._connection.fetch(
            _FOR_CONTEXT,
            self._customer_id,
            user_id,
            limit,
            excluded_types,
            settings_type,
            setting_keys,
        )
        return [memory_of(row) for row in rows]

    async def purge_expired(self) -> int:
        """Delete the tenant's expired memories; returns how many."""
        status = await self._connection.execute(_PURGE_EXPIRED, self._customer_id)
        return int(status.rsplit(" ", 1)[-1])

    async def delete_expired_batch(self, limit: int) -> int:
        """Delete at most `limit` expired memories (rows other transactions hold are
        skipped); returns how many."""
        status = await self._connection.execute(_DELETE_EXPIRED_BATCH, self._customer_id, limit)
        return int(status.rsplit(" ", 1)[-1])


class MemorySearchRepository(StatementRepository):
    """The search's one statement (see SEARCH), bound to a connection with no tenant
    set: the statement sets it itself (`Database.statement`)."""

    __slots__ = ()

    async def candidates(
        self,
        query: SearchQuery,
        keyword_text: str | None,
        embedding: Vector | None,
        depth: int,
    ) -> list[Candidate[Memory]]:
        """The best `depth` by keywords and by embedding, newest first (see SEARCH)."""
        rows = await self._fetch(
            SEARCH,
            self._customer_id,
            query.owners,
            query.types,
            keyword_text,
            embedding is not None,
            [],  # no type left out: SearchMemories filters by `query.types` only
        )
        found = top_candidates(
            [row["keyword_score"] for row in rows],
            embedding_similarities([row["embedding"] for row in rows], embedding),
            depth,
        )
        return [
            Candidate(memory_of(rows[i]), k_rank, k_score, s_rank, similarity)
            for i, k_rank, k_score, s_rank, similarity in found
        ]


assert SHARED_OWNER == ""  # the SQL above spells the shared owner as ''
