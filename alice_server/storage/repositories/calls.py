"""call_summaries, personality_metrics and personality_averages: recording a call.

ProcessCall's transaction (`alice_server.services.calls`) calls, in order:
`record` (one statement: the summary, ON CONFLICT DO NOTHING, so that a retry
inserts nothing and reads the stored result with `stored`; the call counted in
the caller's profile, whose row it locks, so two calls of one caller are counted
one after the other; the call's scores), `personality_aggregates` and
`finish` (one statement: the caller's averages, the call's follow-ups and the
facts it stated as memories).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from alice_server.domain.calls import CallSummary
from alice_server.domain.embeddings import Vector
from alice_server.domain.follow_ups import FollowUp, NewFollowUp
from alice_server.domain.memories import NewMemory
from alice_server.domain.paging import PageRequest
from alice_server.domain.personality import RECENT_WINDOW, TREND_WINDOW, PersonalityAggregates
from alice_server.domain.summarizer import CallAnalysis, PersonalityScores
from alice_server.domain.tenants import EXTRACT_MEMORIES, CallProcessing, call_processing
from alice_server.domain.traits import AVERAGED_TRAITS, PERSONALITY_TRAITS
from alice_server.storage.repositories import follow_ups
from alice_server.storage.repositories.base import TenantRepository
from alice_server.storage.repositories.memories import upsert_rows_arguments, upsert_rows_sql

SUMMARY_COLUMNS = (
    "id, call_id, user_id, started_at, ended_at, duration_seconds, summary, key_topics, "
    "sentiment, turn_count, created_at"
)

_STORED = f"""
SELECT {", ".join(f"s.{c.strip()}" for c in SUMMARY_COLUMNS.split(","))},
       {", ".join(f"m.{t}" for t in PERSONALITY_TRAITS)}
FROM call_summaries s
JOIN personality_metrics m ON m.customer_id = s.customer_id AND m.call_id = s.call_id
WHERE s.customer_id = $1 AND s.call_id = $2
"""

# Recording a call, one statement: insert the summary (ON CONFLICT DO NOTHING: a
# retry, or a concurrent duplicate once committed, inserts nothing, and then
# neither do the other two parts, as they read the inserted row), count the call
# in the caller's profile (which locks the profile row: two calls of one caller
# are counted one after the other) and insert the call's scores; the row returned
# also carries what ProcessCall needs of its tenant (time zone, extract_memories
# setting; read in the same transaction). The personality aggregates are read by
# the next statement, whose snapshot is taken after the profile's lock is held, so
# they count every earlier call of the caller.
#
# A name the caller gave is kept once known (and a name set with
# UpdateCallerProfile is never replaced). A profile written before the first
# call (total_calls 0) holds its creation time as call times: the first call
# replaces them.
_SCORE_PARAMETERS = ", ".join(f"${i}" for i in range(13, 13 + len(PERSONALITY_TRAITS)))
_RECORD_CALL = f"""
WITH summary AS (
    INSERT INTO call_summaries
        (customer_id, call_id, user_id, started_at, ended_at, duration_seconds, summary,
         key_topics, sentiment, turn_count)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
    ON CONFLICT ON CONSTRAINT uq_call_summaries_customer_id_call_id DO NOTHING
    RETURNING {SUMMARY_COLUMNS}
), counted AS (
    INSERT INTO caller_profiles AS p
        (customer_id, user_id, first_call_at, last_call_at, total_calls, preferred_name)
    SELECT $1, $3, $4, $4, 1, $11::text FROM summary
    ON CONFLICT (customer_id, user_id) DO UPDATE SET
        first_call_at = CASE WHEN p.total_calls = 0 THEN EXCLUDED.first_call_at
                             ELSE least(p.first_call_at, EXCLUDED.first_call_at) END,
        last_call_at = CASE WHEN p.total_calls = 0 THEN EXCLUDED.last_call_at
                            ELSE greatest(p.last_call_at, EXCLUDED.last_call_at) END,
        total_calls = p.total_calls + 1,
        preferred_name = coalesce(nullif(p.preferred_name, ''), EXCLUDED.preferred_name),
        updated_at = now()
), scored AS (
    INSERT INTO personality_metrics (customer_id, user_id, call_id, call_at,
        {", ".join(PERSONALITY_TRAITS)})
    SELECT $1, $3, $2, $4, {_SCORE_PARAMETERS} FROM summary
)
SELECT {SUMMARY_COLUMNS},
       (SELECT c.time_zone FROM customers c WHERE c.id = $1) AS time_zone,
       (SELECT s.value::text FROM tenant_settings s
        WHERE s.customer_id = $1 AND s.name = $12) AS extract_memories
FROM summary
"""

_AGGREGATES = f"""
WITH ranked AS (
    SELECT *, row_number() OVER (ORDER BY call_at DESC, id DESC) AS rank
    FROM personality_metrics WHERE customer_id = $1 AND user_id = $2
)
SELECT count(*) AS call_count,
       {", ".join(f"avg({t})::float8 AS avg_{t}" for t in AVERAGED_TRAITS)},
       (avg(frustration_level) FILTER (WHERE rank <= {RECENT_WINDOW}))::float8
           AS recent_frustration,
       (avg(satisfaction_level) FILTER (WHERE rank <= {RECENT_WINDOW}))::float8
           AS recent_satisfaction,
       (avg(urgency_level) FILTER (WHERE rank <= {RECENT_WINDOW}))::float8 AS recent_urgency,
       max(satisfaction_level) FILTER (WHERE rank = 1) AS latest_satisfaction,
       (avg(satisfaction_level) FILTER (WHERE rank BETWEEN 2 AND {1 + TREND_WINDOW}))::float8
           AS previous_satisfaction,
       max(frustration_level) FILTER (WHERE rank = 1) AS latest_frustration,
       (avg(frustration_level) FILTER (WHERE rank BETWEEN 2 AND {1 + TREND_WINDOW}))::float8
           AS previous_frustration
FROM ranked
"""

_AVERAGE_COLUMNS = (
    "call_count",
    *(f"avg_{t}" for t in AVERAGED_TRAITS),
    "recent_frustration",
    "recent_satisfaction",
    "recent_urgency",
    "satisfaction_trend",
    "frustration_trend",
)


def _upsert_averages_sql(first: int) -> str:
    """The caller's personality_averages row: $1 customer, $2 caller, the values of
    `_average_values` from `$first`."""
    values = ", ".join(f"${i}" for i in range(first, first + len(_AVERAGE_COLUMNS)))
    return f"""
INSERT INTO personality_averages (customer_id, user_id, {", ".join(_AVERAGE_COLUMNS)})
VALUES ($1, $2, {values})
ON CONFLICT (customer_id, user_id) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in _AVERAGE_COLUMNS)},
    updated_at = now()
"""


def _average_values(aggregates: PersonalityAggregates) -> list[Any]:
    return [
        aggregates.call_count,
        *(aggregates.averages[t] for t in AVERAGED_TRAITS),
        aggregates.recent_frustration,
        aggregates.recent_satisfaction,
        aggregates.recent_urgency,
        aggregates.satisfaction_trend,
        aggregates.frustration_trend,
    ]


# The end of recording a call, one statement: the caller's averages, the memories
# the call stated (one multi-row upsert, see memories.upsert_rows_sql) and its
# follow-ups (whose rows it returns). $1 customer, $2 caller, $3 call, $4 the call's
# start, $5-$9 the follow-ups' arrays, $10-$18 the memories' arrays, then the
# averages. Empty arrays insert nothing.
_FINISH = (
    f"WITH saved AS ({_upsert_averages_sql(19)}), remembered AS ({upsert_rows_sql(10)}\n)"
    f"{follow_ups.INSERT}"
)

_LATEST = f"""
SELECT {SUMMARY_COLUMNS} FROM call_summaries
WHERE customer_id = $1 AND user_id = $2
ORDER BY started_at DESC, id DESC
LIMIT $3
"""

_PAGE = f"""
SELECT {SUMMARY_COLUMNS} FROM call_summaries
WHERE customer_id = $1 AND ($2::text IS NULL OR user_id = $2)
  AND ($3::timestamptz IS NULL OR (started_at, id) < ($3, $4::bigint))
ORDER BY started_at DESC, id DESC
LIMIT $5
"""


def summary_of(row: Mapping[str, Any]) -> CallSummary:
    topics = row["key_topics"]
    return CallSummary(
        id=row["id"],
        call_id=row["call_id"],
        user_id=row["user_id"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        duration_seconds=row["duration_seconds"],
        summary=row["summary"],
        key_topics=json.loads(topics) if isinstance(topics, str) else topics,
        sentiment=row["sentiment"],
        turn_count=row["turn_count"],
        created_at=row["created_at"],
    )


class CallRepository(TenantRepository):
    async def record(
        self,
        *,
        call_id: str,
        user_id: str,
        started_at: dt.datetime,
        ended_at: dt.datetime | None,
        duration_seconds: int | None,
        analysis: CallAnalysis,
        turn_count: int,
    ) -> tuple[CallSummary, CallProcessing] | None:
        """Insert the summary, count the call in the caller's profile and insert its
        scores (see _RECORD_CALL): the new summary and the tenant's call-processing
        settings, or None when this call_id is recorded already (nothing written)."""
        scores = analysis.personality.as_dict()
        row = await self._connection.fetchrow(
            _RECORD_CALL,
            self._customer_id,
            call_id,
            user_id,
            started_at,
            ended_at,
            duration_seconds,
            analysis.summary,
            json.dumps(list(analysis.key_topics)),
            analysis.sentiment,
            turn_count,
            analysis.caller_name or "",
            EXTRACT_MEMORIES,
            *(scores[t] for t in PERSONALITY_TRAITS),
        )
        if row is None:
            return None
        setting = row["extract_memories"]
        tenant = call_processing(row["time_zone"], None if setting is None else json.loads(setting))
        return summary_of(row), tenant

    async def stored(self, call_id: str) -> tuple[CallSummary, PersonalityScores] | None:
        """A recorded call's summary and scores."""
        row = await self._connection.fetchrow(_STORED, self._customer_id, call_id)
        if row is None:
            return None
        scores = PersonalityScores(**{t: float(row[t]) for t in PERSONALITY_TRAITS})
        return summary_of(row), scores

    async def personality_aggregates(self, user_id: str) -> PersonalityAggregates:
        row = await self._connection.fetchrow(_AGGREGATES, self._customer_id, user_id)
        assert row is not None
        return PersonalityAggregates(
            call_count=row["call_count"],
            averages={t: row[f"avg_{t}"] for t in AVERAGED_TRAITS},
            recent_frustration=row["recent_frustration"],
            recent_satisfaction=row["recent_satisfaction"],
            recent_urgency=row["recent_urgency"],
            latest_satisfaction=row["latest_satisfaction"],
            previous_satisfaction=row["previous_satisfaction"],
            latest_frustration=row["latest_frustration"],
            previous_frustration=row["previous_frustration"],
        )

    async def finish(
        self,
        user_id: str,
        call_id: str,
        started_at: dt.datetime,
        aggregates: PersonalityAggregates,
        follow_ups_: Sequence[NewFollowUp],
        memories: Sequence[tuple[NewMemory, Vector | None]],
    ) -> list[FollowUp]:
        """In one statement: the caller's personality_averages row (from `aggregates`,
        trends by the domain's rule), the call's follow-ups (returned, in ordinal
        order) and `memories` (as MemoryRepository.upsert would store each; their
        identities must differ)."""
        rows = await self._connection.fetch(
            _FINISH,
            self._customer_id,
            user_id,
            call_id,
            started_at,
            *follow_ups.insert_arguments(follow_ups_),
            *upsert_rows_arguments(memories),
            *_average_values(aggregates),
        )
        return follow_ups.follow_ups_of(rows)

    async def latest(self, user_id: str, limit: int) -> list[CallSummary]:
        if limit <= 0:
            return []
        rows = await self._connection.fetch(_LATEST, self._customer_id, user_id, limit)
        return [summary_of(row) for row in rows]

    async def summaries_page(self, user_id: str | None, page: PageRequest) -> list[CallSummary]:
        """Up to `page.fetch` summaries (every caller's when user_id is None), newest
        first, after `page.after` ((started_at, id))."""
        after_at, after_id = page.after if page.after is not None else (None, None)
        rows = await self._connection.fetch(
            _PAGE, self._customer_id, user_id, after_at, after_id, page.fetch
        )
        return [summary_of(row) for row in rows]
