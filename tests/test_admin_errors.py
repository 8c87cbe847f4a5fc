"""alice-admin and alice-server fail with one line, never a traceback, on the
failures an operator can expect; `downgrade base` asks first; mint-token and
create-customer check what they are given."""

from __future__ import annotations

import json
import socket
import uuid

import asyncpg
import pytest

from alice_server import __version__
from alice_server.storage.urls import libpq_url, with_database, with_user
from tests.support.processes import admin, clean_env, installed_script, one_line, run_command


async def test_both_commands_print_their_version():
    for name in ("alice-server", "alice-admin"):
        code, out, _ = await run_command(installed_script(name), "--version", env=clean_env())
        assert code == 0
        assert out.strip() == f"{name} {__version__}"


@pytest.fixture
async def owner_without_createrole(superuser_url):
    """A database owned by a role that may not create roles (a managed database's usual owner)."""
    suffix = uuid.uuid4().hex[:8]
    name, owner, app = f"alice_priv_{suffix}", f"alice_owner_{suffix}", f"alice_priv_app_{suffix}"
    server = await asyncpg.connect(libpq_url(superuser_url))
    await server.execute(f"CREATE ROLE {owner} LOGIN PASSWORD 'owner-pw' NOCREATEROLE")
    await server.execute(f'CREATE DATABASE "{name}" OWNER {owner}')
    url = with_user(with_database(superuser_url, name), owner, "owner-pw")
    try:
        yield libpq_url(url), app, server
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.execute(f"DROP ROLE IF EXISTS {app}_platform")
        await server.execute(f"DROP ROLE IF EXISTS {app}")
        await server.execute(f"DROP ROLE IF EXISTS {owner}")
        await server.close()


async def test_migrate_without_createrole_says_so_then_works_with_the_role_created(
    owner_without_createrole,
):
    url, app, server = owner_without_createrole
    env = {"ALICE_ADMIN_DATABASE_URL": url, "ALICE_DB_APP_ROLE": app}
    code, _, err = await admin("migrate", **env)
    assert code == 1
    line = one_line(err)
    assert "permission denied to create role" in line
    assert "CREATEROLE" in line and app in line and f"{app}_platform" in line
    # An administrator creates the two roles once; the owner can then migrate.
    await server.execute(f"CREATE ROLE {app} LOGIN")
    await server.execute(f"CREATE ROLE {app}_platform LOGIN")
    code, out, err = await admin("migrate", **env)
    assert code == 0, err
    assert out.strip() == "schema at head"


async def test_expected_failures_are_one_line(database, superuser_url):
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url}
    code, _, err = await admin("migrate", "--revision", "9999", **owner)
    assert code == 1 and "migration failed" in one_line(err) and "9999" in err

    unreachable = {"ALICE_ADMIN_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/alice"}
    code, _, err = await admin("list-customers", **unreachable)
    assert code != 0 and "cannot reach the database" in one_line(err)

    missing = libpq_url(with_database(superuser_url, f"alice_missing_{uuid.uuid4().hex[:8]}"))
    code, _, err = await admin("migrate", ALICE_ADMIN_DATABASE_URL=missing)
    assert code == 1 and "create the database first" in one_line(err)

    empty = f"alice_empty_{uuid.uuid4().hex[:8]}"
    server = await asyncpg.connect(libpq_url(superuser_url))
    try:
        await server.execute(f'CREATE DATABASE "{empty}"')
        unmigrated = libpq_url(with_database(superuser_url, empty))
        code, _, err = await admin("list-customers", ALICE_ADMIN_DATABASE_URL=unmigrated)
        assert code == 1 and "run `alice-admin migrate` first" in one_line(err)
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)')
        await server.close()

    phone = f"+1555{uuid.uuid4().int % 10**7:07d}"
    code, _, err = await admin("create-customer", "--name", "A", "--phone", phone, **owner)
    assert code == 0, err
    code, _, err = await admin("create-customer", "--name", "B", "--phone", phone, **owner)
    assert code == 2 and "refused by the database" in one_line(err)


async def test_server_says_in_one_line_that_its_port_is_taken(database, secret):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = await run_command(
            installed_script("alice-server"),
            "--listen",
            f"127.0.0.1:{port}",
            env=clean_env(DATABASE_URL=database.app_url, JWT_SECRET_KEY=secret),
        )
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "Traceback" not in err


async def test_downgrade_base_asks_first(database):
    # stdin is not a terminal here: without --yes nothing happens.
    code, _, err = await admin("downgrade", "base", ALICE_ADMIN_DATABASE_URL=database.owner_url)
    assert code == 2 and "--yes" in one_line(err)
    connection = await asyncpg.connect(database.owner_url)
    try:
        assert await connection.fetchval("SELECT to_regclass('memories')") is not None
    finally:
        await connection.close()


async def test_mint_token_refuses_a_customer_that_does_not_exist(database, secret, peterson):
    env = {"ALICE_ADMIN_DATABASE_URL": database.owner_url, "JWT_SECRET_KEY": secret}
    code, out, err = await admin("mint-token", "--customer-id", "987654321", **env)
    assert code == 2 and out == ""
    assert "customer 987654321 does not exist" in one_line(err)
    # Through the service role alone (DATABASE_URL), too.
    code, out, err = await admin(
        "mint-token",
        "--customer-id",
        str(peterson.id),
        DATABASE_URL=database.app_url,
        JWT_SECRET_KEY=secret,
    )
    assert code == 0, err
    assert out.count(".") == 2  # a JWT


async def test_create_customer_validates_and_normalises_the_phone(database):
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url}
    for bad in ("not-a-number", "12", "+1 555 CALL NOW"):
        code, _, err = await admin("create-customer", "--name", "X", "--phone", bad, **owner)
        assert code == 2 and "--phone must be a telephone number" in one_line(err), bad
    national = f"(555) {uuid.uuid4().int % 900 + 100}-{uuid.uuid4().int % 9000 + 1000}"
    code, out, err = await admin("create-customer", "--name", "X", "--phone", national, **owner)
    assert code == 0, err
    digits = "".join(c for c in national if c.isdigit())
    assert json.loads(out)["twilio_phone_number"] == f"+1{digits}"
    code, out, err = await admin(
        "create-customer",
        "--name",
        "Y",
        "--phone",
        f"+44 20 7946 {uuid.uuid4().int % 9000 + 1000}",
        ALICE_DEFAULT_REGION="US",
        **owner,
    )
    assert code == 0, err
    assert json.loads(out)["twilio_phone_number"].startswith("+44207946")
