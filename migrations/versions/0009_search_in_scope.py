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
  load), paid by the database, the one part that does not scale out. Now, as
  SearchMemories does (storage/repositories/memories.py), it returns one row: the
  JSON document (profile, personality, summaries, and as `candidates` every live
  memory in scope, the caller's and the shared ones without transcripts and
  hidden settings, read through the (customer_id, user_id) index only, each with
  its full-text score, NULL when it does not match, and whether it has an
  embedding) and, as raw bytes, the embeddings of those that have one, in the
  same order. The service scores and ranks them as before (domain/retrieval.py),
  in numpy.
* `alice_call_start_context` is migration 0003's again (no query).

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import context, op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SIGNATURE = (
    "alice_call_start_context(bigint, text, integer, integer, text[], text, text[], text, "
    "real[], integer)"
)
CONTEXT_SIGNATURE = "alice_call_start_context(bigint, text, integer, integer, text[], text, text[])"
SEARCH_SIGNATURE = (
    "alice_call_start_search(bigint, text, integer, integer, text[], text, text[], text, boolean)"
)
# Frozen here, as a migration never follows the code.
MEMORY_COLUMNS = (
    "id, scope, user_id, type, key, value, source, ttl_days, created_at, updated_at, expires_at"
)
_PAIRS = ", ".join(f"'{c.strip()}', m.{c.strip()}" for c in MEMORY_COLUMNS.split(","))
_IN_SCOPE = f"""
    IF p_memories > 0 THEN
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
    END IF;

    document := json_build_object(
        'profile', v_profile,
        'personality', v_personality,
        'summaries', v_summaries,
        'memories', '[]'::json,
        'candidates', v_candidates
    );
    embeddings := v_embeddings;
    RETURN NEXT;
END
$$
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
    """Migration 0003's function up to its memories, then the memories in scope."""
    source = str(_migration("0003_call_start_context.py").FUNCTION)
    source = source[: source.index("    -- The caller's newest memories")]
    replacements = {
        "CREATE FUNCTION alice_call_start_context(": "CREATE FUNCTION alice_call_start_search(",
        "    p_hidden_type text DEFAULT '',\n    p_hidden_keys text[] DEFAULT '{}'\n"
        ") RETURNS json\n": (
            "    p_hidden_type text,\n    p_hidden_keys text[],\n    p_query text,\n"
            "    p_embeddings boolean\n) RETURNS TABLE (document json, embeddings bytea)\n"
        ),
        "    v_memories json := '[]';\n": (
            "    v_candidates json := '[]';\n    v_embeddings bytea;\n"
        ),
    }
    for old, new in replacements.items():
        assert source.count(old) == 1, f"0003 changed: {old[:60]!r}"
        source = source.replace(old, new)
    return source + _IN_SCOPE


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
    op.execute(f"DROP FUNCTION {OLD_SIGNATURE}")
    op.execute(_migration("0003_call_start_context.py").FUNCTION)
    _grant(CONTEXT_SIGNATURE)
    op.execute(_search_function())
    _grant(SEARCH_SIGNATURE)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SEARCH_SIGNATURE}")
    op.execute(f"DROP FUNCTION {CONTEXT_SIGNATURE}")
    op.execute(_migration("0004_semantic_memory.py")._call_start_function())
    _grant(OLD_SIGNATURE)
    op.execute("ALTER TABLE memories DROP COLUMN embedding_bytes")
    op.execute("DROP FUNCTION alice_embedding_bytes(real[])")
