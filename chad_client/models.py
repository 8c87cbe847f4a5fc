"""Typed results (plain frozen dataclasses) and the conversions from protobuf."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, Union

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from chad_client.v1 import context_service_pb2 as ctx_pb
from chad_client.v1 import memory_service_pb2 as mem_pb
from chad_client.v1 import resources_pb2 as pb

Scope = Literal["user", "shared"]
Role = Literal["caller", "agent", "system"]
Sentiment = Literal["positive", "neutral", "negative", "unspecified"]
Trend = Literal["increasing", "decreasing", "stable"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of a call transcript."""

    role: Role
    content: str


# Legacy transcripts say "user" and "assistant".
_ROLE_ALIASES: dict[str, Role] = {"user": "caller", "assistant": "agent"}
TurnLike = Union[Turn, tuple[str, str]]  # noqa: UP007 - a runtime alias on 3.11


@dataclass(frozen=True, slots=True)
class Memory:
    id: str
    scope: Scope
    user_id: str
    type: str
    key: str
    value: dict[str, Any]
    source: str
    ttl_days: int
    created_at: dt.datetime
    updated_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class StoredMemory:
    memory: Memory
    created: bool
    customer_id: int


@dataclass(frozen=True, slots=True)
class SearchHit:
    memory: Memory
    score: float


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list; `next_page_token` is empty on the last page."""

    items: list[T]
    next_page_token: str


@dataclass(frozen=True, slots=True)
class PersonalityScores:
    openness: float
    conscientiousness: float
    extraversion: float
    agreeableness: float
    neuroticism: float
    formality: float
    directness: float
    detail_orientation: float
    patience: float
    technical_comfort: float
    frustration_level: float
    satisfaction_level: float
    urgency_level: float


@dataclass(frozen=True, slots=True)
class TraitLabel:
    trait: str
    score: float
    label: str


@dataclass(frozen=True, slots=True)
class Personality:
    user_id: str
    call_count: int
    averages: PersonalityScores
    recent_frustration: float
    recent_satisfaction: float
    recent_urgency: float
    satisfaction_trend: Trend | None
    frustration_trend: Trend | None
    labels: list[TraitLabel]
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CallerProfile:
    user_id: str
    first_call_at: dt.datetime
    last_call_at: dt.datetime
    total_calls: int
    preferred_name: str
    preferences: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CallSummary:
    call_id: str
    user_id: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    duration_seconds: int | None
    summary: str
    key_topics: list[str]
    sentiment: Sentiment
    turn_count: int
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EnrichedContext:
    """What Alice knows about a caller at the start of a call.

    `text` goes into the LLM prompt. `degraded` is True only when the
    fail-soft helper returned an empty context because Alice failed;
    `degraded_reason` then says why.
    """

    customer_id: int
    user_id: str
    is_new_caller: bool
    text: str
    profile: CallerProfile | None
    personality: Personality | None
    summaries: list[CallSummary]
    memories: list[Memory]
    degraded: bool = False
    degraded_reason: str = ""

    @classmethod
    def empty(cls, customer_id: int, user_id: str, reason: str) -> EnrichedContext:
        return cls(customer_id, user_id, True, "", None, None, [], [], True, reason)


@dataclass(frozen=True, slots=True)
class CallResult:
    customer_id: int
    call_id: str
    summary: str
    sentiment: Sentiment
    key_topics: list[str]
    personality: PersonalityScores
    already_processed: bool = field(default=False)


# --------------------------------------------------------------------------- from protobuf

_SCOPES: dict[int, Scope] = {pb.SCOPE_USER: "user", pb.SCOPE_SHARED: "shared"}
_SCOPE_ENUMS: dict[Scope, pb.Scope] = {"user": pb.SCOPE_USER, "shared": pb.SCOPE_SHARED}
_ROLE_ENUMS: dict[Role, pb.Role] = {
    "caller": pb.ROLE_CALLER,
    "agent": pb.ROLE_AGENT,
    "system": pb.ROLE_SYSTEM,
}
_SENTIMENTS: dict[int, Sentiment] = {
    pb.SENTIMENT_POSITIVE: "positive",
    pb.SENTIMENT_NEUTRAL: "neutral",
    pb.SENTIMENT_NEGATIVE: "negative",
}
_TRENDS: dict[int, Trend] = {
    pb.TREND_INCREASING: "increasing",
    pb.TREND_DECREASING: "decreasing",
    pb.TREND_STABLE: "stable",
}
_SCORE_FIELDS = tuple(PersonalityScores.__dataclass_fields__)


def _time(message: timestamp_pb2.Timestamp) -> dt.datetime:
    return message.ToDatetime(tzinfo=dt.UTC)


def _optional_time(owner: Any, name: str) -> dt.datetime | None:
    return _time(getattr(owner, name)) if owner.HasField(name) else None


def _dict(message: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(message)


def memory(message: pb.Memory) -> Memory:
    return Memory(
        id=message.id,
        scope=_SCOPES.get(message.scope, "user"),
        user_id=message.user_id,
        type=message.type,
        key=message.key,
        value=_dict(message.value),
        source=message.source,
        ttl_days=message.ttl_days,
        created_at=_time(message.created_at),
        updated_at=_time(message.updated_at),
        expires_at=_time(message.expires_at),
    )


def scores(message: pb.PersonalityScores) -> PersonalityScores:
    return PersonalityScores(**{name: getattr(message, name) for name in _SCORE_FIELDS})


def personality(message: pb.Personality) -> Personality:
    return Personality(
        user_id=message.user_id,
        call_count=message.call_count,
        averages=scores(message.averages),
        recent_frustration=message.recent_frustration,
        recent_satisfaction=message.recent_satisfaction,
        recent_urgency=message.recent_urgency,
        satisfaction_trend=_TRENDS.get(message.satisfaction_trend),
        frustration_trend=_TRENDS.get(message.frustration_trend),
        labels=[TraitLabel(t.trait, t.score, t.label) for t in message.labels],
        updated_at=_time(message.updated_at),
    )


def caller_profile(message: pb.CallerProfile) -> CallerProfile:
    return CallerProfile(
        user_id=message.user_id,
        first_call_at=_time(message.first_call_at),
        last_call_at=_time(message.last_call_at),
        total_calls=message.total_calls,
        preferred_name=message.preferred_name,
        preferences=_dict(message.preferences),
        created_at=_time(message.created_at),
        updated_at=_time(message.updated_at),
    )


def call_summary(message: pb.CallSummary) -> CallSummary:
    return CallSummary(
        call_id=message.call_id,
        user_id=message.user_id,
        started_at=_time(message.started_at),
        ended_at=_optional_time(message, "ended_at"),
        duration_seconds=message.duration_seconds if message.HasField("ended_at") else None,
        summary=message.summary,
        key_topics=list(message.key_topics),
        sentiment=_SENTIMENTS.get(message.sentiment, "unspecified"),
        turn_count=message.turn_count,
        created_at=_time(message.created_at),
    )


def enriched_context(message: ctx_pb.GetEnrichedContextResponse) -> EnrichedContext:
    return EnrichedContext(
        customer_id=message.customer_id,
        user_id=message.user_id,
        is_new_caller=message.is_new_caller,
        text=message.context,
        profile=caller_profile(message.profile) if message.HasField("profile") else None,
        personality=personality(message.personality) if message.HasField("personality") else None,
        summaries=[call_summary(s) for s in message.summaries],
        memories=[memory(m) for m in message.memories],
    )


def call_result(message: ctx_pb.ProcessCallResponse) -> CallResult:
    return CallResult(
        customer_id=message.customer_id,
        call_id=message.call_id,
        summary=message.summary,
        sentiment=_SENTIMENTS.get(message.sentiment, "unspecified"),
        key_topics=list(message.key_topics),
        personality=scores(message.personality),
        already_processed=message.already_processed,
    )


def stored_memory(message: mem_pb.StoreMemoryResponse) -> StoredMemory:
    return StoredMemory(memory(message.memory), message.created, message.customer_id)


# --------------------------------------------------------------------------- to protobuf


def scope_enum(scope: Scope) -> pb.Scope:
    try:
        return _SCOPE_ENUMS[scope]
    except KeyError:
        raise ValueError(f"scope must be 'user' or 'shared', not {scope!r}") from None


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


def timestamp(value: dt.datetime) -> timestamp_pb2.Timestamp:
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware (for example datetime.now(UTC))")
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(value)
    return message


def turns(transcript: Iterable[TurnLike]) -> list[pb.Turn]:
    """Turns, or (role, content) pairs with role caller/agent/system (or user/assistant)."""
    result = []
    for item in transcript:
        role, content = (item.role, item.content) if isinstance(item, Turn) else item
        canonical = _ROLE_ALIASES.get(role, role)
        if canonical not in _ROLE_ENUMS:
            raise ValueError(f"turn role must be caller, agent or system, not {role!r}")
        result.append(pb.Turn(role=_ROLE_ENUMS[canonical], content=content))
    return result


def page(items: Sequence[T], token: str) -> Page[T]:
    return Page(list(items), token)
