"""Alembic environment of Alice.

Run from code (alice_server.storage.migrate, used by `alice-admin migrate` and
the embedded start-up) or with the alembic CLI from a checkout:

    ALICE_ADMIN_DATABASE_URL=postgresql://owner@host/alice alembic upgrade head

The URL must be the schema owner's. The service's login role is named by the
`app_role` attribute or ALICE_DB_APP_ROLE (default alice_app).
"""

from __future__ import annotations

import asyncio
import os
import re

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from alice_server.storage.models import Base
from alice_server.storage.urls import async_url

config = context.config
target_metadata = Base.metadata


def _url() -> object:
    url = config.attributes.get("url") or os.environ.get("ALICE_ADMIN_DATABASE_URL")
    if not url:
        raise SystemExit("set ALICE_ADMIN_DATABASE_URL to the schema owner's database URL")
    return async_url(url)


def _app_role() -> str:
    role = config.attributes.get("app_role") or os.environ.get("ALICE_DB_APP_ROLE") or "alice_app"
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise SystemExit(f"invalid application role name {role!r}")
    return str(role)


config.attributes["app_role"] = _app_role()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)  # type: ignore[arg-type]
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=str(_url()), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
