"""GetEnrichedContext: the call start, the one RPC every phone call waits on.

One database round trip (`Database.statement`, migration 0003's function), then
the pure rules of domain.context (who is new, the text block).
"""

from __future__ import annotations

from alice_server.domain.context import (
    DEFAULT_MEMORIES,
    DEFAULT_SUMMARIES,
    MAX_MEMORIES,
    MAX_SUMMARIES,
    TRANSCRIPT_TYPES,
    EnrichedContext,
    bounded,
    is_new_caller,
    render_context,
)
from alice_server.storage.database import Database

_EXCLUDED_TYPES = list(TRANSCRIPT_TYPES)


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
        async with self._db.statement(customer_id) as unit:
            data = await unit.context.call_start(user_id, n_summaries, n_memories, _EXCLUDED_TYPES)
        new = is_new_caller(user_id, data)
        text = render_context(
            user_id, new, data.profile, data.personality, data.summaries, data.memories
        )
        return EnrichedContext(
            user_id, new, text, data.profile, data.personality, data.summaries, data.memories
        )
