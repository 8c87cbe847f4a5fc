"""SearchMemories in one round trip: `alice_search_memories(...)`.

Until now SearchMemories read its candidates in a tenant transaction: BEGIN with
the tenant setting, the statement, COMMIT, three exchanges with the database for
one statement. Profiled at concurrency 10 (2026-12-04), a fifth of the server's
CPU per search went to those three socket writes and their wake-ups, and each
exchange waits its turn for the database's and the server's CPU under load.

`alice_search_memories` is that statement as a SECURITY INVOKER function that
sets the tenant transaction-locally in its own statement's transaction, as the
call start does (0003): one exchange, no BEGIN or COMMIT. Row-level security
applies inside it as everywhere else (the function runs as the caller's role;
the tenant it sets is the one the server passes, from the verified token).

It returns what the statement returned, row by row: every live memory in scope
(the owners given: the caller and '' for the shared ones, read through the
(customer_id, user_id, ...) indexes only), newest first, each with its
full-text score for the keywords (NULL: no match, or no keywords) and, when
asked, its embedding bytes. The server ranks them (domain/retrieval.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "alice_search_memories(bigint, text[], text[], text, boolean, text[])"

FUNCTION = """
CREATE FUNCTION alice_search_memories(
    p_customer_id bigint,
    p_owners text[],
    p_types text[],
    p_keywords text,
    p_embeddings boolean,
    p_excluded_types text[]
) RETURNS TABLE (
    id uuid,
    scope text,
    user_id text,
    type text,
    key text,
    value jsonb,
    source text,
    ttl_days integer,
    created_at timestamptz,
    updated_at timestamptz,
    expires_at timestamptz,
    call_id text,
    keyword_score float8,
    embedding bytea
)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER PARALLEL UNSAFE
AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('alice.customer_id', p_customer_id::text, true);
    RETURN QUERY
    SELECT m.id, m.scope, m.user_id, m.type, m.key, m.value, m.source, m.ttl_days,
           m.created_at, m.updated_at, m.expires_at, m.call_id,
           CASE WHEN m.search_vector @@ q.query
                THEN ts_rank_cd(m.search_vector, q.query)::float8 END,
           CASE WHEN p_embeddings THEN m.embedding_bytes END
    FROM memories m, (
        -- Any of the keywords' lexemes (OR), whatever operators the text spells.
        SELECT CASE WHEN p_keywords IS NOT NULL THEN
                   to_tsquery('simple'::regconfig,
                              coalesce(string_agg(quote_literal(lexeme), ' | '), ''))
               END AS query
        FROM unnest(tsvector_to_array(to_tsvector('english'::regconfig, p_keywords))) AS lexeme
    ) q
    WHERE m.customer_id = p_customer_id AND m.user_id = ANY(p_owners) AND m.expires_at > now()
      AND (cardinality(p_types) = 0 OR m.type = ANY(p_types))
      AND m.type <> ALL(p_excluded_types)
    ORDER BY m.updated_at DESC, m.id DESC;
END
$$
"""


def _role() -> str:
    role = str(context.config.attributes["app_role"])
    return op.get_bind().dialect.identifier_preparer.quote(role)


def upgrade() -> None:
    op.execute(FUNCTION)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {_role()}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SIGNATURE}")
