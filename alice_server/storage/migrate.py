"""Running the alembic migrations under migrations/ from code.

Migrations run as the schema owner (ALICE_ADMIN_DATABASE_URL, or the embedded
cluster's superuser). They also create the service's login role (`app_role`,
ALICE_DB_APP_ROLE) and grant it what the service needs and nothing more.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

from alice_server.storage.urls import async_url


def migrations_dir() -> Path:
    """migrations/ of a source checkout, or its copy inside an installed wheel."""
    source = Path(__file__).resolve().parents[2] / "migrations"
    if (source / "env.py").is_file():
        return source
    spec = importlib.util.find_spec("alice_server._migrations")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the alembic migrations are missing from this installation")
    return Path(next(iter(spec.submodule_search_locations)))


def alembic_config(url: str | URL, app_role: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["url"] = async_url(url)
    config.attributes["app_role"] = app_role
    return config


def upgrade(url: str | URL, app_role: str, revision: str = "head") -> None:
    """Blocking (it runs its own event loop): call it from a thread in async code."""
    command.upgrade(alembic_config(url, app_role), revision)


def downgrade(url: str | URL, app_role: str, revision: str) -> None:
    command.downgrade(alembic_config(url, app_role), revision)


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


async def current_revision(connection: AsyncConnection) -> str | None:
    def read(sync_connection: object) -> str | None:
        return MigrationContext.configure(sync_connection).get_current_revision()  # type: ignore[arg-type]

    return await connection.run_sync(read)
