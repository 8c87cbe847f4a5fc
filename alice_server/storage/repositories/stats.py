"""Per-tenant counts for an admin screen, in one statement (one round trip)."""

from __future__ import annotations

import datetime as dt

from alice_server.domain.stats import TenantStats
from alice_server.storage.repositories.base import TenantRepository

# Each count walks one index that leads with customer_id.
_STATS = """
SELECT
    (SELECT count(*) FROM memories
     WHERE customer_id = $1 AND user_id <> '' AND expires_at > now()) AS caller_memories,
    (SELECT count(*) FROM memories
     WHERE customer_id = $1 AND user_id = '' AND expires_at > now()) AS shared_memories,
    (SELECT count(*) FROM caller_profiles WHERE customer_id = $1) AS callers,
    (SELECT count(*) FROM call_summaries WHERE customer_id = $1) AS processed_calls,
    (SELECT count(*) FROM calls WHERE customer_id = $1) AS recorded_calls,
    (SELECT count(*) FROM call_transcript_turns
     WHERE customer_id = $1 AND created_at > $2) AS transcript_turns,
    (SELECT max(started_at) FROM call_summaries WHERE customer_id = $1) AS last_call_at
"""


class StatsRepository(TenantRepository):
    async def tenant_stats(self, turns_stored_after: dt.datetime) -> TenantStats:
        row = await self._connection.fetchrow(_STATS, self._customer_id, turns_stored_after)
        assert row is not None
        return TenantStats(
            caller_memory_count=row["caller_memories"],
            shared_memory_count=row["shared_memories"],
            caller_count=row["callers"],
            processed_call_count=row["processed_calls"],
            recorded_call_count=row["recorded_calls"],
            transcript_turn_count=row["transcript_turns"],
            last_call_at=row["last_call_at"],
        )
