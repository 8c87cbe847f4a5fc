"""Database URLs: what operators write (libpq style), what asyncpg takes (`libpq_url`)
and what alembic's SQLAlchemy engine needs (`async_url`)."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


def async_url(url: str | URL) -> URL:
    """`postgresql://...` (or `postgres://`) as SQLAlchemy's asyncpg URL."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in {"postgresql", "postgres", "postgresql+asyncpg"}:
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(
        f"unsupported database URL scheme {parsed.drivername!r}: use postgresql://user@host/db"
    )


def libpq_url(url: str | URL) -> str:
    """The URL as asyncpg/psql accept it (no driver suffix), password included."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def with_user(url: str | URL, user: str, password: str | None = None) -> URL:
    """The same server and database, logging in as another role."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(username=user, password=password)


def with_database(url: str | URL, database: str) -> URL:
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(database=database)


def redacted(url: str | URL) -> str:
    """For logs and messages: never the password."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)
