"""Call loop: per-call transcripts and call records.

* `calls`: one row per call (customer_id, call_id): the caller, the call
  record (direction, number dialled, telephony call id, transfer target,
  recording and transcript URLs) and the counters of the stored transcript,
  which the append checks its per-call limits against.
* `call_transcript_turns`: the turns appended during a call, identified by
  (customer_id, call_id, sequence) so that a retried append stores nothing
  twice. Kept 90 days after they were stored (reads ignore older turns;
  `alice-admin purge-expired` deletes them).

Both get the same row-level security as every tenant table (ENABLE and
FORCE, one policy for reads and writes against the transaction-local
`alice.customer_id`) and the same grants to the service role. The platform
role of the tenants work (`<app_role>_platform`, migration 0005), when it
exists, may read and erase their rows like every tenant table's (a caller's
export and erasure cover both tables).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_TABLES = ("calls", "call_transcript_turns")
TENANT_MATCH = "customer_id = (SELECT alice_current_customer_id())"


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


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("call_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("direction", sa.Text(), server_default="", nullable=False),
        sa.Column("dialled_number", sa.Text(), server_default="", nullable=False),
        sa.Column("external_call_id", sa.Text(), server_default="", nullable=False),
        sa.Column("transfer_target", sa.Text(), server_default="", nullable=False),
        sa.Column("recording_url", sa.Text(), server_default="", nullable=False),
        sa.Column("transcript_url", sa.Text(), server_default="", nullable=False),
        sa.Column("turn_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("char_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("first_turn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_turn_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("direction IN ('', 'inbound', 'outbound')", name="ck_calls_direction"),
        sa.CheckConstraint("turn_count >= 0 AND char_count >= 0", name="ck_calls_counts"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_calls_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "call_id", name="pk_calls"),
    )
    op.create_index("ix_calls_customer_id_user_id", "calls", ["customer_id", "user_id"])
    op.create_table(
        "call_transcript_turns",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("call_id", sa.Text(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("spoken_at", sa.DateTime(timezone=True), nullable=False),
        _created_at(),
        sa.CheckConstraint("sequence >= 0", name="ck_call_transcript_turns_sequence"),
        sa.CheckConstraint(
            "role IN ('caller', 'agent', 'system')", name="ck_call_transcript_turns_role"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_call_transcript_turns_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id", "call_id"],
            ["calls.customer_id", "calls.call_id"],
            name="fk_call_transcript_turns_customer_id_call_id_calls",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "customer_id", "call_id", "sequence", name="pk_call_transcript_turns"
        ),
    )
    op.create_index(
        "ix_call_transcript_turns_customer_id_user_id",
        "call_transcript_turns",
        ["customer_id", "user_id"],
    )
    op.create_index("ix_call_transcript_turns_created_at", "call_transcript_turns", ["created_at"])

    role = _role()
    for table in NEW_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING ({TENANT_MATCH}) WITH CHECK ({TENANT_MATCH})"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")
    _platform_grant(f"GRANT SELECT, DELETE ON {', '.join(NEW_TABLES)} TO {{role}}")


def downgrade() -> None:
    role = _role()
    _platform_grant(f"REVOKE ALL ON {', '.join(NEW_TABLES)} FROM {{role}}")
    for table in reversed(NEW_TABLES):
        op.execute(f"REVOKE ALL ON {table} FROM {role}")
    op.drop_table("call_transcript_turns")
    op.drop_table("calls")
