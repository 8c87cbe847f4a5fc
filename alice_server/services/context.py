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
from alice_server.storage.database import Database


class ContextService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enriched_context(
        self,
        customer_id: int,
        user_id: str,
        num_summaries: int | None,
        num_memories: int | None,
    ) -> EnrichedContext:
        n_summaries = bounded(num_summaries, DEFAULT_SUMMARIES, MAX_SUMMARIES, "num_summaries")
        n_memories = bounded(num_memories, DEFAULT_MEMORIES, MAX_MEMORIES, "num_memories")
        async with self._db.tenant(customer_id) as uow:
            profile = await uow.callers.profile(user_id)
            personality = await uow.callers.personality(user_id) if profile else None
            summaries = await uow.calls.latest(user_id, n_summaries) if profile else []
            memories = await uow.memories.for_context(user_id, n_memories, list(TRANSCRIPT_TYPES))
        data = ContextData(profile, personality, summaries, memories)
        new = is_new_caller(user_id, data)
        text = render_context(user_id, new, profile, personality, summaries, memories)
        return EnrichedContext(user_id, new, text, profile, personality, summaries, memories)
