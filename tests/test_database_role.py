"""The server refuses a database role that row-level security would not bind."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from alice_server.storage.database import Database, UnsafeDatabaseRole
from alice_server.storage.urls import with_user


async def test_a_role_owning_any_table_is_refused(database):
    role = f"alice_owner_{uuid.uuid4().hex[:8]}"
    owner = await asyncpg.connect(database.owner_url)
    try:
        await owner.execute(f'CREATE ROLE "{role}" LOGIN')
        await owner.execute(f'GRANT CONNECT ON DATABASE "{owner._params.database}" TO "{role}"')
        await owner.execute(f'GRANT USAGE, CREATE ON SCHEMA public TO "{role}"')
        await owner.execute(f'SET ROLE "{role}"')
        # Not one of Alice's tables: owning any table is enough to be refused.
        await owner.execute("CREATE TABLE side_notes (id int)")
        await owner.execute("RESET ROLE")
        db = Database(with_user(database.owner_url, role))
        try:
            with pytest.raises(UnsafeDatabaseRole, match="owns side_notes"):
                await db.verify()
        finally:
            await db.close()
    finally:
        await owner.execute("RESET ROLE")
        await owner.execute("DROP TABLE IF EXISTS side_notes")
        await owner.execute(f'REVOKE ALL ON SCHEMA public FROM "{role}"')
        await owner.execute(f'REVOKE ALL ON DATABASE "{owner._params.database}" FROM "{role}"')
        await owner.execute(f'DROP ROLE IF EXISTS "{role}"')
        await owner.close()


async def test_the_service_role_is_accepted(database):
    db = Database(database.app_url)
    try:
        await db.verify()
    finally:
        await db.close()
