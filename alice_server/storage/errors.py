"""Driver exceptions as domain errors: the one place that knows asyncpg's exceptions.

`Database.tenant()`, `Database.admin()` and `Database.call_start()` run their body
inside `translated(...)`, so a servicer, a service or the interceptor never sees an
asyncpg or socket exception, only these domain errors:

| what happened                                   | domain error           | gRPC status       |
|-------------------------------------------------|------------------------|-------------------|
| the server cannot be reached, the connection    | `Unavailable`          | UNAVAILABLE       |
| broke (the driver's client-side errors too:     |                        |                   |
| InternalClientError, ClientCannotConnectError), |                        |                   |
| the server is starting or shutting down         |                        |                   |
| no pooled connection within the acquire timeout | `ServerBusy`           | UNAVAILABLE       |
| (every connection in use); PostgreSQL's         |                        |                   |
| `too many connections`                          |                        |                   |
| the tenant holds its share of the pool for      | `TenantShareExhausted` | RESOURCE_EXHAUSTED|
| longer than the acquire timeout                 |                        | (with RetryInfo)  |
| `statement_timeout` cancelled a statement       | `StatementTimeout`     | DEADLINE_EXCEEDED |
| serialization failure or deadlock               | `Aborted`              | ABORTED           |

Anything else (a constraint violation nobody expected, a syntax error) is a bug
and stays an exception: the interceptor answers INTERNAL with a reference.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from alice_server.domain import errors

logger = logging.getLogger("alice.storage")

UNAVAILABLE_MESSAGE = "the database is unavailable; retry with backoff"
BUSY_MESSAGE = "the server is busy: all database connections are in use; retry with backoff"
TENANT_BUSY_MESSAGE = (
    "this customer already has as many database operations running as one customer may "
    "(ALICE_DB_MAX_TENANT_SHARE of the pool); retry after the delay in RetryInfo"
)
TENANT_BUSY_RETRY_SECONDS = 1.0


def statement_timeout_message(timeout_ms: int) -> str:
    return (
        f"a database statement ran longer than {timeout_ms} ms "
        "(ALICE_DB_STATEMENT_TIMEOUT_MS) and was cancelled; nothing was written. "
        "Narrow the request (fewer items, a shorter query) or retry later"
    )


_UNREACHABLE = (
    OSError,  # refused, reset, unreachable, DNS (socket.gaierror is an OSError)
    asyncpg.exceptions.PostgresConnectionError,  # broken or closed connection
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,  # starting up or shutting down
    asyncpg.exceptions.ConnectionFailureError,
    # The driver's own state after a lost connection: "not connected" when the
    # server's FATAL (a terminated backend, a restart) arrived before the socket
    # closed, in the tenant's set_config or the call start. The health monitor
    # counts any failure of its probe as unreachable too.
    asyncpg.exceptions.InternalClientError,
)
_CONFLICT = (
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
)


def translate(exc: BaseException, *, statement_timeout_ms: int) -> errors.AliceError | None:
    """The domain error for a driver exception, or None when it is not the driver's."""
    if isinstance(exc, errors.AliceError):
        return None
    if isinstance(exc, asyncpg.exceptions.TooManyConnectionsError):
        return errors.ServerBusy(BUSY_MESSAGE)
    if isinstance(exc, asyncpg.exceptions.QueryCanceledError):
        if "statement timeout" in str(exc):
            return errors.StatementTimeout(statement_timeout_message(statement_timeout_ms))
        return errors.Unavailable("the database cancelled the statement; retry with backoff")
    if isinstance(exc, _CONFLICT):
        return errors.Aborted("the request conflicted with a concurrent one; retry it")
    if isinstance(exc, TimeoutError):
        # asyncio timeouts are OSErrors too; the Database decides what each one
        # means (a full pool, a slow statement) where it sets them.
        return None
    if isinstance(exc, _UNREACHABLE):
        return errors.Unavailable(UNAVAILABLE_MESSAGE)
    if isinstance(exc, asyncpg.exceptions.InterfaceError) and "closed" in str(exc):
        return errors.Unavailable(UNAVAILABLE_MESSAGE)
    return None


@contextmanager
def translated(statement_timeout_ms: int) -> Iterator[None]:
    """Re-raise driver exceptions of the block as domain errors (see the table above)."""
    try:
        yield
    except Exception as exc:
        domain = translate(exc, statement_timeout_ms=statement_timeout_ms)
        if domain is None:
            raise
        # The exception's class only: its text may hold SQL or values.
        logger.warning("database: %s (%s)", type(domain).__name__, type(exc).__name__)
        raise domain from exc
