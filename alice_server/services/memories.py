"""StoreMemory, GetMemory, DeleteMemory, ListMemories, SearchMemories."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from alice_server.domain.errors import NotFound
from alice_server.domain.memories import (
    Memory,
    MemoryFilter,
    NewMemory,
    check_type,
    search_query,
)
from alice_server.domain.paging import PageTokens
from alice_server.storage.database import Database

_LIST_KEY = (dt.datetime, uuid.UUID)


class MemoryService:
    def __init__(self, db: Database, page_tokens: PageTokens) -> None:
        self._db = db
        self._tokens = page_tokens

    async def store(self, customer_id: int, item: NewMemory) -> tuple[Memory, bool]:
        """Create or update the memory with this identity; returns (memory, created)."""
        async with self._db.tenant(customer_id) as uow:
            return await uow.memories.upsert(item)

    async def get(self, customer_id: int, memory_id: uuid.UUID) -> Memory:
        async with self._db.tenant(customer_id) as uow:
            memory = await uow.memories.get(memory_id)
        if memory is None:
            raise NotFound(f"memory {memory_id} not found")
        return memory

    async def delete(self, customer_id: int, memory_id: uuid.UUID) -> None:
        async with self._db.tenant(customer_id) as uow:
            deleted = await uow.memories.delete(memory_id)
        if not deleted:
            raise NotFound(f"memory {memory_id} not found")

    async def list_page(
        self,
        customer_id: int,
        owners: MemoryFilter,
        type: str | None,
        requested_page_size: int,
        page_token: str,
    ) -> tuple[list[Memory], str]:
        """One page, newest first; returns (memories, next_page_token or '')."""
        if type is not None:
            check_type(type)
        page = self._tokens.request(
            kind="memories",
            scope=[customer_id, owners.owners, type],
            requested_size=requested_page_size,
            page_token=page_token,
            key_types=_LIST_KEY,
        )
        async with self._db.tenant(customer_id) as uow:
            rows = await uow.memories.list_page(owners.owners, type, page)
        return self._tokens.finish(page, rows, lambda m: (m.created_at, m.id))

    async def search(
        self,
        customer_id: int,
        owners: MemoryFilter,
        query_text: str,
        types: Sequence[str],
        limit: int,
    ) -> list[tuple[Memory, float]]:
        """Memories matching any word of the query, best first."""
        query = search_query(owners, query_text, types, limit)
        async with self._db.tenant(customer_id) as uow:
            return await uow.memories.search(query)
