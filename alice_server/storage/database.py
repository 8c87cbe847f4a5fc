"""The service's connection pool and its units of work (asyncpg; no ORM at run time).

    db = Database.from_settings(url, settings)     # the one pool factory
    async with db.tenant(customer_id) as uow:      # one transaction of one tenant
        memory, created = await uow.memories.upsert(item)
    async with db.admin() as uow:                  # one transaction, no tenant (CLI)
        await uow.customers.create(...)
    async with db.statement(customer_id) as unit:  # one round trip (the call start)
        data = await unit.context.call_start(...)
    rows = await db.read(customer_id, lambda uow: uow.memories.list_page(...))
                                                   # a read the read replica may serve

`tenant()` takes a connection from the pool (and a slot of the tenant's share of
it, see `TenantSlots`), then sends, in ONE round trip (the simple query protocol
allows several statements in one message; the values are integers formatted by
this module, never text from a request):

    BEGIN;
    SELECT set_config('alice.customer_id', '<id>', true),
           set_config('statement_timeout', '<ms>', true),
           set_config('idle_in_transaction_session_timeout', '<ms>', true)

Everything is transaction-local (`true`): nothing can leak to the next user of a
pooled connection, or through pgbouncer in transaction mode, and no startup
parameter is sent (pgbouncer refuses unknown ones). Row-level security checks
every row against `alice.customer_id`. The block's statements run through the
repositories of the unit of work (`uow.memories`, `uow.calls`, `uow.callers`,
`uow.customers`); leaving the block commits, an exception (or a cancelled task)
rolls back. Driver exceptions leave the block as domain errors
(`alice_server.storage.errors`).

Settings (`PoolOptions`, from ALICE_DB_*): `size` connections (and as many again
under load), `statement_timeout_ms`, `statement_cache_size` (asyncpg's prepared
statement cache per connection; 0 behind pgbouncer older than 1.21 in
transaction mode), `max_tenant_share` (the fraction of the pool one tenant may
hold at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import asyncpg

from alice_server.config import Settings
from alice_server.domain import errors
from alice_server.storage import positions
from alice_server.storage.errors import (
    BUSY_MESSAGE,
    TENANT_BUSY_MESSAGE,
    TENANT_BUSY_RETRY_SECONDS,
    UNAVAILABLE_MESSAGE,
    statement_timeout_message,
    translated,
)
from alice_server.storage.migrate import head_revision
from alice_server.storage.repositories.schema import schema_revision
from alice_server.storage.unit_of_work import (
    AdminUnitOfWork,
    StatementUnit,
    TenantUnitOfWork,
    set_tenant_sql,
)
from alice_server.storage.urls import libpq_url, redacted

IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000
# How often a read replica's replay position (and the primary's) is read.
REPLICA_REFRESH_SECONDS = 0.05

logger = logging.getLogger("alice.storage")
# What a read on the standby may fail with that the primary may not: it stopped or
# broke the connection (asyncpg's client-side errors included), or recovery
# cancelled the query (a conflict: Aborted).
_STANDBY_FAILURES = (
    errors.Unavailable,
    errors.Aborted,
    asyncpg.exceptions.InternalClientError,
    asyncpg.InterfaceError,
)
T = TypeVar("T")
U = TypeVar("U")


class UnsafeDatabaseRole(RuntimeError):
    """The service would connect as a role that row-level security does not bind."""


class SchemaOutOfDate(RuntimeError):
    """The database is not migrated to the revision this code needs."""


@dataclass(frozen=True, slots=True)
class PoolOptions:
    size: int = 10
    statement_timeout_ms: int = 5000
    # asyncpg's per-connection cache of prepared statements (ALICE_DB_STATEMENT_CACHE_SIZE).
    # With it, a repeated statement costs one round trip instead of two.
    statement_cache_size: int = 100
    # The share of the pool's connections one tenant may hold at once
    # (ALICE_DB_MAX_TENANT_SHARE); at least one connection.
    max_tenant_share: float = 0.5
    acquire_timeout_seconds: float = 5.0
    connect_timeout_seconds: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> PoolOptions:
        """The server's pool, from its ALICE_DB_* settings."""
        values: dict[str, Any] = {
            "size": settings.db_pool_size,
            "statement_timeout_ms": settings.db_statement_timeout_ms,
            "statement_cache_size": settings.db_statement_cache_size,
            "max_tenant_share": settings.db_max_tenant_share,
        }
        return cls(**(values | overrides))

    @property
    def max_connections(self) -> int:
        return self.size * 2

    @property
    def per_tenant(self) -> int:
        return max(1, math.floor(self.max_connections * self.max_tenant_share))


class TenantSlots:
    """At most `limit` connections per tenant at once: one tenant cannot fill the pool.

    A semaphore per tenant that currently holds or waits for a connection (the
    entry disappears when nobody does, so the map stays small).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots: dict[int, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def slot(self, customer_id: int, wait_seconds: float) -> AsyncIterator[None]:
        entry = self._slots.get(customer_id)
        if entry is None:
            entry = self._slots[customer_id] = (asyncio.Semaphore(self.limit), [0])
        semaphore, users = entry
        users[0] += 1
        try:
            try:
                async with asyncio.timeout(wait_seconds):
                    await semaphore.acquire()
            except TimeoutError:
                raise errors.TenantShareExhausted(
                    TENANT_BUSY_MESSAGE, retry_after=TENANT_BUSY_RETRY_SECONDS
                ) from None
            try:
                yield
            finally:
                semaphore.release()
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._slots[customer_id]

    def in_use(self, customer_id: int) -> int:
        entry = self._slots.get(customer_id)
        return 0 if entry is None else self.limit - entry[0]._value


async def _rollback_if_in_transaction(connection: asyncpg.Connection) -> None:
    """The pool's reset: only an abandoned transaction needs undoing (every setting
    Alice makes is transaction-local), so a released connection costs no round trip."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


async def _abandon(connection: asyncpg.Connection) -> None:
    """Roll back a unit of work that failed or was cancelled, before its connection
    goes back to the pool: asyncpg logs an ERROR ("Resetting connection with an
    active transaction") for a connection released inside a transaction. After a
    cancelled statement asyncpg waits for the server's cancellation first. A
    connection that cannot roll back is closed (the pool opens another)."""
    if connection.is_closed() or not connection.is_in_transaction():
        return
    try:
        await connection.execute("ROLLBACK")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError):
        connection.terminate()


class Database:
    """One asyncpg pool for the process; units of work on top of it.

    Every pool Alice opens (the tenant pool, the platform pool, the read pool,
    the supervisor's start-up check, the alice-admin commands) comes from
    `Database.from_settings`, so that all take the same ALICE_DB_* options: a
    pool with asyncpg's statement cache behind pgbouncer < 1.21 breaks the
    others (named statements left on shared server connections).
    """

    @classmethod
    def from_settings(cls, url: Any, settings: Settings, **overrides: Any) -> Database:
        """The one pool factory: `url`'s pool with the ALICE_DB_* options of
        `settings`, and `overrides` of PoolOptions fields (e.g. a small `size`)."""
        return cls(url, PoolOptions.from_settings(settings, **overrides))

    def __init__(self, url: Any, options: PoolOptions | None = None) -> None:
        self.options = options or PoolOptions()
        self.url = libpq_url(url)
        self.slots = TenantSlots(self.options.per_tenant)
        # ALICE_READ_DATABASE_URL: where `read()` may go instead (see ReadReplica).
        self.replica: ReadReplica | None = None
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()
        self.waiting = 0  # units of work waiting for a pooled connection (metrics)
        ms = int(self.options.statement_timeout_ms)
        self._timeout_message = statement_timeout_message(ms)
        self._timeouts = (
            f"set_config('statement_timeout', '{ms}', true), "
            f"set_config('idle_in_transaction_session_timeout', "
            f"'{IDLE_IN_TRANSACTION_TIMEOUT_MS}', true)"
        )

    async def pool(self) -> asyncpg.Pool:
        """The pool, created on first use (no connection is opened before it is needed)."""
        if self._pool is None:
            async with self._pool_lock:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self.url,
                        min_size=0,
                        max_size=self.options.max_connections,
                        statement_cache_size=self.options.statement_cache_size,
                        max_inactive_connection_lifetime=300.0,
                        timeout=self.options.connect_timeout_seconds,
                        reset=_rollback_if_in_transaction,
                        # No server_settings: pgbouncer refuses startup parameters it
                        # does not know. Timeouts are set inside each transaction.
                    )
        return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection (no transaction, no tenant): for storage code only."""
        with translated(self.options.statement_timeout_ms):
            pool = await self.pool()
            self.waiting += 1
            try:
                connection = await pool.acquire(timeout=self.options.acquire_timeout_seconds)
            except TimeoutError:
                # Every connection in use (busy), or connecting took too long (down).
                full = pool.get_size() >= pool.get_max_size() and pool.get_idle_size() == 0
                raise (
                    errors.ServerBusy(BUSY_MESSAGE)
                    if full
                    else errors.Unavailable(UNAVAILABLE_MESSAGE)
                ) from None
            finally:
                self.waiting -= 1
            try:
                yield connection
            finally:
                await pool.release(connection)

    @asynccontextmanager
    async def tenant(self, customer_id: int) -> AsyncIterator[TenantUnitOfWork]:
        """One transaction bound to `customer_id`; commits when the block succeeds."""
        async with self._tenant_transaction(customer_id) as connection:
            yield TenantUnitOfWork(connection, customer_id)

    @asynccontextmanager
    async def _reading(self, customer_id: int) -> AsyncIterator[TenantUnitOfWork]:
        """`tenant()` for `read()`: it writes nothing, so no commit position."""
        async with self._tenant_transaction(customer_id, writes=False) as connection:
            yield TenantUnitOfWork(connection, customer_id)

    @asynccontextmanager
    async def _tenant_transaction(
        self, customer_id: int, *, writes: bool = True
    ) -> AsyncIterator[asyncpg.Connection]:
        setup = f"BEGIN; SELECT {set_tenant_sql(customer_id)}, {self._timeouts}"
        async with (
            self.slots.slot(customer_id, self.options.acquire_timeout_seconds),
            self.connection() as connection,
        ):
            with translated(self.options.statement_timeout_ms):
                await connection.execute(setup)
                try:
                    yield connection
                    await connection.execute("COMMIT")
                except BaseException:
                    await _abandon(connection)
                    raise
                if writes and self.replica is not None:
                    await _record_commit(connection)

    @asynccontextmanager
    async def statement(self, customer_id: int) -> AsyncIterator[StatementUnit]:
        """One round trip for a statement that sets the tenant itself (`uow.context`).

        No BEGIN or COMMIT exchange: the statement runs in its own implicit
        transaction, and its transaction-local tenant setting ends with it. The
        statement timeout is the driver's (see storage.repositories.context).

        With the statement cache off (pgbouncer older than 1.21 in transaction
        mode) asyncpg parses and executes in two exchanges, which pgbouncer could
        route to two server connections: then it runs inside a tenant transaction.
        """
        ms = self.options.statement_timeout_ms
        timeout = ms / 1000 if ms > 0 else None
        if self.options.statement_cache_size == 0:
            async with self._tenant_transaction(customer_id, writes=False) as connection:
                yield StatementUnit(connection, customer_id, timeout, self._timeout_message)
            return
        async with (
            self.slots.slot(customer_id, self.options.acquire_timeout_seconds),
            self.connection() as connection,
        ):
            with translated(ms):
                yield StatementUnit(connection, customer_id, timeout, self._timeout_message)

    async def read(self, customer_id: int, work: Callable[[TenantUnitOfWork], Awaitable[T]]) -> T:
        """`work` in a tenant transaction that only reads: on the read replica when
        it has replayed what this RPC's client has seen (ReadReplica.use_standby),
        else on this database. A standby that fails under it is left for the
        primary, where `work` runs again (it only reads)."""
        return await self._read(lambda db: db._reading(customer_id), work)

    async def read_statement(
        self, customer_id: int, work: Callable[[StatementUnit], Awaitable[T]]
    ) -> T:
        """`work` in `statement()` (the call start), on the read replica like `read`."""
        return await self._read(lambda db: db.statement(customer_id), work)

    async def _read(
        self,
        unit: Callable[[Database], AbstractAsyncContextManager[U]],
        work: Callable[[U], Awaitable[T]],
    ) -> T:
        replica = self.replica
        if replica is not None and replica.use_standby():
            try:
                async with unit(replica.standby) as opened:
                    return await work(opened)
            except _STANDBY_FAILURES as exc:
                replica.failed(exc)
        async with unit(self) as opened:
            return await work(opened)

    @asynccontextmanager
    async def admin(self) -> AsyncIterator[AdminUnitOfWork]:
        """One transaction without a tenant: customers and other owner-level work.

        Meant for the schema owner's URL (alice-admin). Through the service role
        row-level security leaves such a transaction nothing of any tenant.
        """
        ms = int(self.options.statement_timeout_ms)
        async with self.connection() as connection:
            with translated(ms):
                await connection.execute(
                    f"BEGIN; SELECT set_config('statement_timeout', '{ms}', true)"
                )
                try:
                    yield AdminUnitOfWork(connection)
                    await connection.execute("COMMIT")
                except BaseException:
                    await _abandon(connection)
                    raise

    async def verify(self) -> None:
        """Refuse to serve through a role that bypasses RLS, or on an old schema."""
        async with self.connection() as connection:
            role = await connection.fetchrow(
                "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            # Any table, view or sequence of the database (temporary ones aside): the
            # owner of a table is not bound by its row-level security unless FORCEd.
            owned = await connection.fetchval(
                "SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) "
                "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
                "AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"
            )
            assert role is not None
            problem = None
            if role["rolsuper"]:
                problem = "is a superuser"
            elif role["rolbypassrls"]:
                problem = "has BYPASSRLS"
            elif owned:
                problem = f"owns {', '.join(owned)}"
            if problem:
                raise UnsafeDatabaseRole(
                    f"DATABASE_URL connects as {role['rolname']!r}, which {problem}: row-level "
                    "security would not protect tenants. Connect as the service role the "
                    "migrations create (ALICE_DB_APP_ROLE, default alice_app) and run migrations "
                    "as the owner with `alice-admin migrate` (ALICE_ADMIN_DATABASE_URL)."
                )
            revision = await schema_revision(connection)
        head = head_revision()
        if revision != head:
            raise SchemaOutOfDate(
                f"the database {redacted(self.url)} is at schema revision {revision or 'none'}, "
                f"this server needs {head}: run `alice-admin migrate` first"
            )

    async def ping(self) -> str | None:
        """One query for the health monitor: the schema revision (None: unmigrated)."""
        async with self.connection() as connection:
            return await schema_revision(connection)

    def pool_stats(self) -> tuple[int, int, int]:
        """(open, in use, waiting for one) connections of the pool, for the metrics."""
        pool = self._pool
        if pool is None:
            return 0, 0, self.waiting
        return pool.get_size(), pool.get_size() - pool.get_idle_size(), self.waiting

    async def close(self) -> None:
        if self.replica is not None:
            replica, self.replica = self.replica, None
            await replica.close()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


async def _record_commit(connection: asyncpg.Connection) -> None:
    """After a commit, with a read replica: the WAL position the commit is behind,
    for the RPC's `x-alice-lsn` trailer (storage/positions.py). The insert position
    is past the commit record even before it is flushed."""
    current = positions.current()
    if current is None:  # not an RPC (a background task): nobody reads it back
        return
    text = await connection.fetchval("SELECT pg_current_wal_insert_lsn()::text")
    current.committed = max(current.committed, positions.parse_lsn(text))


class ReadReplica:
    """A hot standby (ALICE_READ_DATABASE_URL) that `Database.read` may use.

    Every REPLICA_REFRESH_SECONDS a background task reads the standby's replay
    position (`pg_last_wal_replay_lsn()`) and the primary's insert position. A read
    goes to the standby when the standby has replayed
    * the position the client sent (`x-alice-lsn`: its newest write), or, without one,
    * the primary's position of the refresh before (bounded staleness: a client
      that never wrote sees at most about two refresh periods of lag).
    Else it reads the primary, counted by `on_fallback(reason)`: `lag`, or
    `unavailable` while the standby cannot be reached (a failed refresh or a
    failed read marks it so until a refresh succeeds again). Never an error.
    """

    def __init__(
        self,
        standby: Database,
        primary: Database,
        *,
        refresh_seconds: float = REPLICA_REFRESH_SECONDS,
        on_fallback: Callable[[str], None] = lambda reason: None,
        on_standby_read: Callable[[], None] = lambda: None,
    ) -> None:
        self.standby = standby
        self._primary = primary
        self._refresh_seconds = refresh_seconds
        self._on_fallback = on_fallback
        self._on_standby_read = on_standby_read
        self.available = False
        self.replayed = 0  # the standby's replay position at the last refresh
        self._primary_before = 0  # the primary's position one refresh earlier
        self._primary_now = 0
        self._task: asyncio.Task[None] | None = None
        # The refresh's own connections (one each, same options), outside the pools.
        self._standby_probe = Database(standby.url, replace(standby.options, size=1))
        self._primary_probe = Database(primary.url, replace(primary.options, size=1))

    async def start(self) -> None:
        """Check the standby's role and schema (unless it is unreachable now: then
        reads go to the primary until it answers), then refresh in the background."""
        try:
            await self.standby.verify()
        except errors.Unavailable:
            logger.warning("read replica unreachable at start: reading from the primary")
        await self.refresh()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="alice-replica")

    def use_standby(self) -> bool:
        if not self.available:
            self._on_fallback("unavailable")
            return False
        current = positions.current()
        needed = current.seen if current is not None and current.seen else self._primary_before
        if self.replayed >= needed:
            self._on_standby_read()
            return True
        self._on_fallback("lag")
        return False

    def failed(self, exc: BaseException) -> None:
        """A read on the standby failed (it is stopping, or a conflict with recovery
        cancelled it): the primary until the next successful refresh."""
        self.available = False
        self._on_fallback("unavailable")
        logger.warning("read replica failed (%s): reading from the primary", type(exc).__name__)

    async def refresh(self) -> None:
        """Read both positions, each on a probe connection of its own (a busy pool
        delays no refresh). The standby unreachable: `available` False. The primary
        unreachable: its last position stays (the primary's own units of work fail
        anyway)."""
        wait = max(1.0, self._refresh_seconds * 10)
        try:
            async with asyncio.timeout(wait), self._standby_probe.connection() as connection:
                replayed = await connection.fetchval(
                    "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END"
                )
        except Exception as exc:  # noqa: BLE001 - whatever breaks the probe: not usable
            if self.available:
                logger.warning("read replica unreachable (%s)", type(exc).__name__)
            self.available = False
            return
        if replayed is None:  # promoted, or not a standby at all: never read it
            if self.available:
                logger.warning("ALICE_READ_DATABASE_URL is not a standby: reading the primary")
            self.available = False
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(wait), self._primary_probe.connection() as connection:
                primary = await connection.fetchval("SELECT pg_current_wal_insert_lsn()::text")
            now = positions.parse_lsn(primary)
            # The first sample is also the bound until the next one (never 0).
            self._primary_before = self._primary_now or now
            self._primary_now = now
        if not self.available:
            logger.info("read replica reachable: reads go to it when it has caught up")
        self.replayed = positions.parse_lsn(replayed)
        self.available = True

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_seconds)
            await self.refresh()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._standby_probe.close()
        await self._primary_probe.close()
        await self.standby.close()
