"""Helpers for tests: a throw-away migrated database and the real server in-process.

    async with temporary_database(superuser_url) as db:
        async with running_server(db.app_url, secret) as alice:
            channel = grpc.aio.insecure_channel(alice.address)

The server is the production one (same RPC guard, servicers, database
role), listening on a free port of 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from alice_server.auth import mint_token
from alice_server.config import Settings
from alice_server.domain.summarizer import Summarizer
from alice_server.read_your_writes import attach_read_replica
from alice_server.server import AliceServer, start_server
from alice_server.storage import migrate
from alice_server.storage.database import Database
from alice_server.storage.urls import libpq_url, with_database, with_user


@dataclass(frozen=True)
class TestDatabase:
    """A migrated database of its own, with a service role of its own."""

    __test__ = False  # not a pytest test class

    owner_url: str  # the superuser, on this database
    app_url: str  # the service role (owns nothing, no BYPASSRLS)
    app_role: str
    platform_url: str = ""  # the platform role (<app_role>_platform), for platform RPCs


@asynccontextmanager
async def temporary_database(superuser_url: str) -> AsyncIterator[TestDatabase]:
    """Create, migrate and finally drop a database and its service role."""
    suffix = uuid.uuid4().hex[:10]
    name, role = f"alice_test_{suffix}", f"alice_test_app_{suffix}"
    password = secrets.token_urlsafe(18)
    admin = await asyncpg.connect(libpq_url(superuser_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        owner_url = with_database(superuser_url, name)
        try:
            await asyncio.to_thread(migrate.upgrade, owner_url, role)
            statement = await admin.fetchval(
                "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)",
                role,
                password,
            )
            await admin.execute(statement)
            statement = await admin.fetchval(
                "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)",
                f"{role}_platform",
                password,
            )
            await admin.execute(statement)
            yield TestDatabase(
                owner_url=libpq_url(owner_url),
                app_url=libpq_url(with_user(owner_url, role, password)),
                app_role=role,
                platform_url=libpq_url(with_user(owner_url, f"{role}_platform", password)),
            )
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
            await admin.execute(f'DROP ROLE IF EXISTS "{role}_platform"')
    finally:
        await admin.close()


@dataclass
class RunningServer:
    address: str
    server: AliceServer
    database: Database
    secret: str

    def token(self, customer_id: int, **kwargs: Any) -> str:
        return mint_token(self.secret, customer_id, **kwargs)


def settings_for_tests(**overrides: Any) -> Settings:
    """Production defaults, a free port, and whatever the test overrides.

    Of the environment only ALICE_DB_STATEMENT_CACHE_SIZE counts (0 when the
    tests run through pgbouncer 1.18 in transaction mode)."""
    settings = Settings.from_env(
        {k: v for k, v in os.environ.items() if k == "ALICE_DB_STATEMENT_CACHE_SIZE"}
    )
    return dataclasses.replace(settings, listen_address="127.0.0.1:0", **overrides)


@asynccontextmanager
async def running_server(
    app_url: str,
    secret: str,
    *,
    summarizer: Summarizer | None = None,
    pool_size: int = 5,
    pool_overrides: dict[str, Any] | None = None,
    **setting_overrides: Any,
) -> AsyncIterator[RunningServer]:
    """`pool_overrides`: PoolOptions fields the settings do not reach (e.g. the
    acquire timeout)."""
    settings = settings_for_tests(database_url=app_url, jwt_secret=secret, **setting_overrides)
    database = Database.from_settings(app_url, settings, size=pool_size, **(pool_overrides or {}))
    platform = None
    if settings.platform_database_url:
        platform = Database.from_settings(settings.platform_database_url, settings, size=2)
    try:
        await database.verify()
        if platform is not None:
            await platform.verify()
        await attach_read_replica(settings, database)  # ALICE_READ_DATABASE_URL
        server = await start_server(
            settings, database, secret, summarizer=summarizer, platform_database=platform
        )
        try:
            yield RunningServer(f"127.0.0.1:{server.port}", server, database, secret)
        finally:
            await server.stop(0)
    finally:
        await database.close()
        if platform is not None:
            await platform.close()
