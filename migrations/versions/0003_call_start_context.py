"""The call start in one round trip: alice_call_start_context().

GetEnrichedContext used to cost six round trips (BEGIN with the tenant setting,
four queries, COMMIT). This function does all of it inside ONE statement: it
sets `alice.customer_id` transaction-locally (the statement's own implicit
transaction, so it ends with it), reads the caller's profile, personality,
latest call summaries and the context memories, and returns them as one JSON
document.

Why it is exactly as strict as before:

* SECURITY INVOKER: it runs with the caller's privileges, so row-level security
  applies to every query in it as it does to the service's own queries (FORCE
  on every tenant table). It grants nothing the service role could not do
  already: that role may set `alice.customer_id` itself.
* It is owned by the schema owner (who runs the migrations), not by the
  service role, which still owns nothing; EXECUTE is revoked from PUBLIC and
  granted to the service role only.
* Each query also names `customer_id = p_customer_id`, like the repositories, so
  the planner uses the (customer_id, user_id, ...) indexes.

The column lists are frozen here on purpose (a migration never follows the
code): the service reads the rows by column name.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "alice_call_start_context(bigint, text, integer, integer, text[], text, text[])"

# The search vector is left out of the memories: it is large and never shown.
MEMORY_COLUMNS = (
    "id, scope, user_id, type, key, value, source, ttl_days, created_at, updated_at, expires_at"
)

FUNCTION = f"""
CREATE FUNCTION alice_call_start_context(
    p_customer_id bigint,
    p_user_id text,
    p_summaries integer,
    p_memories integer,
    p_excluded_types text[],
    p_hidden_type text DEFAULT '',
    p_hidden_keys text[] DEFAULT '{{}}'
) RETURNS json
LANGUAGE plpgsql VOLATILE SECURITY INVOKER PARALLEL UNSAFE
AS $$
DECLARE
    v_profile json;
    v_personality json;
    v_summaries json := '[]';
    v_memories json := '[]';
BEGIN
    PERFORM set_config('alice.customer_id', p_customer_id::text, true);

    SELECT to_json(p) INTO v_profile
    FROM caller_profiles p
    WHERE p.customer_id = p_customer_id AND p.user_id = p_user_id;

    IF v_profile IS NOT NULL THEN
        SELECT to_json(a) INTO v_personality
        FROM personality_averages a
        WHERE a.customer_id = p_customer_id AND a.user_id = p_user_id;

        IF p_summaries > 0 THEN
            SELECT coalesce(json_agg(s ORDER BY s.started_at DESC, s.id DESC), '[]')
            INTO v_summaries
            FROM (
                SELECT * FROM call_summaries
                WHERE customer_id = p_customer_id AND user_id = p_user_id
                ORDER BY started_at DESC, id DESC
                LIMIT p_summaries
            ) s;
        END IF;
    END IF;

    -- The caller's newest memories, then the tenant's shared ones, p_memories in
    -- all: two halves, each read in index order and cut at p_memories. Memories of
    -- the excluded types are left out, and shared ones of p_hidden_type whose key
    -- is one of p_hidden_keys (settings meant for the agent, not for a caller).
    IF p_memories > 0 THEN
        SELECT coalesce(json_agg(m ORDER BY m.user_id = '' ASC, m.updated_at DESC), '[]')
        INTO v_memories
        FROM (
            SELECT * FROM (
                (SELECT {MEMORY_COLUMNS} FROM memories
                 WHERE customer_id = p_customer_id AND user_id = p_user_id
                   AND type <> ALL(p_excluded_types) AND expires_at > now()
                 ORDER BY updated_at DESC
                 LIMIT p_memories)
                UNION ALL
                (SELECT {MEMORY_COLUMNS} FROM memories
                 WHERE customer_id = p_customer_id AND user_id = ''
                   AND type <> ALL(p_excluded_types) AND expires_at > now()
                   AND NOT (type = p_hidden_type AND key = ANY(p_hidden_keys))
                 ORDER BY updated_at DESC
                 LIMIT p_memories)
            ) both_halves
            ORDER BY user_id = '' ASC, updated_at DESC
            LIMIT p_memories
        ) m;
    END IF;

    RETURN json_build_object(
        'profile', v_profile,
        'personality', v_personality,
        'summaries', v_summaries,
        'memories', v_memories
    );
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
