"""The one declared list of tables that hold a tenant's data.

Privacy export and erasure (PrivacyService, `alice-admin backup/restore/
erase-customer`) read this list and nothing else: a table that is not here is
neither exported nor erased. A branch that adds a table holding caller data
(memory history, call transcripts...) appends one `DataTable` here, in the
place its foreign keys require, and grants the platform role SELECT and
DELETE on it in its migration (see docs/privacy.md). tests/test_privacy.py
checks that every table with a customer_id column is listed.

Order: parents before children. Restores insert in this order; erasures
delete in the reverse order, so that a foreign key cascade never erases rows
before they are counted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DataTable:
    """A tenant table: `customer_id` column, row-level security on it."""

    name: str
    # Deterministic export order (columns of the primary key after customer_id).
    order_by: str
    # The column naming the caller; None for tenant-wide tables (settings).
    caller_column: str | None = "user_id"
    # Whether the service role reads and writes it (under row-level security);
    # the console's tables are the platform role's only.
    service_role: bool = True


TENANT_DATA_TABLES: tuple[DataTable, ...] = (
    DataTable("tenant_settings", "name", caller_column=None),
    # Migration 0008: the customer's console admins (erased with it; a restore
    # brings them back) and its RPC counts per hour.
    DataTable("console_users", "id", caller_column=None, service_role=False),
    DataTable("tenant_usage", "hour", caller_column=None, service_role=False),
    DataTable("caller_profiles", "user_id"),
    DataTable("personality_averages", "user_id"),
    DataTable("call_summaries", "id"),
    DataTable("personality_metrics", "id"),
    # After the call summaries its rows refer to (erased before them).
    DataTable("follow_ups", "call_id, ordinal"),
    DataTable("calls", "call_id"),
    DataTable("call_transcript_turns", "call_id, sequence"),
    # Erasure deletes in reverse order: memories first (each deletion records
    # history), then their history.
    DataTable("memory_history", "id"),
    DataTable("memories", "id"),
)

# Kept when a customer is erased (it describes the erasure); never exported.
AUDIT_TABLE = "audit_log"


def caller_tables() -> tuple[DataTable, ...]:
    """The tables holding rows of individual callers (ExportUserData, DeleteUserData)."""
    return tuple(t for t in TENANT_DATA_TABLES if t.caller_column is not None)


def by_name(name: str) -> DataTable | None:
    return next((t for t in TENANT_DATA_TABLES if t.name == name), None)
