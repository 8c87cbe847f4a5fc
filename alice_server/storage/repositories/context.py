"""The call start: everything GetEnrichedContext needs, in ONE round trip.

One statement, `SELECT alice_call_start_context(...)` (migration 0003): a
SECURITY INVOKER function that sets the tenant transaction-locally in the
statement's own transaction and returns the profile, personality, latest call
summaries and context memories as one JSON document. Row-level security
applies inside it as everywhere else.

With asyncpg's statement cache on, a repeated statement is one Bind/Execute/Sync
exchange: one round trip. The statement timeout of a single statement cannot be
set inside it (PostgreSQL arms the timer when the statement starts), so the
driver enforces it: past `statement_timeout_ms` asyncpg sends a cancel request
to the server and the call fails with StatementTimeout.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from alice_server.domain.callers import CallerProfile
from alice_server.domain.calls import CallSummary
from alice_server.domain.context import ContextData
from alice_server.domain.embeddings import Vector
from alice_server.domain.follow_ups import FollowUp
from alice_server.domain.memories import Memory
from alice_server.domain.personality import PersonalityAverages
from alice_server.domain.retrieval import Candidate, top_candidates
from alice_server.domain.traits import AVERAGED_TRAITS
from alice_server.storage.repositories.base import StatementRepository
from alice_server.storage.repositories.memories import embedding_similarities

# $8: how many open follow-ups of the caller (migration 0007).
CALL_START = "SELECT alice_call_start_context($1, $2, $3, $4, $5, $6, $7, p_follow_ups => $8)::text"
# With a query (migration 0009): the document holds every memory in scope with its
# full-text score; the embeddings of those that have one come as raw bytes, in the
# same order (embedding_bytes), and are ranked here.
CALL_START_FOR_QUERY = (
    "SELECT document::text, embeddings "
    "FROM alice_call_start_search($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
)

_timestamp = dt.datetime.fromisoformat


def _optional_timestamp(value: str | None) -> dt.datetime | None:
    return None if value is None else _timestamp(value)


class ContextRepository(StatementRepository):
    """Bound to a connection with no tenant set: the statement sets it itself."""

    __slots__ = ()

    async def call_start(
        self,
        user_id: str,
        summaries: int,
        memories: int,
        excluded_types: list[str],
        hidden_settings: tuple[str, list[str]] = ("", []),
        follow_ups: int = 0,
    ) -> ContextData:
        """The caller's profile, personality, `summaries` latest call summaries,
        `memories` memories (the caller's newest, then the shared ones), without
        `excluded_types`, nor shared memories of type `hidden_settings[0]` whose key
        is in `hidden_settings[1]`, and `follow_ups` open follow-ups, due first."""
        hidden_type, hidden_keys = hidden_settings
        document = await self._fetchval(
            CALL_START,
            self._customer_id,
            user_id,
            summaries,
            memories,
            excluded_types,
            hidden_type,
            hidden_keys,
            follow_ups,
        )
        return context_of(json.loads(document))

    async def call_start_for_query(
        self,
        user_id: str,
        summaries: int,
        memories: int,
        excluded_types: list[str],
        query: str,
        embedding: Vector | None,
        depth: int,
        follow_ups: int = 0,
    ) -> tuple[ContextData, list[Candidate[Memory]]]:
        """As `call_start`, but the memories come back as the keyword and semantic
        candidates for `query` (the caller's and the shared ones, `depth` of each
        ranking), for the service to fuse as SearchMemories does. The statement
        returns every memory in scope; the rankings are made here, as for
        SearchMemories (storage/repositories/memories.py)."""
        row = await self._fetchrow(
            CALL_START_FOR_QUERY,
            self._customer_id,
            user_id,
            summaries,
            memories,
            excluded_types,
            "",
            [],
            query,
            embedding is not None,
            follow_ups,
        )
        assert row is not None
        parsed = json.loads(row["document"])
        rows = parsed["candidates"] or []
        blobs: list[bytes | None] = [None] * len(rows)
        if row["embeddings"]:
            present = [i for i, item in enumerate(rows) if item["has_embedding"]]
            joined = row["embeddings"]
            size = len(joined) // max(len(present), 1)
            for n, i in enumerate(present):
                blobs[i] = joined[n * size : (n + 1) * size]
        found = top_candidates(
            [item["keyword_score"] for item in rows],
            embedding_similarities(blobs, embedding),
            depth,
        )
        candidates = [
            Candidate(_memory(rows[i]), k_rank, k_score, s_rank, similarity)
            for i, k_rank, k_score, s_rank, similarity in found
        ]
        return context_of(parsed), candidates


def context_of(document: dict[str, Any]) -> ContextData:
    profile = document["profile"]
    personality = document["personality"]
    return ContextData(
        profile=None if profile is None else _profile(profile),
        personality=None if personality is None else _personality(personality),
        summaries=[_summary(s) for s in document["summaries"]],
        memories=[_memory(m) for m in document["memories"]],
        follow_ups=[_follow_up(f) for f in document.get("follow_ups") or []],
        time_zone=document.get("time_zone") or "UTC",
    )


def _profile(row: dict[str, Any]) -> CallerProfile:
    return CallerProfile(
        user_id=row["user_id"],
        first_call_at=_timestamp(row["first_call_at"]),
        last_call_at=_timestamp(row["last_call_at"]),
        total_calls=row["total_calls"],
        preferred_name=row["preferred_name"],
        preferences=row["preferences"],
        created_at=_timestamp(row["created_at"]),
        updated_at=_timestamp(row["updated_at"]),
    )


def _personality(row: dict[str, Any]) -> PersonalityAverages:
    return PersonalityAverages(
        user_id=row["user_id"],
        call_count=row["call_count"],
        averages={t: float(row[f"avg_{t}"]) for t in AVERAGED_TRAITS},
        recent_frustration=float(row["recent_frustration"]),
        recent_satisfaction=float(row["recent_satisfaction"]),
        recent_urgency=float(row["recent_urgency"]),
        satisfaction_trend=row["satisfaction_trend"],
        frustration_trend=row["frustration_trend"],
        updated_at=_timestamp(row["updated_at"]),
    )


def _summary(row: dict[str, Any]) -> CallSummary:
    return CallSummary(
        id=row["id"],
        call_id=row["call_id"],
        user_id=row["user_id"],
        started_at=_timestamp(row["started_at"]),
        ended_at=_optional_timestamp(row["ended_at"]),
        duration_seconds=row["duration_seconds"],
        summary=row["summary"],
        key_topics=row["key_topics"],
        sentiment=row["sentiment"],
        turn_count=row["turn_count"],
        created_at=_timestamp(row["created_at"]),
    )


def _memory(row: dict[str, Any]) -> Memory:
    return Memory(
        id=uuid.UUID(row["id"]),
        scope=row["scope"],
        user_id=row["user_id"],
        type=row["type"],
        key=row["key"],
        value=row["value"],
        source=row["source"],
        ttl_days=row["ttl_days"],
        created_at=_timestamp(row["created_at"]),
        updated_at=_timestamp(row["updated_at"]),
        expires_at=_timestamp(row["expires_at"]),
        call_id=row.get("call_id"),
    )


def _follow_up(row: dict[str, Any]) -> FollowUp:
    return FollowUp(
        id=uuid.UUID(row["id"]),
        user_id=row["user_id"],
        call_id=row["call_id"],
        ordinal=row["ordinal"],
        party=row["party"],
        action=row["action"],
        due_phrase=row["due_phrase"],
        due_at=_optional_timestamp(row["due_at"]),
        promised_at=_timestamp(row["promised_at"]),
        status=row["status"],
        created_at=_timestamp(row["created_at"]),
        updated_at=_timestamp(row["updated_at"]),
        resolved_at=_optional_timestamp(row["resolved_at"]),
    )
