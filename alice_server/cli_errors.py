"""One-line explanations of the failures an operator can expect from
`alice-admin` and `alice-server`: a missing privilege, an unreachable or
missing database, a bad password, an unknown revision, a duplicate. Anything
else is a bug and keeps its traceback."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
from alembic.util.exc import CommandError

from alice_server.config import DEFAULT_APP_ROLE


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (SQLAlchemy's `.orig`) and its causes."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for inner in (
            getattr(current, "orig", None),
            current.__cause__,
            current.__context__,
        ):
            if isinstance(inner, BaseException):
                stack.append(inner)


def _line(error: BaseException) -> str:
    """The primary message only (asyncpg appends DETAIL and HINT lines)."""
    message = getattr(error, "message", None)
    text = message if isinstance(message, str) and message else str(error)
    return (text.splitlines() or [type(error).__name__])[0].rstrip(".")


def explain(exc: BaseException, app_role: str = DEFAULT_APP_ROLE) -> str | None:
    """A one-line message for an expected failure, or None."""
    for error in _chain(exc):
        if isinstance(error, asyncpg.exceptions.InsufficientPrivilegeError):
            return (
                f"the database refused a privilege: {_line(error)}. Run migrations as the owner of "
                "the database (ALICE_ADMIN_DATABASE_URL); that role needs CREATEROLE unless the "
                f"service role {app_role!r} (ALICE_DB_APP_ROLE) and the platform role "
                f"{app_role + '_platform'!r} exist already (roles are cluster-wide: create each "
                "once with CREATE ROLE ... LOGIN)"
            )
        if isinstance(error, asyncpg.exceptions.InvalidCatalogNameError):
            return f"{_line(error)}: create the database first (CREATE DATABASE ... OWNER <owner>)"
        if isinstance(
            error,
            asyncpg.exceptions.InvalidPasswordError
            | asyncpg.exceptions.InvalidAuthorizationSpecificationError,
        ):
            return f"the database refused the login: {_line(error)}"
        if isinstance(error, asyncpg.exceptions.UndefinedTableError):
            return (
                f"the database is not migrated ({_line(error)}): run `alice-admin migrate` "
                "first, with ALICE_ADMIN_DATABASE_URL naming this database"
            )
        if isinstance(error, asyncpg.exceptions.UniqueViolationError):
            what = error.constraint_name or "a unique key"
            return f"refused by the database: the value of {what} exists already"
        if isinstance(error, CommandError):
            return f"migration failed: {_line(error)}"
        if isinstance(
            error,
            asyncpg.exceptions.CannotConnectNowError | asyncpg.exceptions.TooManyConnectionsError,
        ):
            return f"the database cannot take a connection now: {_line(error)}"
        if isinstance(error, ConnectionError | TimeoutError) or (
            isinstance(error, OSError) and error.errno is not None
        ):
            reason = error.strerror or _line(error)
            return f"cannot reach the database: {reason} (check the URL's host and port)"
    return None
