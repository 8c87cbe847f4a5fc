"""GetEnrichedContext: the call start, the one RPC every phone call waits on."""

from __future__ import annotations

from alice_server.domain.context import (
    DEFAULT_MEMORIES,
    DEFAULT_SUMMARIES,
    MAX_MEMORIES,
    MAX_SUMMARIES,
    TRANSCRIPT_TYPES,
    ContextData,
    EnrichedContext,
    bounded,
    is_new_caller,
    render_context,
)
from alice_server.domain.embeddings import Embedder
from alice_server.domain.memories import MemoryFilter, search_query
from alice_server.domain.retrieval import SearchMode, candidate_depth, effective_mode, fuse
from alice_server.storage.database import Database


class ContextService:
    def __init__(self, db: Database, embedder: Embedder | None = None) -> None:
        self._db = db
        self._embedder = embedder

    async def enriched_context(
        self,
        customer_id: int,
        user_id: str,
        num_summaries: int | None,
        num_memories: int | None,
        query: str = "",
    ) -> EnrichedContext:
        """The call-start context; with a `query`, the memories most relevant to it
        (ranked as SearchMemories ranks in hybrid mode), else the newest ones."""
        n_summaries = bounded(num_summaries, DEFAULT_SUMMARIES, MAX_SUMMARIES, "num_summaries")
        n_memories = bounded(num_memories, DEFAULT_MEMORIES, MAX_MEMORIES, "num_memories")
        relevant = None
        if query and n_memories:
            relevant = search_query(
                MemoryFilter(user_id, include_shared=True), query, [], n_memories
            )
        mode = effective_mode(SearchMode.HYBRID, self._embedder is not None)
        embedding = (
            self._embedder.embed_one(query)
            if relevant is not None and self._embedder is not None
            else None
        )
        async with self._db.tenant(customer_id) as uow:
            profile = await uow.callers.profile(user_id)
            personality = await uow.callers.personality(user_id) if profile else None
            summaries = await uow.calls.latest(user_id, n_summaries) if profile else []
            if relevant is None:
                memories = await uow.memories.for_context(
                    user_id, n_memories, list(TRANSCRIPT_TYPES)
                )
            else:
                candidates = await uow.memories.search_candidates(
                    relevant,
                    relevant.text,
                    embedding,
                    candidate_depth(relevant.limit),
                    TRANSCRIPT_TYPES,
                )
                hits = fuse(candidates, mode, relevant.limit, relevant.text)
                memories = [hit.memory for hit in hits]
        data = ContextData(profile, personality, summaries, memories)
        new = is_new_caller(user_id, data)
        text = render_context(user_id, new, profile, personality, summaries, memories)
        return EnrichedContext(user_id, new, text, profile, personality, summaries, memories)
