"""The schema, as typed SQLAlchemy models.

Migrations under migrations/ build exactly this (tests/test_migrations.py
compares the two). Rules every tenant table follows:

* `customer_id BIGINT NOT NULL` referencing customers(id), first column of the
  primary key and of every unique constraint, so the schema can be
  distributed by tenant (Citus) without redesign;
* composite indexes led by (customer_id, user_id);
* row-level security, enabled and forced, comparing customer_id with the
  transaction-local setting `alice.customer_id` (see the migration).

The tenant tables are listed once, in `storage.data_tables` (export and
erasure read it; tests/test_rls.py checks row-level security on each).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from alice_server.domain.traits import AVERAGED_TRAITS, PERSONALITY_TRAITS, RECENT_LEVELS

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The trait list (one for all of Alice) decides the score columns below.


# Text searched by SearchMemories: the key (weight A) and the strings, numbers
# and object keys of the value (weight B), with English stemming.
MEMORY_SEARCH_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, key), 'A') || "
    "setweight(jsonb_to_tsvector('english'::regconfig, value, "
    '\'["string", "numeric", "key"]\'::jsonb), \'B\')'
)


def _now() -> Any:
    return text("now()")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: DateTime(timezone=True)}


class Customer(Base):
    """A tenant: one business whose calls the agent answers."""

    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended')", name="status"),
        CheckConstraint("rate_limit_per_second > 0", name="rate_limit_positive"),
        CheckConstraint(r"twilio_phone_number ~ '^\+[1-9][0-9]{6,14}$'", name="twilio_e164"),
        UniqueConstraint("twilio_phone_number"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    business_name: Mapped[str] = mapped_column(Text)
    agent_name: Mapped[str] = mapped_column(Text, server_default="")
    greeting_template: Mapped[str] = mapped_column(Text, server_default="")
    twilio_phone_number: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="active")
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    # 0005: the voice agent's profile; NULL rate limit = the server default.
    voice: Mapped[str] = mapped_column(Text, server_default="")
    time_zone: Mapped[str] = mapped_column(Text, server_default="UTC")
    rate_limit_per_second: Mapped[float | None] = mapped_column(Double)


def _customer_fk() -> ForeignKey:
    return ForeignKey("customers.id", ondelete="CASCADE")


class Memory(Base):
    """A remembered fact, preference, transcript or setting (see the proto's Memory)."""

    __tablename__ = "memories"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "id"),
        UniqueConstraint("customer_id", "scope", "user_id", "type", "key"),
        CheckConstraint("scope IN ('user', 'shared')", name="scope"),
        CheckConstraint("(scope = 'shared') = (user_id = '')", name="shared_has_no_user"),
        CheckConstraint("ttl_days BETWEEN 1 AND 3650", name="ttl_days"),
        CheckConstraint(
            "embedding_bytes IS NULL OR octet_length(embedding_bytes) = 1024",
            name="embedding_bytes_length",
        ),
        Index(
            "ix_memories_customer_id_user_id_created_at",
            "customer_id",
            "user_id",
            text("created_at DESC"),
            text("id DESC"),
        ),
        Index(
            "ix_memories_customer_id_user_id_updated_at",
            "customer_id",
            "user_id",
            text("updated_at DESC"),
        ),
        Index("ix_memories_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_memories_expires_at", "expires_at"),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger, _customer_fk())
    id: Mapped[uuid.UUID] = mapped_column(UUID, server_default=text("gen_random_uuid()"))
    scope: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    value: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source: Mapped[str] = mapped_column(Text)
    ttl_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    expires_at: Mapped[dt.datetime] = mapped_column()
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed(MEMORY_SEARCH_VECTOR, persisted=True), deferred=True
    )
    # Unit-length embedding of type, key and value (alice_server.domain.embeddings) as
    # 256 big-endian float4 (1,024 bytes), written by the server, read and scored by
    # the server (searches); NULL until computed. Migration 0010: the only copy (0004's
    # real[] and 0009's generated column made a row too large to store inline).
    embedding_bytes: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # 0007: the call the memory was extracted from (ProcessCall); NULL otherwise.
    call_id: Mapped[str | None] = mapped_column(Text)


class MemoryHistory(Base):
    """The value a memory had before an update or its deletion (written by a trigger)."""

    __tablename__ = "memory_history"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "id"),
        CheckConstraint("change IN ('update', 'delete')", name="change"),
        Index(
            "ix_memory_history_customer_id_memory_id_changed_at",
            "customer_id",
            "memory_id",
            text("changed_at DESC"),
            text("id DESC"),
        ),
        Index("ix_memory_history_customer_id_user_id", "customer_id", "user_id"),
        Index("ix_memory_history_changed_at", "changed_at"),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger, _customer_fk())
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False))
    memory_id: Mapped[uuid.UUID] = mapped_column(UUID)
    change: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    previous_value: Mapped[dict[str, Any]] = mapped_column(JSONB)
    previous_source: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


class CallSummary(Base):
    """One processed call: its summary, sentiment and topics."""

    __tablename__ = "call_summaries"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "id"),
        UniqueConstraint("customer_id", "call_id"),
        CheckConstraint("sentiment IN ('positive', 'neutral', 'negative')", name="sentiment"),
        Index(
            "ix_call_summaries_customer_id_user_id_started_at",
            "customer_id",
            "user_id",
            text("started_at DESC"),
            text("id DESC"),
        ),
        Index(
            "ix_call_summaries_customer_id_started_at",
            "customer_id",
            text("started_at DESC"),
            text("id DESC"),
        ),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger, _customer_fk())
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    call_id: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column()
    ended_at: Mapped[dt.datetime | None] = mapped_column()
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    key_topics: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    sentiment: Mapped[str] = mapped_column(Text)
    turn_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


class CallerProfile(Base):
    """What is known about a caller as a whole; one row per (tenant, caller)."""

    __tablename__ = "caller_profiles"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "user_id"),
        Index(
            "ix_caller_profiles_customer_id_last_call_at",
            "customer_id",
            text("last_call_at DESC"),
            text("user_id DESC"),
        ),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger, _customer_fk())
    user_id: Mapped[str] = mapped_column(Text)
    first_call_at: Mapped[dt.datetime] = mapped_column()
    last_call_at: Mapped[dt.datetime] = mapped_column()
    total_calls: Mapped[int] = mapped_column(Integer)
    preferred_name: Mapped[str] = mapped_column(Text, server_default="")
    preferences: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


def _score() -> Mapped[float]:
    return mapped_column(Double, nullable=False)


def _score_checks(columns: tuple[str, ...]) -> tuple[CheckConstraint, ...]:
    return tuple(CheckConstraint(f"{c} BETWEEN 0 AND 100", name=f"{c}_range") for c in columns)


PERSONALITY_SCORES = PERSONALITY_TRAITS


class PersonalityMetrics(Base):
    """The 13 personality scores of one call."""

    __tablename__ = "personality_metrics"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "id"),
        UniqueConstraint("customer_id", "call_id"),
        ForeignKeyConstraint(
            ["customer_id", "call_id"],
            ["call_summaries.customer_id", "call_summaries.call_id"],
            ondelete="CASCADE",
        ),
        Index(
            "ix_personality_metrics_customer_id_user_id_call_at",
            "customer_id",
            "user_id",
            text("call_at DESC"),
            text("id DESC"),
        ),
        *_score_checks(PERSONALITY_SCORES),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger, _customer_fk())
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    user_id: Mapped[str] = mapped_column(Text)
    call_id: Mapped[str] = mapped_column(Text)
    call_at: Mapped[dt.datetime] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


class PersonalityAverages(Base):
    """Per caller: trait averages over all calls, levels over the last three, trends."""

    __tablename__ = "personality_averages"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "user_id"),
        ForeignKeyConstraint(
            ["customer_id", "user_id"],
            ["caller_profiles.customer_id", "caller_profiles.user_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(
            "satisfaction_trend IN ('increasing', 'decreasing', 'stable')",
            name="satisfaction_trend",
        ),
        CheckConstraint(
            "frustration_trend IN ('increasing', 'decreasing', 'stable')",
            name="frustration_trend",
        ),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger, _customer_fk())
    user_id: Mapped[str] = mapped_column(Text)
    call_count: Mapped[int] = mapped_column(Integer)
    satisfaction_trend: Mapped[str | None] = mapped_column(Text)
    frustration_trend: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


# The score columns, one per trait (in the list's order, after the other columns).
for _trait in PERSONALITY_TRAITS:
    setattr(PersonalityMetrics, _trait, _score())
for _trait in AVERAGED_TRAITS:
    setattr(PersonalityAverages, f"avg_{_trait}", _score())
for _level in RECENT_LEVELS:
    setattr(PersonalityAverages, f"recent_{_level.removesuffix('_level')}", _score())


class Call(Base):
    """One phone call's record (CallService): who, which line, which telephony
    id, where it went and where its recording is, plus the counters of its
    stored transcript (kept here so that an append checks the per-call limits
    with the one row it locks)."""

    __tablename__ = "calls"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "call_id"),
        CheckConstraint("direction IN ('', 'inbound', 'outbound')", name="direction"),
        CheckConstraint("turn_count >= 0 AND char_count >= 0", name="counts"),
        Index("ix_calls_customer_id_user_id", "customer_id", "user_id"),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger, _customer_fk())
    call_id: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(Text)
    direction: Mapped[str] = mapped_column(Text, server_default="")
    dialled_number: Mapped[str] = mapped_column(Text, server_default="")
    external_call_id: Mapped[str] = mapped_column(Text, server_default="")
    transfer_target: Mapped[str] = mapped_column(Text, server_default="")
    recording_url: Mapped[str] = mapped_column(Text, server_default="")
    transcript_url: Mapped[str] = mapped_column(Text, server_default="")
    turn_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    char_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    first_turn_at: Mapped[dt.datetime | None] = mapped_column()
    last_turn_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


class CallTranscriptTurn(Base):
    """One turn of a call's stored transcript; (call_id, sequence) is its identity.

    Kept for TRANSCRIPT_RETENTION_DAYS after it was stored (see
    alice_server.domain.transcripts); user_id is repeated here so that a
    caller's export and erasure reach the turns directly."""

    __tablename__ = "call_transcript_turns"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "call_id", "sequence"),
        ForeignKeyConstraint(
            ["customer_id", "call_id"],
            ["calls.customer_id", "calls.call_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("sequence >= 0", name="sequence"),
        CheckConstraint("role IN ('caller', 'agent', 'system')", name="role"),
        Index("ix_call_transcript_turns_customer_id_user_id", "customer_id", "user_id"),
        Index("ix_call_transcript_turns_created_at", "created_at"),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger, _customer_fk())
    call_id: Mapped[str] = mapped_column(Text)
    sequence: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    spoken_at: Mapped[dt.datetime] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


class TenantSetting(Base):
    """One named setting of a tenant (greetings, voice, transfer rules, prompt blocks...)."""

    __tablename__ = "tenant_settings"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "name"),
        CheckConstraint("name ~ '^[a-z][a-z0-9_]{0,63}$'", name="name"),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger, _customer_fk())
    name: Mapped[str] = mapped_column(Text)
    value: Mapped[Any] = mapped_column(JSONB)
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


class AuditLog(Base):
    """Who exported or erased what, when, how many rows; never content.

    No foreign key to customers: the record outlives the data it describes.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "id"),
        CheckConstraint(
            "action IN ('export_user_data', 'delete_user_data', 'export_customer_data', "
            "'delete_customer_data', 'restore_customer_data')",
            name="action",
        ),
        Index(
            "ix_audit_log_customer_id_created_at",
            "customer_id",
            text("created_at DESC"),
            text("id DESC"),
        ),
        Index("ix_audit_log_created_at", text("created_at DESC"), text("id DESC")),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger)
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    action: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text, server_default="")
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


class FollowUp(Base):
    """A promise made during a call, by the agent or the caller: open until done
    or cancelled. (call_id, ordinal) identifies it, so a retried ProcessCall
    stores it once; `due_order` is `due_at` with undated ones last ('infinity'),
    so that "open, due first" is one index order."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "id"),
        UniqueConstraint("customer_id", "call_id", "ordinal"),
        ForeignKeyConstraint(
            ["customer_id", "call_id"],
            ["call_summaries.customer_id", "call_summaries.call_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("party IN ('agent', 'caller')", name="party"),
        CheckConstraint("status IN ('open', 'done', 'cancelled')", name="status"),
        CheckConstraint("ordinal >= 0", name="ordinal"),
        CheckConstraint("(status = 'open') = (resolved_at IS NULL)", name="resolved_when_closed"),
        Index(
            "ix_follow_ups_customer_id_user_id_status_due_order",
            "customer_id",
            "user_id",
            "status",
            "due_order",
            "created_at",
            "call_id",
            "ordinal",
        ),
        Index(
            "ix_follow_ups_customer_id_status_due_order",
            "customer_id",
            "status",
            "due_order",
            "created_at",
            "call_id",
            "ordinal",
        ),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger, _customer_fk())
    id: Mapped[uuid.UUID] = mapped_column(UUID, server_default=text("gen_random_uuid()"))
    user_id: Mapped[str] = mapped_column(Text)
    call_id: Mapped[str] = mapped_column(Text)
    ordinal: Mapped[int] = mapped_column(Integer)
    party: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    due_phrase: Mapped[str] = mapped_column(Text, server_default="")
    due_at: Mapped[dt.datetime | None] = mapped_column()
    # The call's start: what the due phrase was resolved against.
    promised_at: Mapped[dt.datetime] = mapped_column()
    due_order: Mapped[dt.datetime] = mapped_column(
        Computed("coalesce(due_at, 'infinity'::timestamptz)", persisted=True)
    )
    status: Mapped[str] = mapped_column(Text, server_default="open")
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    resolved_at: Mapped[dt.datetime | None] = mapped_column()


class ConsoleUser(Base):
    """A person who logs in to alice-console (migration 0008): an operator (no
    customer) or a tenant admin (one customer). The hash is argon2id, opaque here.

    Not a tenant table: operators belong to no customer. Row-level security is
    enabled (not forced, like customers): the platform role manages every row,
    a tenant-bound transaction reaches its customer's admins (export, erasure)."""

    __tablename__ = "console_users"
    __table_args__ = (
        UniqueConstraint("login"),
        CheckConstraint(r"login ~ '^[a-z0-9][a-z0-9._@-]{1,62}$'", name="login"),
        CheckConstraint(
            r"password_hash ~ '^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+"
            r"\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$'",
            name="password_hash",
        ),
        CheckConstraint(
            "(role = 'operator' AND customer_id IS NULL) OR "
            "(role = 'tenant_admin' AND customer_id IS NOT NULL)",
            name="role",
        ),
        Index("ix_console_users_customer_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    login: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(BigInteger, _customer_fk())
    disabled: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    last_login_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


class TenantUsage(Base):
    """RPCs served and failed per customer and hour (migration 0008), added up by
    every server process; the usage charts of alice-console read it."""

    __tablename__ = "tenant_usage"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "hour"),
        CheckConstraint("rpc_count >= 0 AND error_count >= 0", name="counts"),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger, _customer_fk())
    hour: Mapped[dt.datetime] = mapped_column()
    rpc_count: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    error_count: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
