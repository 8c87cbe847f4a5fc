"""The alembic migrations build exactly the models' schema, and undo it."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from alice_server.storage import migrate
from alice_server.storage.models import Base
from alice_server.storage.urls import async_url, libpq_url, with_database


@pytest.fixture
async def empty_database(superuser_url):
    name = f"alice_mig_{uuid.uuid4().hex[:10]}"
    role = f"alice_mig_app_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(libpq_url(superuser_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield libpq_url(with_database(superuser_url, name)), role
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}_platform"')
        await admin.close()


async def _schema(url: str) -> dict[str, object]:
    connection = await asyncpg.connect(url)
    try:
        tables = await connection.fetch(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY relname"
        )
        policies = await connection.fetchval("SELECT count(*) FROM pg_policies")
        functions = await connection.fetchval(
            "SELECT count(*) FROM pg_proc WHERE proname IN "
            "('alice_current_customer_id', 'alice_call_start_context')"
        )
        return {"tables": [tuple(t) for t in tables], "policies": policies, "functions": functions}
    finally:
        await connection.close()


async def _role_exists(url: str, role: str) -> bool:
    connection = await asyncpg.connect(url)
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role))
    finally:
        await connection.close()


async def test_upgrade_on_empty_database_and_downgrade_to_base(empty_database):
    url, role = empty_database
    await asyncio.to_thread(migrate.upgrade, url, role)
    schema = await _schema(url)
    assert [t[0] for t in schema["tables"]] == [  # type: ignore[index]
        "alembic_version",
        "audit_log",
        "call_summaries",
        "call_transcript_turns",
        "caller_profiles",
        "calls",
        "console_users",
        "customers",
        "follow_ups",
        "memories",
        "memory_history",
        "personality_averages",
        "personality_metrics",
        "tenant_settings",
        "tenant_usage",
    ]
    # 0002: 6; 0005: tenant_settings 1, audit_log 4 (tenant read/append, platform
    # read/append), customers 1 (platform_manage); 0006: calls 1,
    # call_transcript_turns 1; 0004: memory_history 1; 0007: follow_ups 1;
    # 0008: console_users 2 (tenant_isolation, platform_manage), tenant_usage 1.
    assert schema["policies"] == 19 and schema["functions"] == 2
    assert await _role_exists(url, role)
    assert await _role_exists(url, f"{role}_platform")

    await asyncio.to_thread(migrate.downgrade, url, role, "base")
    assert await _schema(url) == {
        "tables": [("alembic_version", False, False)],
        "policies": 0,
        "functions": 0,
    }
    assert not await _role_exists(url, role)
    assert not await _role_exists(url, f"{role}_platform")

    # And up again: the migrations are repeatable.
    await asyncio.to_thread(migrate.upgrade, url, role)
    assert (await _schema(url))["policies"] == 19


async def test_models_and_migrations_agree(empty_database):
    url, role = empty_database
    await asyncio.to_thread(migrate.upgrade, url, role)
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"compare_type": True, "compare_server_default": True}
                    ),
                    Base.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert differences == []


def test_head_revision_is_what_the_server_requires():
    assert migrate.head_revision() == "0011"


async def test_call_tables_are_readable_and_erasable_by_the_platform_role(empty_database):
    """0006 and 0007 grant the platform role (migration 0005) what a caller's
    export and erasure need on calls, call_transcript_turns and follow_ups: SELECT
    and DELETE."""
    url, role = empty_database
    platform = f"{role}_platform"
    connection = await asyncpg.connect(url)
    try:
        grants = "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = $1"
        await asyncio.to_thread(migrate.upgrade, url, role, "0005")  # creates the role
        before = await connection.fetchval(grants, platform)
        await asyncio.to_thread(migrate.upgrade, url, role)
        for table in ("calls", "call_transcript_turns", "follow_ups"):
            for privilege, expected in (("SELECT", True), ("DELETE", True), ("INSERT", False)):
                granted = await connection.fetchval(
                    "SELECT has_table_privilege($1, $2, $3)", platform, table, privilege
                )
                assert granted is expected, (table, privilege)
            forced = await connection.fetchval(
                "SELECT relforcerowsecurity FROM pg_class WHERE relname = $1", table
            )
            assert forced
        await asyncio.to_thread(migrate.downgrade, url, role, "0005")
        assert await connection.fetchval(grants, platform) == before
    finally:
        await asyncio.to_thread(migrate.downgrade, url, role, "base")
        await connection.close()
