"""Semantic retrieval and memory history.

* `memories.embedding real[]`: the unit-length embedding (256 dimensions) of
  the memory's type, key and value (alice_server.domain.embeddings); NULL
  until computed (`alice-admin backfill-embeddings` fills old rows).
* `alice_embedding_distance(a, b)`: the negative inner product of two
  embeddings (= minus the cosine similarity, as they are unit length), lower is
  closer. Where the pgvector extension is available (or can be created by the
  migrating role) pgvector computes it; elsewhere (this machine's PostgreSQL
  15, managed servers without the extension) the same function computes the
  exact product in SQL, so every server returns the same ranking. Search is
  always within one caller's memories (plus the tenant's shared ones), found
  by the (customer_id, user_id) indexes, and scored exactly: no approximate
  vector index (docs/RETRIEVAL.md explains why and measures it).
* `memory_history`: the value a memory had before each update or deletion,
  written by triggers on `memories` (so no code path can forget it), with
  row-level security like every tenant table.

* `alice_call_start_context` (migration 0003) gains `p_query`,
  `p_query_embedding` and `p_depth`: with a query, GetEnrichedContext's
  memories are the keyword and semantic candidates (with their ranks) that the
  service fuses as SearchMemories does, still in one statement.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIM = 256
TENANT_MATCH = "customer_id = (SELECT alice_current_customer_id())"

# Exact scoring without pgvector. The vectors are unit length: the inner
# product is the cosine similarity.
_DISTANCE_SQL = """
CREATE OR REPLACE FUNCTION alice_embedding_distance(a real[], b real[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT -coalesce(sum(x::double precision * y), 0) FROM unnest(a, b) AS t(x, y) $$
"""
# With pgvector: the same value from its C code (`<#>` is the negative inner
# product).
_DISTANCE_PGVECTOR = f"""
CREATE OR REPLACE FUNCTION alice_embedding_distance(a real[], b real[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT a::vector({DIM}) <#> b::vector({DIM}) $$
"""


OLD_CALL_START = "alice_call_start_context(bigint, text, integer, integer, text[], text, text[])"
CALL_START = (
    "alice_call_start_context(bigint, text, integer, integer, text[], text, text[], text, "
    "real[], integer)"
)
MEMORY_COLUMNS = (
    "id, scope, user_id, type, key, value, source, ttl_days, created_at, updated_at, expires_at"
)
# The same scope and rankings as SearchMemories' statement (frozen here, as a
# migration never follows the code): the caller's and the shared live memories,
# without the excluded types and the hidden settings; keyword candidates by
# ts_rank_cd, semantic ones by alice_embedding_distance, each cut at p_depth.
_CANDIDATES = f"""
        WITH scoped AS (
            SELECT * FROM memories m
            WHERE m.customer_id = p_customer_id AND m.user_id IN (p_user_id, '')
              AND m.type <> ALL(p_excluded_types) AND m.expires_at > now()
              AND NOT (m.user_id = '' AND m.type = p_hidden_type AND m.key = ANY(p_hidden_keys))
        ),
        kw AS (
            SELECT id, score,
                   row_number() OVER (ORDER BY score DESC, updated_at DESC, id DESC) AS rank
            FROM (
                SELECT s.id, s.updated_at, ts_rank_cd(s.search_vector, q.query) AS score
                FROM scoped s, (
                    SELECT to_tsquery('simple'::regconfig,
                               coalesce(string_agg(quote_literal(lexeme), ' | '), '')) AS query
                    FROM unnest(tsvector_to_array(to_tsvector('english'::regconfig, p_query)))
                         AS lexeme
                ) q
                WHERE s.search_vector @@ q.query
            ) matched
            ORDER BY rank LIMIT p_depth
        ),
        sem AS (
            SELECT id, -distance AS similarity,
                   row_number() OVER (ORDER BY distance, updated_at DESC, id DESC) AS rank
            FROM (
                SELECT s.id, s.updated_at,
                       alice_embedding_distance(s.embedding, p_query_embedding) AS distance
                FROM scoped s
                WHERE p_query_embedding IS NOT NULL AND s.embedding IS NOT NULL
            ) scored
            ORDER BY rank LIMIT p_depth
        )
        SELECT coalesce(json_agg(c ORDER BY c.updated_at DESC, c.id DESC), '[]')
        INTO v_candidates
        FROM (
            SELECT {", ".join("m." + c.strip() for c in MEMORY_COLUMNS.split(","))},
                   coalesce(kw.rank, 0) AS keyword_rank,
                   coalesce(kw.score, 0)::float8 AS keyword_score,
                   coalesce(sem.rank, 0) AS semantic_rank,
                   sem.similarity::float8 AS similarity
            FROM (SELECT id FROM kw UNION SELECT id FROM sem) found
            JOIN memories m ON m.customer_id = p_customer_id AND m.id = found.id
            LEFT JOIN kw ON kw.id = found.id
            LEFT JOIN sem ON sem.id = found.id
        ) c;
"""


def _call_start_function() -> str:
    """Migration 0003's function, with a query: candidates instead of the newest memories."""
    source = str(_migration_0003().FUNCTION)
    source = source.replace(
        "    p_hidden_keys text[] DEFAULT '{}'\n) RETURNS json",
        "    p_hidden_keys text[] DEFAULT '{}',\n"
        "    p_query text DEFAULT NULL,\n"
        "    p_query_embedding real[] DEFAULT NULL,\n"
        "    p_depth integer DEFAULT 30\n) RETURNS json",
    )
    source = source.replace(
        "    v_memories json := '[]';\n",
        "    v_memories json := '[]';\n    v_candidates json;\n",
    )
    source = source.replace(
        "    IF p_memories > 0 THEN",
        f"    IF p_memories > 0 AND p_query IS NOT NULL THEN\n{_CANDIDATES}"
        "    ELSIF p_memories > 0 THEN",
    )
    source = source.replace(
        "        'memories', v_memories\n",
        "        'memories', v_memories,\n        'candidates', v_candidates\n",
    )
    assert source.count("p_query_embedding") >= 3 and "'candidates'" in source, "0003 changed"
    return source


def _migration_0003() -> Any:
    path = Path(__file__).with_name("0003_call_start_context.py")
    spec = importlib.util.spec_from_file_location("alice_migration_0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _role() -> str:
    role = str(context.config.attributes["app_role"])
    return op.get_bind().dialect.identifier_preparer.quote(role)


def _pgvector() -> bool:
    """Use pgvector when installed in this database, or when this role may create it."""
    bind = op.get_bind()
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'vector'").scalar():
        return True
    if not bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
    ).scalar():
        return False
    # Creating it needs a superuser (pgvector is not a trusted extension): try,
    # and fall back to exact scoring in SQL if this role may not.
    bind.exec_driver_sql(
        """
        DO $$
        BEGIN
            CREATE EXTENSION IF NOT EXISTS vector;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pgvector is available but this role may not create it: '
                'semantic search scores exactly in SQL (docs/RETRIEVAL.md says how to '
                'switch to pgvector later)';
        END
        $$
        """
    )
    return bool(
        bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'vector'").scalar()
    )


def upgrade() -> None:
    role = _role()
    op.add_column("memories", sa.Column("embedding", postgresql.ARRAY(sa.REAL()), nullable=True))
    op.create_check_constraint(
        "embedding_dimensions",
        "memories",
        f"embedding IS NULL OR cardinality(embedding) = {DIM}",
    )
    op.execute(_DISTANCE_PGVECTOR if _pgvector() else _DISTANCE_SQL)

    op.create_table(
        "memory_history",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("memory_id", sa.UUID(), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("previous_value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("previous_source", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("change IN ('update', 'delete')", name=op.f("ck_memory_history_change")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_memory_history_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "id", name=op.f("pk_memory_history")),
    )
    op.create_index(
        "ix_memory_history_customer_id_memory_id_changed_at",
        "memory_history",
        ["customer_id", "memory_id", sa.text("changed_at DESC"), sa.text("id DESC")],
    )
    op.create_index(
        "ix_memory_history_customer_id_user_id",
        "memory_history",
        ["customer_id", "user_id"],
    )
    op.create_index("ix_memory_history_changed_at", "memory_history", ["changed_at"])
    op.execute("ALTER TABLE memory_history ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE memory_history FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON memory_history "
        f"USING ({TENANT_MATCH}) WITH CHECK ({TENANT_MATCH})"
    )
    op.execute(f"GRANT SELECT, INSERT, DELETE ON memory_history TO {role}")

    # The triggers run as the role that changes the memory (the service), so
    # row-level security checks the history row too. A memory that had already
    # expired leaves no history: for every reader it was gone. `changed_by` of
    # a deletion is the transaction-local setting alice.change_source, set by
    # the service, else 'api'.
    op.execute(
        """
        CREATE FUNCTION alice_memory_history() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.expires_at <= now() THEN
                RETURN NULL;
            END IF;
            IF TG_OP = 'UPDATE' THEN
                IF OLD.id <> NEW.id OR (OLD.value = NEW.value AND OLD.source = NEW.source) THEN
                    RETURN NULL;
                END IF;
                INSERT INTO memory_history (customer_id, memory_id, change, scope, user_id, type,
                                            key, previous_value, previous_source, changed_by)
                VALUES (OLD.customer_id, OLD.id, 'update', OLD.scope, OLD.user_id, OLD.type,
                        OLD.key, OLD.value, OLD.source, NEW.source);
            ELSE
                INSERT INTO memory_history (customer_id, memory_id, change, scope, user_id, type,
                                            key, previous_value, previous_source, changed_by)
                VALUES (OLD.customer_id, OLD.id, 'delete', OLD.scope, OLD.user_id, OLD.type,
                        OLD.key, OLD.value, OLD.source,
                        coalesce(nullif(current_setting('alice.change_source', true), ''), 'api'));
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER memory_history_on_change AFTER UPDATE OF value, source OR DELETE "
        "ON memories FOR EACH ROW EXECUTE FUNCTION alice_memory_history()"
    )

    op.execute(f"DROP FUNCTION {OLD_CALL_START}")
    op.execute(_call_start_function())
    op.execute(f"REVOKE ALL ON FUNCTION {CALL_START} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {CALL_START} TO {role}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {CALL_START}")
    op.execute(_migration_0003().FUNCTION)
    op.execute(f"REVOKE ALL ON FUNCTION {OLD_CALL_START} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {OLD_CALL_START} TO {_role()}")
    op.execute("DROP TRIGGER memory_history_on_change ON memories")
    op.execute("DROP FUNCTION alice_memory_history()")
    op.drop_table("memory_history")
    op.execute("DROP FUNCTION alice_embedding_distance(real[], real[])")
    op.drop_constraint(op.f("ck_memories_embedding_dimensions"), "memories", type_="check")
    op.drop_column("memories", "embedding")
    # The extension stays: other databases or schemas may use it, and dropping
    # it needs the superuser who created it.
