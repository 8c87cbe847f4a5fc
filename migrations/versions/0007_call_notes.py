"""Call notes: follow-ups, the call a memory came from, follow-ups at the call start.

* `follow_ups`: the promises made during a call (by the agent or the caller),
  one row each, identified by (customer_id, call_id, ordinal) so that a retried
  ProcessCall stores nothing twice. `due_at` is the resolved deadline (NULL when
  the call named none or it was not understood), `promised_at` the call's start
  (what "by Friday" was said against); `due_order` is the same moment
  with undated ones at 'infinity', so that "due first, undated last" is one
  index order and one keyset comparison. The two open-first indexes serve the
  call start and ListFollowUps per caller and per tenant; the same tenant
  index serves the overdue count of the metrics.
  Row-level security as on every tenant table; the platform role (0005), when
  it exists, may read and erase the rows like every tenant table's.
* `memories.call_id`: the call a memory was extracted from (ProcessCall); NULL
  for memories stored otherwise. Each store replaces it, like the value.
* `alice_call_start_context` gains `p_follow_ups`: the caller's open follow-ups,
  due first, at most that many, and with them the tenant's time zone (to show
  due times in it), still in the one statement of the call start. Each memory
  it returns carries its `call_id`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_MATCH = "customer_id = (SELECT alice_current_customer_id())"

OLD_CALL_START = (
    "alice_call_start_context(bigint, text, integer, integer, text[], text, text[], text, "
    "real[], integer)"
)
CALL_START = (
    "alice_call_start_context(bigint, text, integer, integer, text[], text, text[], text, "
    "real[], integer, integer)"
)
FOLLOW_UP_COLUMNS = (
    "id, user_id, call_id, ordinal, party, action, due_phrase, due_at, promised_at, status, "
    "created_at, updated_at, resolved_at"
)
# Frozen here (a migration never follows the code): the open follow-ups of the
# caller in ix_follow_ups_customer_id_user_id_status_due_order order and, when
# there are some, the tenant's time zone to show their due times in (its
# customers row: a primary-key lookup).
_FOLLOW_UPS = f"""
    IF p_follow_ups > 0 THEN
        SELECT coalesce(
            json_agg(f ORDER BY f.due_order, f.created_at, f.call_id, f.ordinal), '[]'
        )
        INTO v_follow_ups
        FROM (
            SELECT {FOLLOW_UP_COLUMNS}, due_order FROM follow_ups
            WHERE customer_id = p_customer_id AND user_id = p_user_id AND status = 'open'
            ORDER BY due_order, created_at, call_id, ordinal
            LIMIT p_follow_ups
        ) f;
        IF v_follow_ups::text <> '[]' THEN
            SELECT c.time_zone INTO v_time_zone FROM customers c WHERE c.id = p_customer_id;
        END IF;
    END IF;

"""


def _migration(name: str) -> Any:
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"alice_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _call_start_function() -> str:
    """Migration 0004's function, with the open follow-ups and the time zone."""
    source = str(_migration("0004_semantic_memory.py")._call_start_function())
    # The memories carry the call they came from.
    source = source.replace(
        "updated_at, expires_at FROM memories", "updated_at, expires_at, call_id FROM memories"
    )
    source = source.replace("m.updated_at, m.expires_at,", "m.updated_at, m.expires_at, m.call_id,")
    source = source.replace(
        "    p_depth integer DEFAULT 30\n) RETURNS json",
        "    p_depth integer DEFAULT 30,\n    p_follow_ups integer DEFAULT 0\n) RETURNS json",
    )
    source = source.replace(
        "    v_candidates json;\n",
        "    v_candidates json;\n    v_follow_ups json := '[]';\n    v_time_zone text;\n",
    )
    returning = "    RETURN json_build_object("
    source = source.replace(returning, _FOLLOW_UPS + returning)
    source = source.replace(
        "        'candidates', v_candidates\n",
        "        'candidates', v_candidates,\n"
        "        'follow_ups', v_follow_ups,\n"
        "        'time_zone', v_time_zone\n",
    )
    assert source.count("p_follow_ups") == 3 and "'time_zone'" in source, "0004 changed"
    assert source.count("call_id FROM memories") == 2 and "m.call_id," in source, "0004 changed"
    return source


def _role() -> str:
    role = str(context.config.attributes["app_role"])
    return op.get_bind().dialect.identifier_preparer.quote(role)


def _platform_grant(statement: str) -> None:
    """Run `statement` (with {role} for the platform role) if that role exists."""
    platform = f"{context.config.attributes['app_role']}_platform"
    quoted = op.get_bind().dialect.identifier_preparer.quote(platform)
    literal = platform.replace("'", "''")
    op.execute(
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{literal}') THEN "
        f"{statement.format(role=quoted)}; END IF; END $$"
    )


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=None if nullable else sa.text("now()"),
        nullable=nullable,
    )


def upgrade() -> None:
    role = _role()
    op.create_table(
        "follow_ups",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("call_id", sa.Text(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("party", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("due_phrase", sa.Text(), server_default="", nullable=False),
        _timestamp("due_at", nullable=True),
        sa.Column("promised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "due_order",
            sa.DateTime(timezone=True),
            sa.Computed("coalesce(due_at, 'infinity'::timestamptz)", persisted=True),
            nullable=False,
        ),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("resolved_at", nullable=True),
        sa.CheckConstraint("party IN ('agent', 'caller')", name="ck_follow_ups_party"),
        sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name="ck_follow_ups_status"),
        sa.CheckConstraint("ordinal >= 0", name="ck_follow_ups_ordinal"),
        sa.CheckConstraint(
            "(status = 'open') = (resolved_at IS NULL)", name="ck_follow_ups_resolved_when_closed"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_follow_ups_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id", "call_id"],
            ["call_summaries.customer_id", "call_summaries.call_id"],
            name="fk_follow_ups_customer_id_call_id_call_summaries",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "id", name="pk_follow_ups"),
        sa.UniqueConstraint(
            "customer_id", "call_id", "ordinal", name="uq_follow_ups_customer_id_call_id_ordinal"
        ),
    )
    op.create_index(
        "ix_follow_ups_customer_id_user_id_status_due_order",
        "follow_ups",
        ["customer_id", "user_id", "status", "due_order", "created_at", "call_id", "ordinal"],
    )
    op.create_index(
        "ix_follow_ups_customer_id_status_due_order",
        "follow_ups",
        ["customer_id", "status", "due_order", "created_at", "call_id", "ordinal"],
    )
    op.execute("ALTER TABLE follow_ups ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE follow_ups FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON follow_ups "
        f"USING ({TENANT_MATCH}) WITH CHECK ({TENANT_MATCH})"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON follow_ups TO {role}")
    _platform_grant("GRANT SELECT, DELETE ON follow_ups TO {role}")

    op.add_column("memories", sa.Column("call_id", sa.Text(), nullable=True))

    op.execute(f"DROP FUNCTION {OLD_CALL_START}")
    op.execute(_call_start_function())
    op.execute(f"REVOKE ALL ON FUNCTION {CALL_START} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {CALL_START} TO {role}")


def downgrade() -> None:
    role = _role()
    op.execute(f"DROP FUNCTION {CALL_START}")
    op.execute(_migration("0004_semantic_memory.py")._call_start_function())
    op.execute(f"REVOKE ALL ON FUNCTION {OLD_CALL_START} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {OLD_CALL_START} TO {role}")
    op.drop_column("memories", "call_id")
    _platform_grant("REVOKE ALL ON follow_ups FROM {role}")
    op.execute(f"REVOKE ALL ON follow_ups FROM {role}")
    op.drop_table("follow_ups")
