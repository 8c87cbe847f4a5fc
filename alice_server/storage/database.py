"""The service's connection pool and the tenant-bound transaction.

Every query of a tenant runs inside `Database.tenant_session(customer_id)`: a
transaction whose first statement is
`set_config('alice.customer_id', <id>, true)`. The setting is
transaction-local, so it can never leak to the next user of a pooled
connection (or through pgbouncer in transaction mode), and row-level security
in PostgreSQL checks every row against it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from alice_server.storage.migrate import current_revision, head_revision
from alice_server.storage.models import TENANT_TABLES
from alice_server.storage.urls import async_url, redacted

TENANT_SETTING = "alice.customer_id"


class UnsafeDatabaseRole(RuntimeError):
    """The service would connect as a role that row-level security does not bind."""


class SchemaOutOfDate(RuntimeError):
    """The database is not migrated to the revision this code needs."""


@dataclass(frozen=True, slots=True)
class PoolOptions:
    size: int = 10
    statement_timeout_ms: int = 5000


class Database:
    """One AsyncEngine for the process; sessions per unit of work."""

    def __init__(self, url: str | URL, options: PoolOptions | None = None) -> None:
        options = options or PoolOptions()
        self.url = async_url(url)
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=options.size,
            max_overflow=options.size,
            pool_timeout=5,
            # Connections are recycled before server-side idle timeouts bite.
            pool_recycle=1800,
            connect_args={
                "server_settings": {
                    "application_name": "alice-server",
                    "statement_timeout": str(options.statement_timeout_ms),
                    "idle_in_transaction_session_timeout": "60000",
                },
                "timeout": 5,
            },
        )
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def tenant_session(self, customer_id: int) -> AsyncIterator[AsyncSession]:
        """A session in one transaction bound to `customer_id`; commits on success."""
        async with self._sessions() as session, session.begin():
            await session.execute(select(func.set_config(TENANT_SETTING, str(customer_id), True)))
            yield session

    async def verify(self) -> None:
        """Refuse to serve through a role that bypasses RLS, or on an old schema."""
        async with self.engine.connect() as connection:
            role = (
                await connection.execute(
                    text(
                        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles "
                        "WHERE rolname = current_user"
                    )
                )
            ).one()
            owned = (
                await connection.execute(
                    text(
                        "SELECT array_agg(relname::text ORDER BY relname) FROM pg_class "
                        "WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) "
                        "AND relname = ANY(:tables)"
                    ),
                    {"tables": [*list(TENANT_TABLES), "customers"]},
                )
            ).scalar_one()
            revision = await current_revision(connection)
        problem = None
        if role.rolsuper:
            problem = "is a superuser"
        elif role.rolbypassrls:
            problem = "has BYPASSRLS"
        elif owned:
            problem = f"owns {', '.join(owned)}"
        if problem:
            raise UnsafeDatabaseRole(
                f"DATABASE_URL connects as {role.rolname!r}, which {problem}: row-level "
                "security would not protect tenants. Connect as the service role the "
                "migrations create (ALICE_DB_APP_ROLE, default alice_app) and run migrations "
                "as the owner with `alice-admin migrate` (ALICE_ADMIN_DATABASE_URL)."
            )
        head = head_revision()
        if revision != head:
            raise SchemaOutOfDate(
                f"the database {redacted(self.url)} is at schema revision {revision or 'none'}, "
                f"this server needs {head}: run `alice-admin migrate` first"
            )

    async def ping(self) -> str | None:
        """One round trip for the health monitor: the schema revision (None: unmigrated)."""
        async with self.engine.connect() as connection:
            return await current_revision(connection)

    def pool_stats(self) -> tuple[int, int, int]:
        """(open, in use, waiting) connections of the pool, for the metrics."""
        pool = self.engine.pool
        checked_out = int(getattr(pool, "checkedout", lambda: 0)())
        open_now = checked_out + int(getattr(pool, "checkedin", lambda: 0)())
        return open_now, checked_out, 0

    async def close(self) -> None:
        await self.engine.dispose()
