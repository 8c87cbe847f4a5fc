"""Initial schema: customers and the five tenant tables.

Every tenant table has customer_id first in its primary key and unique
constraints, and indexes led by (customer_id, user_id). Row-level security
and the service role come in 0002.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy: a migration must not change when the models do.
PERSONALITY_SCORES = (
    "openness",
    "conscientiousness",
    "extraversion",
    "agreeableness",
    "neuroticism",
    "formality",
    "directness",
    "detail_orientation",
    "patience",
    "technical_comfort",
    "frustration_level",
    "satisfaction_level",
    "urgency_level",
)


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("business_name", sa.Text(), nullable=False),
        sa.Column("agent_name", sa.Text(), server_default="", nullable=False),
        sa.Column("greeting_template", sa.Text(), server_default="", nullable=False),
        sa.Column("twilio_phone_number", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("status IN ('active', 'suspended')", name=op.f("ck_customers_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("twilio_phone_number", name=op.f("uq_customers_twilio_phone_number")),
    )
    op.create_table(
        "call_summaries",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("call_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "key_topics",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("sentiment", sa.Text(), nullable=False),
        sa.Column("turn_count", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "sentiment IN ('positive', 'neutral', 'negative')",
            name=op.f("ck_call_summaries_sentiment"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_call_summaries_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "id", name=op.f("pk_call_summaries")),
        sa.UniqueConstraint(
            "customer_id", "call_id", name=op.f("uq_call_summaries_customer_id_call_id")
        ),
    )
    op.create_index(
        "ix_call_summaries_customer_id_started_at",
        "call_summaries",
        [
            "customer_id",
            sa.literal_column("started_at DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
    op.create_index(
        "ix_call_summaries_customer_id_user_id_started_at",
        "call_summaries",
        [
            "customer_id",
            "user_id",
            sa.literal_column("started_at DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
    op.create_table(
        "caller_profiles",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("first_call_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_call_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_calls", sa.Integer(), nullable=False),
        sa.Column("preferred_name", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "preferences",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_caller_profiles_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "user_id", name=op.f("pk_caller_profiles")),
    )
    op.create_index(
        "ix_caller_profiles_customer_id_last_call_at",
        "caller_profiles",
        [
            "customer_id",
            sa.literal_column("last_call_at DESC"),
            sa.literal_column("user_id DESC"),
        ],
        unique=False,
    )
    op.create_table(
        "memories",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("ttl_days", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english'::regconfig, key), 'A') || "
                "setweight(jsonb_to_tsvector('english'::regconfig, value, "
                '\'["string", "numeric", "key"]\'::jsonb), \'B\')',
                persisted=True,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(scope = 'shared') = (user_id = '')",
            name=op.f("ck_memories_shared_has_no_user"),
        ),
        sa.CheckConstraint("scope IN ('user', 'shared')", name=op.f("ck_memories_scope")),
        sa.CheckConstraint("ttl_days BETWEEN 1 AND 3650", name=op.f("ck_memories_ttl_days")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_memories_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "id", name=op.f("pk_memories")),
        sa.UniqueConstraint(
            "customer_id",
            "scope",
            "user_id",
            "type",
            "key",
            name=op.f("uq_memories_customer_id_scope_user_id_type_key"),
        ),
    )
    op.create_index(
        "ix_memories_customer_id_user_id_created_at",
        "memories",
        [
            "customer_id",
            "user_id",
            sa.literal_column("created_at DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
    op.create_index(
        "ix_memories_customer_id_user_id_updated_at",
        "memories",
        ["customer_id", "user_id", sa.literal_column("updated_at DESC")],
        unique=False,
    )
    op.create_index("ix_memories_expires_at", "memories", ["expires_at"], unique=False)
    op.create_index(
        "ix_memories_search_vector",
        "memories",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "personality_averages",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("call_count", sa.Integer(), nullable=False),
        sa.Column("avg_openness", sa.Double(), nullable=False),
        sa.Column("avg_conscientiousness", sa.Double(), nullable=False),
        sa.Column("avg_extraversion", sa.Double(), nullable=False),
        sa.Column("avg_agreeableness", sa.Double(), nullable=False),
        sa.Column("avg_neuroticism", sa.Double(), nullable=False),
        sa.Column("avg_formality", sa.Double(), nullable=False),
        sa.Column("avg_directness", sa.Double(), nullable=False),
        sa.Column("avg_detail_orientation", sa.Double(), nullable=False),
        sa.Column("avg_patience", sa.Double(), nullable=False),
        sa.Column("avg_technical_comfort", sa.Double(), nullable=False),
        sa.Column("recent_frustration", sa.Double(), nullable=False),
        sa.Column("recent_satisfaction", sa.Double(), nullable=False),
        sa.Column("recent_urgency", sa.Double(), nullable=False),
        sa.Column("satisfaction_trend", sa.Text(), nullable=True),
        sa.Column("frustration_trend", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "frustration_trend IN ('increasing', 'decreasing', 'stable')",
            name=op.f("ck_personality_averages_frustration_trend"),
        ),
        sa.CheckConstraint(
            "satisfaction_trend IN ('increasing', 'decreasing', 'stable')",
            name=op.f("ck_personality_averages_satisfaction_trend"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id", "user_id"],
            ["caller_profiles.customer_id", "caller_profiles.user_id"],
            name=op.f("fk_personality_averages_customer_id_user_id_caller_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_personality_averages_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "user_id", name=op.f("pk_personality_averages")),
    )
    op.create_table(
        "personality_metrics",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("call_id", sa.Text(), nullable=False),
        sa.Column("call_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("openness", sa.Double(), nullable=False),
        sa.Column("conscientiousness", sa.Double(), nullable=False),
        sa.Column("extraversion", sa.Double(), nullable=False),
        sa.Column("agreeableness", sa.Double(), nullable=False),
        sa.Column("neuroticism", sa.Double(), nullable=False),
        sa.Column("formality", sa.Double(), nullable=False),
        sa.Column("directness", sa.Double(), nullable=False),
        sa.Column("detail_orientation", sa.Double(), nullable=False),
        sa.Column("patience", sa.Double(), nullable=False),
        sa.Column("technical_comfort", sa.Double(), nullable=False),
        sa.Column("frustration_level", sa.Double(), nullable=False),
        sa.Column("satisfaction_level", sa.Double(), nullable=False),
        sa.Column("urgency_level", sa.Double(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        *(
            sa.CheckConstraint(
                f"{c} BETWEEN 0 AND 100", name=op.f(f"ck_personality_metrics_{c}_range")
            )
            for c in PERSONALITY_SCORES
        ),
        sa.ForeignKeyConstraint(
            ["customer_id", "call_id"],
            ["call_summaries.customer_id", "call_summaries.call_id"],
            name=op.f("fk_personality_metrics_customer_id_call_id_call_summaries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_personality_metrics_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "id", name=op.f("pk_personality_metrics")),
        sa.UniqueConstraint(
            "customer_id",
            "call_id",
            name=op.f("uq_personality_metrics_customer_id_call_id"),
        ),
    )
    op.create_index(
        "ix_personality_metrics_customer_id_user_id_call_at",
        "personality_metrics",
        [
            "customer_id",
            "user_id",
            sa.literal_column("call_at DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_personality_metrics_customer_id_user_id_call_at",
        table_name="personality_metrics",
    )
    op.drop_table("personality_metrics")
    op.drop_table("personality_averages")
    op.drop_index("ix_memories_search_vector", table_name="memories", postgresql_using="gin")
    op.drop_index("ix_memories_expires_at", table_name="memories")
    op.drop_index("ix_memories_customer_id_user_id_updated_at", table_name="memories")
    op.drop_index("ix_memories_customer_id_user_id_created_at", table_name="memories")
    op.drop_table("memories")
    op.drop_index("ix_caller_profiles_customer_id_last_call_at", table_name="caller_profiles")
    op.drop_table("caller_profiles")
    op.drop_index("ix_call_summaries_customer_id_user_id_started_at", table_name="call_summaries")
    op.drop_index("ix_call_summaries_customer_id_started_at", table_name="call_summaries")
    op.drop_table("call_summaries")
    op.drop_table("customers")
