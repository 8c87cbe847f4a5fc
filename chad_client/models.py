"""Typed results (plain frozen dataclasses) and the conversions from protobuf."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, Union

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from chad_client.v1 import call_service_pb2 as call_pb
from chad_client.v1 import context_service_pb2 as ctx_pb
from chad_client.v1 import follow_up_service_pb2 as fu_pb
from chad_client.v1 import memory_service_pb2 as mem_pb
from chad_client.v1 import resources_pb2 as pb

Scope = Literal["user", "shared"]
Role = Literal["caller", "agent", "system"]
Sentiment = Literal["positive", "neutral", "negative", "unspecified"]
Trend = Literal["increasing", "decreasing", "stable"]
Direction = Literal["inbound", "outbound", "unspecified"]
# How SearchMemories ranks: keyword and semantic rankings fused (the server's
# default), full-text only, or embedding similarity only.
SearchMode = Literal["hybrid", "keyword", "semantic"]
# Where a follow-up stands, and who made the promise.
FollowUpStatus = Literal["open", "done", "cancelled"]
Party = Literal["agent", "caller"]

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
    # The call the value was extracted from (ProcessCall); "" otherwise.
    call_id: str = ""


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A promise made during a call, open until marked done or cancelled.

    `due_at` is the deadline its words set (`due_phrase`), resolved against the
    call's start (`promised_at`) in the tenant's time zone; None when the call
    named none. `overdue`: open and past due when Alice answered."""

    id: str
    user_id: str
    call_id: str
    party: Party
    action: str
    due_phrase: str
    due_at: dt.datetime | None
    status: FollowUpStatus
    overdue: bool
    promised_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class StoredMemory:
    memory: Memory
    created: bool
    customer_id: int


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result and the signals that ranked it.

    `score`: higher is better (hybrid: the fused score; keyword: ts_rank_cd;
    semantic: cosine similarity). `keyword_match`/`keyword_rank`: the memory
    shares a word with the query, and its place in the keyword ranking (1 =
    best, 0 when not matched); likewise `semantic_match`/`semantic_rank`, and
    `semantic_similarity` (-1..1; 0 without an embedding)."""

    memory: Memory
    score: float
    keyword_match: bool = False
    keyword_rank: int = 0
    semantic_match: bool = False
    semantic_rank: int = 0
    semantic_similarity: float = 0.0


@dataclass(frozen=True, slots=True)
class MemoryHistoryEntry:
    """One earlier value of a memory (GetMemoryHistory), newest change first.

    `change` is "update" (a store replaced `previous_value`) or "delete";
    `changed_by` is the source of the change ("api" for a deletion)."""

    memory_id: str
    change: str
    previous_value: dict[str, Any]
    previous_source: str
    changed_by: str
    changed_at: dt.datetime
    scope: Scope
    user_id: str
    type: str
    key: str


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
    """A caller's profile. Before the first processed call (a profile created by
    `update_caller_profile`) `total_calls` is 0 and the call times are None."""

    user_id: str
    first_call_at: dt.datetime | None
    last_call_at: dt.datetime | None
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
    # The call's record (number dialled, CallSid...), when one was stored;
    # filled by list_call_summaries.
    record: CallRecord | None = None


@dataclass(frozen=True, slots=True)
class TranscriptTurn:
    """One turn of a call's stored transcript. `sequence` (0, 1, 2... within the
    call) makes appends idempotent: a retried turn is stored once."""

    sequence: int
    role: Role
    content: str
    spoken_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class AppendResult:
    call_id: str
    appended: int
    already_stored: int
    turn_count: int
    next_sequence: int


@dataclass(frozen=True, slots=True)
class CallTranscript:
    call_id: str
    user_id: str
    turns: list[TranscriptTurn]


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What is recorded about a call besides its transcript and summary."""

    call_id: str
    user_id: str
    direction: Direction
    dialled_number: str
    external_call_id: str
    transfer_target: str
    recording_url: str
    transcript_url: str
    turn_count: int
    first_turn_at: dt.datetime | None
    last_turn_at: dt.datetime | None
    processed: bool
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TenantStats:
    customer_id: int
    caller_memory_count: int
    shared_memory_count: int
    caller_count: int
    processed_call_count: int
    recorded_call_count: int
    transcript_turn_count: int
    last_call_at: dt.datetime | None


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
    # The caller's open follow-ups, earliest due first (the text lists them too).
    follow_ups: list[FollowUp] = field(default_factory=list)

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
    # The promises made in the call, stored as follow-ups of the caller.
    follow_ups: list[FollowUp] = field(default_factory=list)


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
        call_id=message.call_id,
    )


_FOLLOW_UP_STATUSES: dict[int, FollowUpStatus] = {
    fu_pb.FOLLOW_UP_STATUS_OPEN: "open",
    fu_pb.FOLLOW_UP_STATUS_DONE: "done",
    fu_pb.FOLLOW_UP_STATUS_CANCELLED: "cancelled",
}
_FOLLOW_UP_STATUS_ENUMS = {name: number for number, name in _FOLLOW_UP_STATUSES.items()}


def follow_up(message: fu_pb.FollowUp) -> FollowUp:
    return FollowUp(
        id=message.id,
        user_id=message.user_id,
        call_id=message.call_id,
        party="caller" if message.party == fu_pb.FOLLOW_UP_PARTY_CALLER else "agent",
        action=message.action,
        due_phrase=message.due_phrase,
        due_at=_optional_time(message, "due_at"),
        status=_FOLLOW_UP_STATUSES.get(message.status, "open"),
        overdue=message.overdue,
        promised_at=_time(message.promised_at),
        created_at=_time(message.created_at),
        updated_at=_time(message.updated_at),
        resolved_at=_optional_time(message, "resolved_at"),
    )


def follow_up_status_enum(status: FollowUpStatus) -> fu_pb.FollowUpStatus:
    try:
        return _FOLLOW_UP_STATUS_ENUMS[status]  # type: ignore[return-value]
    except KeyError:
        raise ValueError(f"status must be 'open', 'done' or 'cancelled', not {status!r}") from None


def search_hit(message: mem_pb.MemorySearchResult) -> SearchHit:
    return SearchHit(
        memory=memory(message.memory),
        score=message.score,
        keyword_match=message.keyword_match,
        keyword_rank=message.keyword_rank,
        semantic_match=message.semantic_match,
        semantic_rank=message.semantic_rank,
        semantic_similarity=message.semantic_similarity,
    )


def memory_history_entry(message: pb.MemoryHistoryEntry) -> MemoryHistoryEntry:
    return MemoryHistoryEntry(
        memory_id=message.memory_id,
        change=message.change,
        previous_value=_dict(message.previous_value),
        previous_source=message.previous_source,
        changed_by=message.changed_by,
        changed_at=_time(message.changed_at),
        scope=_SCOPES.get(message.scope, "user"),
        user_id=message.user_id,
        type=message.type,
        key=message.key,
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
        first_call_at=_optional_time(message, "first_call_at"),
        last_call_at=_optional_time(message, "last_call_at"),
        total_calls=message.total_calls,
        preferred_name=message.preferred_name,
        preferences=_dict(message.preferences),
        created_at=_time(message.created_at),
        updated_at=_time(message.updated_at),
    )


def call_summary(message: pb.CallSummary, record: CallRecord | None = None) -> CallSummary:
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
        record=record,
    )


_DIRECTIONS: dict[int, Direction] = {
    call_pb.CALL_DIRECTION_INBOUND: "inbound",
    call_pb.CALL_DIRECTION_OUTBOUND: "outbound",
}
_DIRECTION_ENUMS: dict[str, call_pb.CallDirection] = {
    "inbound": call_pb.CALL_DIRECTION_INBOUND,
    "outbound": call_pb.CALL_DIRECTION_OUTBOUND,
}
_ROLES: dict[int, Role] = {
    pb.ROLE_CALLER: "caller",
    pb.ROLE_AGENT: "agent",
    pb.ROLE_SYSTEM: "system",
}


def call_record(message: call_pb.CallRecord) -> CallRecord:
    return CallRecord(
        call_id=message.call_id,
        user_id=message.user_id,
        direction=_DIRECTIONS.get(message.direction, "unspecified"),
        dialled_number=message.dialled_number,
        external_call_id=message.external_call_id,
        transfer_target=message.transfer_target,
        recording_url=message.recording_url,
        transcript_url=message.transcript_url,
        turn_count=message.turn_count,
        first_turn_at=_optional_time(message, "first_turn_at"),
        last_turn_at=_optional_time(message, "last_turn_at"),
        processed=message.processed,
        created_at=_time(message.created_at),
        updated_at=_time(message.updated_at),
    )


def transcript_turn(message: call_pb.TranscriptTurn) -> TranscriptTurn:
    return TranscriptTurn(
        sequence=message.sequence,
        role=_ROLES.get(message.role, "system"),
        content=message.content,
        spoken_at=_optional_time(message, "spoken_at"),
    )


def call_transcript(message: call_pb.GetCallTranscriptResponse) -> CallTranscript:
    return CallTranscript(
        message.call_id, message.user_id, [transcript_turn(t) for t in message.turns]
    )


def append_result(message: call_pb.AppendTranscriptTurnsResponse) -> AppendResult:
    return AppendResult(
        call_id=message.call_id,
        appended=message.appended,
        already_stored=message.already_stored,
        turn_count=message.turn_count,
        next_sequence=message.next_sequence,
    )


def tenant_stats(message: ctx_pb.GetTenantStatsResponse) -> TenantStats:
    return TenantStats(
        customer_id=message.customer_id,
        caller_memory_count=message.caller_memory_count,
        shared_memory_count=message.shared_memory_count,
        caller_count=message.caller_count,
        processed_call_count=message.processed_call_count,
        recorded_call_count=message.recorded_call_count,
        transcript_turn_count=message.transcript_turn_count,
        last_call_at=_optional_time(message, "last_call_at"),
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
        follow_ups=[follow_up(f) for f in message.follow_ups],
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
        follow_ups=[follow_up(f) for f in message.follow_ups],
    )


def stored_memory(message: mem_pb.StoreMemoryResponse) -> StoredMemory:
    return StoredMemory(memory(message.memory), message.created, message.customer_id)


# --------------------------------------------------------------------------- to protobuf


_SEARCH_MODES: dict[SearchMode, mem_pb.SearchMode] = {
    "hybrid": mem_pb.SEARCH_MODE_HYBRID,
    "keyword": mem_pb.SEARCH_MODE_KEYWORD,
    "semantic": mem_pb.SEARCH_MODE_SEMANTIC,
}


def search_mode_enum(mode: SearchMode) -> mem_pb.SearchMode:
    try:
        return _SEARCH_MODES[mode]
    except KeyError:
        raise ValueError(f"mode must be 'hybrid', 'keyword' or 'semantic', not {mode!r}") from None


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


def direction_enum(direction: Direction | None) -> call_pb.CallDirection:
    if direction is None or direction == "unspecified":
        return call_pb.CALL_DIRECTION_UNSPECIFIED
    try:
        return _DIRECTION_ENUMS[direction]
    except KeyError:
        raise ValueError(f"direction must be 'inbound' or 'outbound', not {direction!r}") from None


def transcript_turns(transcript: Iterable[TranscriptTurn]) -> list[call_pb.TranscriptTurn]:
    result = []
    for turn in transcript:
        role = _ROLE_ALIASES.get(turn.role, turn.role)
        if role not in _ROLE_ENUMS:
            raise ValueError(f"turn role must be caller, agent or system, not {turn.role!r}")
        result.append(
            call_pb.TranscriptTurn(
                sequence=turn.sequence,
                role=_ROLE_ENUMS[role],
                content=turn.content,
                spoken_at=timestamp(turn.spoken_at) if turn.spoken_at else None,
            )
        )
    return result


def page(items: Sequence[T], token: str) -> Page[T]:
    return Page(list(items), token)
