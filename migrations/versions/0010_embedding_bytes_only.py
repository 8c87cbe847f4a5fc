"""A memory's embedding is stored once, as the bytes searches read.

Until now a memory held its embedding twice: `embedding` (real[], 256 numbers,
what the server wrote) and `embedding_bytes` (0009: the same as 256 big-endian
float4, a stored generated column computed by `alice_embedding_bytes()`, what
searches read). Measured with pg_stat_statements under ProcessCall load
(2026-12-04), that cost every memory write about 0.5 ms of PostgreSQL time: the
generated column's SQL function (a `float4send` per element, evaluated for the
insert and again for the update of an upsert, about 0.15 ms each) and a row of
about 2,300 bytes, over PostgreSQL's 2 kB TOAST threshold, so every write also
tried to compress the real[] and stored it out of line in the TOAST table.

* `embedding_bytes` becomes a plain column that the server writes (it encodes
  the vector itself, storage/repositories/memories.py); existing values are
  kept (`DROP EXPRESSION`).
* `embedding` (real[]) and `alice_embedding_bytes()` are dropped; the length
  check moves to the bytes (1,024 bytes or NULL). A memory row is about 1,300
  bytes: stored inline, nothing toasted. The space of the dropped column is
  reclaimed as rows are rewritten (or by VACUUM FULL); nothing else changes for
  existing rows.
* `alice_call_start_context` keeps its signature, but no longer ranks by a
  query embedding: since 0009 the service sends queries to
  `alice_call_start_search`, which reads the bytes. A caller that still passes
  `p_query_embedding` gets an error saying so, not a silently different ranking.
  `alice_embedding_distance(real[], real[])` (0004) stays: it is a function of
  two arrays, not of the table.

Downgrade restores the real[] column from the bytes (exact: every float4 is
decoded in SQL from its sign, exponent and mantissa) and the generated column.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CALL_START = (
    "alice_call_start_context(bigint, text, integer, integer, text[], text, text[], text, "
    "real[], integer, integer)"
)
BYTES = 1024  # 256 float4

# Downgrade only: 4 big-endian bytes -> float4, exactly (normal and subnormal
# numbers, signed zeros; embeddings hold no infinities or NaN).
_FLOAT4_ARRAY = """
CREATE FUNCTION pg_temp.alice_float4_array(b bytea) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT array_agg(
        (CASE WHEN bits < 0 THEN -1 ELSE 1 END
         * CASE WHEN (bits >> 23) & 255 = 0
                THEN (bits & 8388607)::float8 / 8388608 * power(2::float8, -126)
                ELSE (1 + (bits & 8388607)::float8 / 8388608)
                     * power(2::float8, ((bits >> 23) & 255) - 127)
           END)::real
        ORDER BY i)
    FROM (
        SELECT i, ('x' || encode(substring(b FROM i * 4 + 1 FOR 4), 'hex'))::bit(32)::integer
               AS bits
        FROM generate_series(0, octet_length(b) / 4 - 1) AS i
    ) t
$$
"""


def _migration(name: str) -> Any:
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"alice_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _call_start_without_embeddings() -> str:
    """0007's call-start function, refusing a query embedding (no real[] to rank)."""
    source = str(_migration("0007_call_notes.py")._call_start_function())
    replacements = {
        "CREATE FUNCTION alice_call_start_context(": (
            "CREATE OR REPLACE FUNCTION alice_call_start_context("
        ),
        "BEGIN\n    PERFORM set_config(": (
            "BEGIN\n"
            "    IF p_query_embedding IS NOT NULL THEN\n"
            "        RAISE EXCEPTION 'alice_call_start_context no longer ranks by embedding "
            "(migration 0010): use alice_call_start_search';\n"
            "    END IF;\n"
            "    PERFORM set_config("
        ),
        "alice_embedding_distance(s.embedding, p_query_embedding)": "NULL::float8",
        "WHERE p_query_embedding IS NOT NULL AND s.embedding IS NOT NULL": "WHERE false",
    }
    for old, new in replacements.items():
        assert source.count(old) == 1, f"0007 changed: {old[:60]!r}"
        source = source.replace(old, new)
    return source


def upgrade() -> None:
    op.execute("ALTER TABLE memories ALTER COLUMN embedding_bytes DROP EXPRESSION")
    op.execute("ALTER TABLE memories DROP CONSTRAINT ck_memories_embedding_dimensions")
    op.execute("ALTER TABLE memories DROP COLUMN embedding")
    op.execute("DROP FUNCTION alice_embedding_bytes(real[])")
    op.execute(
        "ALTER TABLE memories ADD CONSTRAINT ck_memories_embedding_bytes_length "
        f"CHECK (embedding_bytes IS NULL OR octet_length(embedding_bytes) = {BYTES})"
    )
    # CREATE OR REPLACE keeps the function's owner and grants (0007).
    op.execute(_call_start_without_embeddings())


def downgrade() -> None:
    m0009 = _migration("0009_search_in_scope.py")
    m0007 = _migration("0007_call_notes.py")
    op.execute("ALTER TABLE memories DROP CONSTRAINT ck_memories_embedding_bytes_length")
    op.execute("ALTER TABLE memories ADD COLUMN embedding real[]")
    op.execute(_FLOAT4_ARRAY)
    op.execute(
        "UPDATE memories SET embedding = pg_temp.alice_float4_array(embedding_bytes) "
        "WHERE embedding_bytes IS NOT NULL"
    )
    op.execute(
        "ALTER TABLE memories ADD CONSTRAINT ck_memories_embedding_dimensions "
        "CHECK (embedding IS NULL OR cardinality(embedding) = 256)"
    )
    op.execute("ALTER TABLE memories DROP COLUMN embedding_bytes")
    op.execute(m0009.EMBEDDING_BYTES)
    op.execute(
        "ALTER TABLE memories ADD COLUMN embedding_bytes bytea "
        "GENERATED ALWAYS AS (alice_embedding_bytes(embedding)) STORED"
    )
    op.execute(
        m0007._call_start_function().replace(
            "CREATE FUNCTION alice_call_start_context(",
            "CREATE OR REPLACE FUNCTION alice_call_start_context(",
        )
    )
