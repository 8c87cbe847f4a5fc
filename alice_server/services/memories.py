"""StoreMemory, GetMemory, DeleteMemory, ListMemories, SearchMemories, GetMemoryHistory."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence

from alice_server.domain.embeddings import Embedder
from alice_server.domain.errors import NotFound
from alice_server.domain.history import DEFAULT_RETENTION_DAYS, MemoryChange
from alice_server.domain.memories import (
    Memory,
    MemoryFilter,
    MemoryKey,
    NewMemory,
    check_type,
    search_query,
)
from alice_server.domain.paging import PageTokens
from alice_server.domain.retrieval import (
    SearchHit,
    SearchMode,
    candidate_depth,
    effective_mode,
    fuse,
)
from alice_server.storage.database import Database
from alice_server.storage.unit_of_work import TenantUnitOfWork

_LIST_KEY = (dt.datetime, uuid.UUID)
_HISTORY_KEY = (dt.datetime, int)


class MemoryService:
    def __init__(
        self,
        db: Database,
        page_tokens: PageTokens,
        embedder: Embedder | None = None,
        history_days: int = DEFAULT_RETENTION_DAYS,
    ) -> None:
        self._db = db
        self._tokens = page_tokens
        self._embedder = embedder
        self._history_days = history_days

    def embedding_of(self, item: NewMemory) -> list[float] | None:
        """The memory's embedding, computed before its transaction opens (None: no model)."""
        if self._embedder is None:
            return None
        return self._embedder.embed_memory(item.type, item.key, item.value)

    async def store(self, customer_id: int, item: NewMemory) -> tuple[Memory, bool]:
        """Create or update the memory with this identity; returns (memory, created)."""
        embedding = self.embedding_of(item)
        async with self._db.tenant(customer_id) as uow:
            return await uow.memories.upsert(item, embedding)

    async def get(self, customer_id: int, memory_id: uuid.UUID) -> Memory:
        async with self._db.tenant(customer_id) as uow:
            memory = await uow.memories.get(memory_id)
        if memory is None:
            raise NotFound(f"memory {memory_id} not found")
        return memory

    async def by_key(self, customer_id: int, identity: MemoryKey) -> Memory:
        async with self._db.tenant(customer_id) as uow:
            memory = await uow.memories.by_key(identity)
        if memory is None:
            raise NotFound(
                f"no {identity.scope} memory of type {identity.type!r} with key {identity.key!r}"
            )
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
        fits: Callable[[Sequence[Memory]], int] | None = None,
    ) -> tuple[list[Memory], str]:
        """One page, newest first; returns (memories, next_page_token or ''). The page
        is cut after `fits(page)` memories when given (what fits in a response)."""
        if type is not None:
            check_type(type)
        page = self._tokens.request(
            kind="memories",
            scope=[customer_id, owners.owners, type],
            requested_size=requested_page_size,
            page_token=page_token,
            key_types=_LIST_KEY,
        )
        rows = await self._db.read(
            customer_id, lambda uow: uow.memories.list_page(owners.owners, type, page)
        )
        return self._tokens.finish(page, rows, lambda m: (m.created_at, m.id), fits)

    async def search(
        self,
        customer_id: int,
        owners: MemoryFilter,
        query_text: str,
        types: Sequence[str],
        limit: int,
        mode: SearchMode = SearchMode.HYBRID,
    ) -> list[SearchHit[Memory]]:
        """Memories for the query, best first (domain/retrieval.py: how the rankings fuse)."""
        query = search_query(owners, query_text, types, limit)
        mode = effective_mode(mode, self._embedder is not None)
        embedding = (
            self._embedder.embed_one(query.text)
            if self._embedder is not None and mode.uses_embeddings
            else None
        )
        candidates = await self._db.read_statement(
            customer_id,
            lambda unit: unit.memories.candidates(
                query,
                query.text if mode.uses_keywords else None,
                embedding,
                candidate_depth(query.limit),
            ),
        )
        return fuse(candidates, mode, query.limit, query.text)

    async def history(
        self, customer_id: int, memory_id: uuid.UUID, requested_page_size: int, page_token: str
    ) -> tuple[list[MemoryChange], str]:
        """Earlier values of one memory, newest first; returns (changes, next_page_token)."""
        page = self._tokens.request(
            kind="memory_history",
            scope=[customer_id, str(memory_id)],
            requested_size=requested_page_size,
            page_token=page_token,
            key_types=_HISTORY_KEY,
        )

        async def read(uow: TenantUnitOfWork) -> list[MemoryChange]:
            changes = await uow.memory_history.page(memory_id, self._history_days, page)
            if not changes and page.after is None and not await uow.memories.exists(memory_id):
                raise NotFound(f"memory {memory_id} not found")
            return changes

        changes = await self._db.read(customer_id, read)
        return self._tokens.finish(page, changes, lambda c: (c.changed_at, c.id))
