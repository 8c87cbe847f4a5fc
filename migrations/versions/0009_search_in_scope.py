"""Searches read the caller's memories in scope, and the server ranks them.

* `memories.embedding_bytes`: the embedding as 256 big-endian float4 (1,024 bytes),
  a stored generated column (`alice_embedding_bytes(embedding)`). Searches read
  it instead of the real[]: sending a real[] costs PostgreSQL a send-function
  call per element (about 3 ms for a caller's 70 memories), a bytea is copied.
  Adding the column computes it for every existing row (it rewrites the table:
  about two minutes and 0.5 GB per 500,000 memories with embeddings); writes keep
  it current.
* `alice_call_start_search(...)`: the call start with a query, one statement as
  before. Migration 0004 ranked its candidates inside `alice_call_start_context`,
  the semantic ranking with `alice_embedding_distance`: on a PostgreSQL without
  pgvector an SQL loop over 256 numbers per memory (about 0.1 ms each, more under
  load), paid by the database, the one part that does not scale out. This
  function is 0007's `alice_call_start_context` (profile, personality, summaries,
  open follow-ups and time zone) whose candidates are, as SearchMemories reads
  them (storage/repositories/memories.py), every live memory in scope (the
  caller's and the shared ones, without transcripts and hidden settings, read
  through the (customer_id, user_id) index only), each with its full-text score
  (NULL: no match) and whether it has an embedding. It returns one row: that
  JSON document, and the embeddings of the candidates that have one as raw
  bytes, in the same order. The service scores and ranks them as before
  (domain/retrieval.py), in numpy. `alice_call_start_context` is left as 0007
  made it (the service no longer sends it a query).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import context, op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_SIGNATURE = (
    "alice_call_start_search(bigint, text, integer, integer, text[], text, text[], text, "
    "boolean, integer)"
)
# Frozen here, as a migration never follows the code.
MEMORY_COLUMNS = (
    "id, scope, user_id, type, key, value, source, ttl_days, created_at, updated_at, expires_at, "
    "call_id"
)
_PAIRS = ", ".join(f"'{c.strip()}', m.{c.strip()}" for c in MEMORY_COLUMNS.split(","))
_IN_SCOPE = f"""
        SELECT coalesce(json_agg(c.doc ORDER BY c.updated_at DESC, c.id DESC), '[]'),
               string_agg(c.embedding, ''::bytea ORDER BY c.updated_at DESC, c.id DESC)
        INTO v_candidates, v_embeddings
        FROM (
            SELECT m.updated_at, m.id,
                   CASE WHEN p_embeddings THEN m.embedding_bytes END AS embedding,
                   json_build_object(
                       {_PAIRS},
                       'keyword_score', CASE WHEN m.search_vector @@ q.query
                                             THEN ts_rank_cd(m.search_vector, q.query)::float8
                                        END,
                       'has_embedding', p_embeddings AND m.embedding_bytes IS NOT NULL
                   ) AS doc
            FROM memories m, (
                SELECT to_tsquery('simple'::regconfig,
                           coalesce(string_agg(quote_literal(lexeme), ' | '), '')) AS query
                FROM unnest(tsvector_to_array(to_tsvector('english'::regconfig, p_query)))
                     AS lexeme
            ) q
            WHERE m.customer_id = p_customer_id AND m.user_id IN (p_user_id, '')
              AND m.type <> ALL(p_excluded_types) AND m.expires_at > now()
              AND NOT (m.user_id = '' AND m.type = p_hidden_type AND m.key = ANY(p_hidden_keys))
        ) c;
"""

# float4send() is immutable, so the generated column may call this function.
EMBEDDING_BYTES = """
CREATE FUNCTION alice_embedding_bytes(e real[]) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT string_agg(float4send(x), ''::bytea ORDER BY i) FROM unnest(e) WITH ORDINALITY AS t(x, i)
$$
"""


def _migration(name: str) -> Any:
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"alice_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _search_function() -> str:
    """Migration 0007's call-start function, renamed, with the memories in scope as
    its candidates and the embeddings returned beside the document."""
    m0004 = _migration("0004_semantic_memory.py")
    source = str(_migration("0007_call_notes.py")._call_start_function())
    # 0007 added call_id to 0004's candidate columns.
    candidates = str(m0004._CANDIDATES).replace(
        "m.updated_at, m.expires_at,", "m.updated_at, m.expires_at, m.call_id,"
    )
    replacements = {
        "CREATE FUNCTION alice_call_start_context(": "CREATE FUNCTION alice_call_start_search(",
        "    p_query_embedding real[] DEFAULT NULL,\n    p_depth integer DEFAULT 30,\n": (
            "    p_embeddings boolean DEFAULT false,\n"
        ),
        ") RETURNS json\n": ") RETURNS TABLE (document json, embeddings bytea)\n",
        "    v_candidates json;\n": "    v_candidates json := '[]';\n    v_embeddings bytea;\n",
        candidates: _IN_SCOPE,
        "    RETURN json_build_object(": "    document := json_build_object(",
        "    );\nEND\n$$": "    );\n    embeddings := v_embeddings;\n    RETURN NEXT;\nEND\n$$",
    }
    for old, new in replacements.items():
        assert source.count(old) == 1, f"0007 changed: {old[:60]!r}"
        source = source.replace(old, new)
    return source


def _role() -> str:
    role = str(context.config.attributes["app_role"])
    return op.get_bind().dialect.identifier_preparer.quote(role)


def _grant(signature: str) -> None:
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {_role()}")


def upgrade() -> None:
    op.execute(EMBEDDING_BYTES)
    op.execute(
        "ALTER TABLE memories ADD COLUMN embedding_bytes bytea "
        "GENERATED ALWAYS AS (alice_embedding_bytes(embedding)) STORED"
    )
    op.execute(_search_function())
    _grant(SEARCH_SIGNATURE)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SEARCH_SIGNATURE}")
    op.execute("ALTER TABLE memories DROP COLUMN embedding_bytes")
    op.execute("DROP FUNCTION alice_embedding_bytes(real[])")
