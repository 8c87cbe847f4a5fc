"""`alice-admin backfill-embeddings`: memories stored without an embedding get
one, with progress shown; a second run finds nothing left (resumable)."""

from __future__ import annotations

import contextlib
import json
import re

import asyncpg
import numpy as np

from alice_server.embedding_model import load_embedder
from alice_server.storage.database import Database, PoolOptions
from alice_server.storage.repositories.memories import vector_of
from alice_server.tools.backfill_embeddings import backfill
from chad_client.v1 import memory_service_pb2 as mem
from tests.helpers import struct
from tests.support.processes import admin


async def _strip_embeddings(owner, customer_id, caller):
    async with owner.transaction():
        await owner.execute("SELECT set_config('alice.customer_id', $1, true)", str(customer_id))
        await owner.execute(
            "UPDATE memories SET embedding_bytes = NULL WHERE customer_id = $1 AND user_id = $2",
            customer_id,
            caller,
        )


async def _embeddings(owner, customer_id, caller):
    async with owner.transaction():
        await owner.execute("SELECT set_config('alice.customer_id', $1, true)", str(customer_id))
        return await owner.fetch(
            "SELECT key, value, type, embedding_bytes AS embedding, updated_at FROM memories "
            "WHERE customer_id = $1 AND user_id = $2 ORDER BY key",
            customer_id,
            caller,
        )


async def test_backfill_embeds_what_is_missing_and_resumes(
    database, memories, peterson, smith, caller_phone
):
    for tenant in (peterson, smith):
        for n in range(5):
            await memories.StoreMemory(
                mem.StoreMemoryRequest(
                    user_id=caller_phone, type="fact", key=f"k{n}", value=struct(value=f"dog {n}")
                ),
                metadata=tenant.metadata(),
            )
    owner = await asyncpg.connect(database.owner_url)
    try:
        for tenant in (peterson, smith):
            await _strip_embeddings(owner, tenant.id, caller_phone)
        before = await _embeddings(owner, peterson.id, caller_phone)
        assert all(r["embedding"] is None for r in before)

        # Semantic search cannot see them now...
        found = await memories.SearchMemories(
            mem.SearchMemoriesRequest(
                user_id=caller_phone, query="puppy", mode=mem.SEARCH_MODE_SEMANTIC
            ),
            metadata=peterson.metadata(),
        )
        assert list(found.results) == []

        # ... a first run stopped after one batch of 3 (as if interrupted) ...
        lines: list[str] = []

        class Stop(Exception):
            pass

        def report(line: str) -> None:
            lines.append(line)
            if line.startswith("customer "):
                raise Stop

        with contextlib.suppress(Stop):
            db = Database(database.owner_url, PoolOptions(size=1))
            try:
                await backfill(db, load_embedder(), 3, report)
            finally:
                await db.close()
        # Other tests of the session may have left memories without one too.
        missing = int(lines[0].split()[0])
        assert missing >= 10 and "memories without an embedding in" in lines[0]
        # One batch (at most 3, of whichever customer comes first) was committed.
        first_batch = int(re.search(rf"all: (\d+)/{missing} \(", lines[1]).group(1))
        assert 1 <= first_batch <= 3

        # ... and the command run to the end does the rest, with progress.
        code, out, err = await admin(
            "backfill-embeddings", "--batch-size", "2", ALICE_ADMIN_DATABASE_URL=database.owner_url
        )
        assert code == 0, err
        left = missing - first_batch
        assert out.splitlines()[0].startswith(f"{left} memories without an embedding")
        assert f"all: {left}/{left} (100%" in out
        assert out.strip().endswith(f"embedded {left} memories")

        after = await _embeddings(owner, peterson.id, caller_phone)
        model = load_embedder()
        for row in after:
            expected = model.embed_memory(row["type"], row["key"], json.loads(row["value"]))
            assert np.allclose(vector_of(row["embedding"]), expected, atol=1e-6)
        # Adding an embedding is not an update of the memory.
        assert [r["updated_at"] for r in after] == [r["updated_at"] for r in before]

        code, out, err = await admin(
            "backfill-embeddings", ALICE_ADMIN_DATABASE_URL=database.owner_url
        )
        assert code == 0, err
        assert out.splitlines()[0].startswith("0 memories without an embedding")
        found = await memories.SearchMemories(
            mem.SearchMemoriesRequest(
                user_id=caller_phone, query="puppy", mode=mem.SEARCH_MODE_SEMANTIC
            ),
            metadata=peterson.metadata(),
        )
        assert len(found.results) == 5
    finally:
        await owner.close()


async def test_backfill_refuses_a_bad_batch_size(database):
    code, _, err = await admin(
        "backfill-embeddings", "--batch-size", "0", ALICE_ADMIN_DATABASE_URL=database.owner_url
    )
    assert code == 2 and "--batch-size must be positive" in err
