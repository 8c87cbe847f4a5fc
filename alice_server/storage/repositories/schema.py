"""The schema revision alembic recorded: what the health check, the start-up
check and customer exports and restores compare."""

from __future__ import annotations

import asyncpg

_REVISION = "SELECT version_num FROM alembic_version"


async def schema_revision(connection: asyncpg.Connection) -> str | None:
    """The revision the database is at; None when it was never migrated."""
    try:
        revision = await connection.fetchval(_REVISION)
    except asyncpg.exceptions.UndefinedTableError:
        return None
    return None if revision is None else str(revision)


class SchemaRepository:
    """`uow.schema`: the schema revision, read in the unit of work's transaction."""

    __slots__ = ("_connection",)

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def revision(self) -> str | None:
        return await schema_revision(self._connection)
