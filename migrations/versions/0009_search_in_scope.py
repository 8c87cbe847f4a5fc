"""The call start with a query reads the caller's memories in scope, and the server ranks them.

Migration 0004 ranked GetEnrichedContext's query candidates inside
`alice_call_start_context`, including the semantic ranking with
`alice_embedding_distance`: on a PostgreSQL without pgvector that is an SQL
loop over 256 numbers per memory (about 0.1 ms each, more under load), paid by
the database, the one part that does not scale out. Now, as SearchMemories
does (storage/repositories/memories.py), the function returns every live
memory in scope (the caller's and the shared ones, transcripts and hidden
settings left out), found through the (customer_id, user_id) index only, each
with its full-text score (NULL: no match) and whether it has an embedding, plus
the embeddings themselves as one hex string (array_send() of each, in the same
order); the service scores and ranks them exactly as before
(domain/retrieval.py), in numpy.

The signature changes: `p_query_embedding real[]` and `p_depth` give way to
`p_embeddings boolean` (return the embeddings). The rest of the function is
migration 0004's.

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
SIGNATURE = (
    "alice_call_start_context(bigint, text, integer, integer, text[], text, text[], text, boolean)"
)
# Frozen here, as a migration never follows the code.
MEMORY_COLUMNS = (
    "id, scope, user_id, type, key, value, source, ttl_days, created_at, updated_at, expires_at"
)
_PAIRS = ", ".join(f"'{c.strip()}', m.{c.strip()}" for c in MEMORY_COLUMNS.split(","))
_IN_SCOPE = f"""
        SELECT coalesce(json_agg(c.doc ORDER BY c.updated_at DESC, c.id DESC), '[]'),
               encode(string_agg(c.embedding, ''::bytea ORDER BY c.updated_at DESC, c.id DESC),
                      'hex')
        INTO v_candidates, v_embeddings
        FROM (
            SELECT m.updated_at, m.id,
                   CASE WHEN p_embeddings THEN array_send(m.embedding) END AS embedding,
                   json_build_object(
                       {_PAIRS},
                       'keyword_score', CASE WHEN m.search_vector @@ q.query
                                             THEN ts_rank_cd(m.search_vector, q.query)::float8
                                        END,
                       'has_embedding', p_embeddings AND m.embedding IS NOT NULL
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


def _migration(name: str) -> Any:
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"alice_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _function() -> str:
    m0004 = _migration("0004_semantic_memory.py")
    source = str(m0004._call_start_function())
    replacements = {
        "    p_query_embedding real[] DEFAULT NULL,\n    p_depth integer DEFAULT 30\n": (
            "    p_embeddings boolean DEFAULT false\n"
        ),
        "    v_candidates json;\n": "    v_candidates json;\n    v_embeddings text;\n",
        str(m0004._CANDIDATES): _IN_SCOPE,
        "        'candidates', v_candidates\n": (
            "        'candidates', v_candidates,\n        'embeddings', v_embeddings\n"
        ),
    }
    for old, new in replacements.items():
        assert source.count(old) == 1, f"0004 changed: {old[:60]!r}"
        source = source.replace(old, new)
    return source


def _role() -> str:
    role = str(context.config.attributes["app_role"])
    return op.get_bind().dialect.identifier_preparer.quote(role)


def upgrade() -> None:
    op.execute(f"DROP FUNCTION {OLD_SIGNATURE}")
    op.execute(_function())
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {_role()}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SIGNATURE}")
    op.execute(_migration("0004_semantic_memory.py")._call_start_function())
    op.execute(f"REVOKE ALL ON FUNCTION {OLD_SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {OLD_SIGNATURE} TO {_role()}")
