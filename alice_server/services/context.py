"""GetEnrichedContext: the call start, the one RPC every phone call waits on.

One database round trip (`Database.statement`, migration 0003's function), then
the pure rules of domain.context (who is new, the text block).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from alice_server.domain.context import (
    AGENT_SETTING_KEYS,
    DEFAULT_MEMORIES,
    DEFAULT_SUMMARIES,
    MAX_MEMORIES,
    MAX_SUMMARIES,
    SETTINGS_TYPE,
    TRANSCRIPT_TYPES,
    EnrichedContext,
    bounded,
    is_new_caller,
    render_context,
)
from alice_server.domain.embeddings import Embedder
from alice_server.domain.follow_ups import DEFAULT_CONTEXT_FOLLOW_UPS, MAX_CONTEXT_FOLLOW_UPS
from alice_server.domain.memories import Memory, MemoryFilter, search_query
from alice_server.domain.retrieval import SearchMode, candidate_depth, effective_mode, fuse
from alice_server.storage.database import Database

_EXCLUDED_TYPES = list(TRANSCRIPT_TYPES)


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
        num_follow_ups: int | None = None,
    ) -> EnrichedContext:
        """The call-start context. With a `query` (what the call is about), the
        memories are the ones most relevant to it, ranked as SearchMemories ranks in
        hybrid mode (the caller's and the shared ones); without one, the newest.
        The caller's open follow-ups come due first; those due before now are
        overdue."""
        n_summaries = bounded(num_summaries, DEFAULT_SUMMARIES, MAX_SUMMARIES, "num_summaries")
        n_memories = bounded(num_memories, DEFAULT_MEMORIES, MAX_MEMORIES, "num_memories")
        n_follow_ups = bounded(
            num_follow_ups, DEFAULT_CONTEXT_FOLLOW_UPS, MAX_CONTEXT_FOLLOW_UPS, "num_follow_ups"
        )
        now = dt.datetime.now(dt.UTC)
        if query:
            relevant = search_query(
                MemoryFilter(user_id, include_shared=True), query, [], n_memories or 1
            )
            mode = effective_mode(SearchMode.HYBRID, self._embedder is not None)
            embedding = (
                self._embedder.embed_one(relevant.text) if self._embedder is not None else None
            )
            data, candidates = await self._db.read_statement(
                customer_id,
                lambda unit: unit.context.call_start_for_query(
                    user_id,
                    n_summaries,
                    n_memories,
                    _EXCLUDED_TYPES,
                    relevant.text,
                    embedding,
                    candidate_depth(relevant.limit),
                    n_follow_ups,
                ),
            )
            # The agent's own settings stay out of the caller's context (as below).
            candidates = [c for c in candidates if not _agent_setting(c.memory)]
            hits = fuse(candidates, mode, n_memories, relevant.text)
            data = dataclasses.replace(data, memories=[hit.memory for hit in hits])
        else:
            data = await self._db.read_statement(
                customer_id,
                lambda unit: unit.context.call_start(
                    user_id,
                    n_summaries,
                    n_memories,
                    _EXCLUDED_TYPES,
                    (SETTINGS_TYPE, list(AGENT_SETTING_KEYS)),
                    n_follow_ups,
                ),
            )
        new = is_new_caller(user_id, data)
        text = render_context(
            user_id,
            new,
            data.profile,
            data.personality,
            data.summaries,
            data.memories,
            data.follow_ups,
            time_zone=data.time_zone,
            now=now,
        )
        return EnrichedContext(
            user_id,
            new,
            text,
            data.profile,
            data.personality,
            data.summaries,
            data.memories,
            data.follow_ups,
            checked_at=now,
        )


def _agent_setting(memory: Memory) -> bool:
    """A shared memory holding one of the agent's own settings (not caller context)."""
    return (
        memory.user_id == "" and memory.type == SETTINGS_TYPE and memory.key in AGENT_SETTING_KEYS
    )
