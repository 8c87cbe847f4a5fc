"""Where the database and the signing secret come from.

* DATABASE_URL set: the service connects with it (the service role), the
  admin commands use ALICE_ADMIN_DATABASE_URL (the schema owner), and
  JWT_SECRET_KEY is required.
* DATABASE_URL unset (the embedded default): a PostgreSQL cluster in
  ALICE_DATA_DIR is started (or joined, if another Alice process runs it), the
  database `alice` is created and migrated, the service connects as the
  service role, and the signing secret is generated once and kept in
  ALICE_DATA_DIR/jwt_secret (mode 0600) unless JWT_SECRET_KEY is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import asyncpg

from alice_server.config import ConfigError, Settings
from alice_server.storage import migrate
from alice_server.storage.urls import libpq_url

if TYPE_CHECKING:
    from alice_server.embedded import EmbeddedPostgres

logger = logging.getLogger("alice.runtime")

EMBEDDED_DATABASE = "alice"


@dataclass
class Runtime:
    settings: Settings
    app_url: str | None
    admin_url: str | None
    embedded: EmbeddedPostgres | None = field(default=None, repr=False)
    # The platform role's URL (t-tenants): platform RPCs; None refuses them.
    platform_url: str | None = None

    def require_admin_url(self) -> str:
        if self.admin_url is None:
            raise ConfigError(
                "this command needs the schema owner's database URL: set "
                "ALICE_ADMIN_DATABASE_URL (or unset DATABASE_URL to use the embedded database)"
            )
        return self.admin_url

    def require_app_url(self) -> str:
        if self.app_url is None:
            raise ConfigError(
                "DATABASE_URL is required when ALICE_ADMIN_DATABASE_URL is set: the server "
                "connects as the service role, never as the schema owner"
            )
        return self.app_url

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def jwt_secret(settings: Settings) -> str:
    """The signing secret: JWT_SECRET_KEY, or the embedded data directory's own."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret
    if not settings.embedded:
        raise ConfigError(
            "JWT_SECRET_KEY is required when a database URL is set: set it to the secret shared "
            "with the voice agent, at least 32 bytes (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
        )
    from alice_server.secret import load_or_create_secret

    try:
        return load_or_create_secret(settings.data_dir)
    except (PermissionError, ValueError) as exc:
        raise ConfigError(str(exc)) from None


def open_runtime(settings: Settings) -> Runtime:
    """Blocking: starts (or joins) the embedded database when there is no DATABASE_URL."""
    if not settings.embedded:
        return Runtime(
            settings,
            settings.database_url,
            settings.admin_database_url,
            platform_url=settings.platform_database_url,
        )
    from alice_server.embedded import EmbeddedDatabaseUnavailable, EmbeddedPostgres

    try:
        cluster = EmbeddedPostgres.start(settings.data_dir)
    except EmbeddedDatabaseUnavailable as exc:
        raise ConfigError(str(exc)) from None
    try:
        asyncio.run(_create_database(cluster.url("postgres"), EMBEDDED_DATABASE))
        admin_url = cluster.url(EMBEDDED_DATABASE)
        migrate.upgrade(admin_url, settings.app_role)
        app_url = cluster.url(EMBEDDED_DATABASE, user=settings.app_role)
        platform_url = cluster.url(EMBEDDED_DATABASE, user=f"{settings.app_role}_platform")
    except BaseException:
        cluster.stop()
        raise
    logger.info("embedded PostgreSQL (%s) in %s", cluster.backend, settings.data_dir)
    return Runtime(settings, app_url, admin_url, cluster, platform_url=platform_url)


async def _create_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(libpq_url(server_url))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Another Alice process may create it first.
            with contextlib.suppress(asyncpg.exceptions.DuplicateDatabaseError):
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
