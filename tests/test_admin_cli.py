"""alice-admin against a configured PostgreSQL (ALICE_ADMIN_DATABASE_URL)."""

from __future__ import annotations

import json
import uuid

import asyncpg
import grpc
import jwt
import pytest

from alice_server.storage import migrate
from alice_server.storage.urls import libpq_url, with_database
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import memory_service_pb2 as mem
from tests.helpers import status_of, struct
from tests.support.database import as_tenant
from tests.support.processes import admin, clean_env, installed_script, run_command


async def test_customers_lifecycle(database, contexts, secret):
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url}
    code, out, err = await admin(
        "create-customer",
        "--name",
        "Harbor Mutual",
        "--agent-name",
        "Ava",
        "--phone",
        "(555) 014-2000",
        **owner,
    )
    assert code == 0, err
    created = json.loads(out)
    assert created["business_name"] == "Harbor Mutual"
    assert created["twilio_phone_number"] == "+15550142000"  # normalised
    assert created["status"] == "active"
    customer_id = created["id"]

    code, out, _ = await admin("list-customers", **owner)
    listed = [json.loads(line) for line in out.splitlines()]
    assert customer_id in [c["id"] for c in listed]

    code, _, err = await admin(
        "create-customer", "--name", "Other", "--phone", "555-014-2000", **owner
    )
    assert code == 2 and "refused by the database" in err  # the number is taken

    code, token, err = await admin(
        "mint-token",
        "--customer-id",
        str(customer_id),
        "--scope",
        "memory:read",
        JWT_SECRET_KEY=secret,
        **owner,
    )
    assert code == 0, err
    claims = jwt.decode(token.strip(), secret, algorithms=["HS256"])
    assert claims["customer_id"] == customer_id and claims["scope"] == "memory:read"
    assert claims["exp"] - claims["iat"] == 3600
    metadata = (("authorization", f"Bearer {token.strip()}"),)
    request = ctx.GetEnrichedContextRequest(user_id="+15550000000")
    await contexts.GetEnrichedContext(request, metadata=metadata)

    code, out, _ = await admin("suspend-customer", str(customer_id), **owner)
    assert code == 0 and json.loads(out)["status"] == "suspended"
    status, details = await status_of(contexts.GetEnrichedContext(request, metadata=metadata))
    assert status == grpc.StatusCode.PERMISSION_DENIED and "suspended" in details
    code, out, _ = await admin("activate-customer", str(customer_id), **owner)
    assert json.loads(out)["status"] == "active"
    await contexts.GetEnrichedContext(request, metadata=metadata)

    code, _, err = await admin("suspend-customer", "999999999", **owner)
    assert code == 2 and "does not exist" in err


async def test_explicit_ids_keep_the_sequence_ahead(database):
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url}
    explicit = 500_000 + uuid.uuid4().int % 100_000
    code, out, err = await admin(
        "create-customer", "--name", "Imported", "--id", str(explicit), **owner
    )
    assert code == 0, err
    assert json.loads(out)["id"] == explicit
    code, out, err = await admin("create-customer", "--name", "Next", **owner)
    assert code == 0, err
    assert json.loads(out)["id"] > explicit


async def test_purge_expired(database, memories, peterson, caller_phone):
    md = peterson.metadata()
    for key in ("old", "fresh"):
        await memories.StoreMemory(
            mem.StoreMemoryRequest(user_id=caller_phone, type="fact", key=key, value=struct(v=key)),
            metadata=md,
        )
    async with as_tenant(database.owner_url, peterson.id) as owner:
        await owner.execute(
            "UPDATE memories SET expires_at = now() - interval '1 day' WHERE key = 'old'"
        )
    code, out, err = await admin("purge-expired", ALICE_ADMIN_DATABASE_URL=database.owner_url)
    assert code == 0, err
    assert int(out.split()[1]) >= 1
    async with as_tenant(database.owner_url, peterson.id) as owner:
        keys = await owner.fetch(
            "SELECT key FROM memories WHERE user_id = $1 ORDER BY key", caller_phone
        )
    assert [r["key"] for r in keys] == ["fresh"]


@pytest.fixture
async def fresh_database(superuser_url):
    name = f"alice_cli_{uuid.uuid4().hex[:10]}"
    role = f"alice_cli_app_{uuid.uuid4().hex[:8]}"
    server = await asyncpg.connect(libpq_url(superuser_url))
    await server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield libpq_url(with_database(superuser_url, name)), role
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.execute(f'DROP ROLE IF EXISTS "{role}"')
        await server.execute(f'DROP ROLE IF EXISTS "{role}_platform"')
        await server.close()


async def test_migrate_and_downgrade(fresh_database):
    url, role = fresh_database
    env = {"ALICE_ADMIN_DATABASE_URL": url, "ALICE_DB_APP_ROLE": role}
    code, _, err = await admin("migrate", **env)
    assert code == 0, err
    connection = await asyncpg.connect(url)
    try:
        assert await connection.fetchval("SELECT version_num FROM alembic_version") == (
            migrate.head_revision()
        )
        code, _, err = await admin("downgrade", "0001", **env)
        assert code == 0, err
        assert await connection.fetchval("SELECT count(*) FROM pg_policies") == 0
        code, _, err = await admin("downgrade", "base", "--yes", **env)
        assert code == 0, err
        assert await connection.fetchval("SELECT to_regclass('memories')") is None
    finally:
        await connection.close()


async def test_admin_needs_the_owner_url_when_a_database_is_configured(database):
    code, _, err = await admin("list-customers", DATABASE_URL=database.app_url)
    assert code == 2 and "ALICE_ADMIN_DATABASE_URL" in err
    code, _, err = await admin("mint-token", "--customer-id", "1", DATABASE_URL=database.app_url)
    assert code == 2 and "JWT_SECRET_KEY is required" in err
    # The server never runs as the owner, even when only the owner's URL is given.
    code, _, err = await run_command(
        installed_script("alice-server"),
        env=clean_env(ALICE_ADMIN_DATABASE_URL=database.owner_url, JWT_SECRET_KEY="s" * 40),
    )
    assert code == 2 and "DATABASE_URL is required" in err
