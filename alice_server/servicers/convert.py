"""Conversions between domain values and protobuf messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from alice_server.domain.callers import CallerProfile
from alice_server.domain.calls import CallSummary
from alice_server.domain.errors import InvalidArgument
from alice_server.domain.follow_ups import FollowUp, FollowUpStatus
from alice_server.domain.history import MemoryChange
from alice_server.domain.memories import Memory, ScopeName
from alice_server.domain.personality import PersonalityAverages, labelled_scores
from alice_server.domain.retrieval import SearchHit, SearchMode
from alice_server.domain.summarizer import PersonalityScores, TranscriptTurn
from chad_client.v1 import follow_up_service_pb2 as fu_pb
from chad_client.v1 import memory_service_pb2
from chad_client.v1 import resources_pb2 as pb

SCOPE_NAMES: dict[int, ScopeName] = {
    pb.SCOPE_UNSPECIFIED: "user",
    pb.SCOPE_USER: "user",
    pb.SCOPE_SHARED: "shared",
}
_SCOPE_ENUM = {"user": pb.SCOPE_USER, "shared": pb.SCOPE_SHARED}
_SPEAKERS = {pb.ROLE_CALLER: "caller", pb.ROLE_AGENT: "agent", pb.ROLE_SYSTEM: "system"}
_SENTIMENTS: dict[str, pb.Sentiment] = {
    "positive": pb.SENTIMENT_POSITIVE,
    "neutral": pb.SENTIMENT_NEUTRAL,
    "negative": pb.SENTIMENT_NEGATIVE,
}
_TRENDS = {
    None: pb.TREND_UNSPECIFIED,
    "increasing": pb.TREND_INCREASING,
    "decreasing": pb.TREND_DECREASING,
    "stable": pb.TREND_STABLE,
}


def scope_name(value: int) -> ScopeName:
    try:
        return SCOPE_NAMES[value]
    except KeyError:
        raise InvalidArgument("scope must be SCOPE_USER or SCOPE_SHARED") from None


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def timestamp(value: dt.datetime | None) -> timestamp_pb2.Timestamp | None:
    """An aware (or UTC naive) datetime as a Timestamp: integer arithmetic only, a
    few times cheaper than Timestamp.FromDatetime on the call-start path."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    delta = value - _EPOCH
    return timestamp_pb2.Timestamp(
        seconds=delta.days * 86400 + delta.seconds, nanos=delta.microseconds * 1000
    )


def _set_time(field: timestamp_pb2.Timestamp, value: dt.datetime) -> None:
    """`field` (a Timestamp field of a message) set in place to `value`: cheaper than
    building a Timestamp and copying it in through a constructor argument."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    delta = value - _EPOCH
    field.seconds = delta.days * 86400 + delta.seconds
    field.nanos = delta.microseconds * 1000


def _set_struct(field: struct_pb2.Struct, value: dict[str, Any]) -> None:
    """`field` (a Struct field of a message) set in place to `value`, present even when empty."""
    if value:
        field.update(value)
    else:
        field.SetInParent()


def datetime_of(message: Any, field: str) -> dt.datetime | None:
    """An optional Timestamp field of a request as an aware datetime."""
    if not message.HasField(field):
        return None
    try:
        return getattr(message, field).ToDatetime(tzinfo=dt.UTC)  # type: ignore[no-any-return]
    except (ValueError, OverflowError):
        raise InvalidArgument(f"{field} is not a valid timestamp") from None


def struct_to_dict(message: Any, field: str) -> dict[str, Any] | None:
    if not message.HasField(field):
        return None
    try:
        return json_format.MessageToDict(getattr(message, field))
    except ValueError:  # NaN or infinity: JSON (and jsonb) cannot hold them
        raise InvalidArgument(f"{field} must not contain NaN or infinite numbers") from None


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


def turns(messages: Any) -> list[TranscriptTurn]:
    result = []
    for index, turn in enumerate(messages):
        speaker = _SPEAKERS.get(turn.role)
        if speaker is None:
            raise InvalidArgument(
                f"turns[{index}].role must be ROLE_CALLER, ROLE_AGENT or ROLE_SYSTEM"
            )
        result.append(TranscriptTurn(speaker=speaker, text=turn.content))  # type: ignore[arg-type]
    return result


def memory(row: Memory) -> pb.Memory:
    message = pb.Memory()
    set_memory(message, row)
    return message


def set_memory(message: pb.Memory, row: Memory) -> None:
    """`message` (a new Memory, e.g. a repeated field's `add()`) filled in place: the
    call start converts many memories, and setting fields is cheaper than constructor
    arguments or copying a converted message into the response."""
    message.id = str(row.id)
    message.scope = _SCOPE_ENUM[row.scope]
    message.user_id = row.user_id
    message.type = row.type
    message.key = row.key
    message.source = row.source
    message.ttl_days = row.ttl_days
    if row.call_id:
        message.call_id = row.call_id
    _set_struct(message.value, row.value)
    _set_time(message.created_at, row.created_at)
    _set_time(message.updated_at, row.updated_at)
    _set_time(message.expires_at, row.expires_at)


_SEARCH_MODES: dict[int, SearchMode] = {
    memory_service_pb2.SEARCH_MODE_UNSPECIFIED: SearchMode.HYBRID,
    memory_service_pb2.SEARCH_MODE_HYBRID: SearchMode.HYBRID,
    memory_service_pb2.SEARCH_MODE_KEYWORD: SearchMode.KEYWORD,
    memory_service_pb2.SEARCH_MODE_SEMANTIC: SearchMode.SEMANTIC,
}


def search_mode(value: int) -> SearchMode:
    try:
        return _SEARCH_MODES[value]
    except KeyError:
        raise InvalidArgument(f"mode {value} is not a SearchMode") from None


def search_hit(hit: SearchHit[Memory]) -> memory_service_pb2.MemorySearchResult:
    return memory_service_pb2.MemorySearchResult(
        memory=memory(hit.memory),
        score=hit.score,
        keyword_match=hit.keyword_match,
        keyword_rank=hit.keyword_rank,
        semantic_match=hit.semantic_match,
        semantic_rank=hit.semantic_rank,
        semantic_similarity=hit.similarity,
    )


def memory_change(change: MemoryChange) -> pb.MemoryHistoryEntry:
    return pb.MemoryHistoryEntry(
        memory_id=str(change.memory_id),
        change=change.change,
        previous_value=struct(change.previous_value),
        previous_source=change.previous_source,
        changed_by=change.changed_by,
        changed_at=timestamp(change.changed_at),
        scope=_SCOPE_ENUM[change.scope],
        user_id=change.user_id,
        type=change.type,
        key=change.key,
    )


def caller_profile(row: CallerProfile) -> pb.CallerProfile:
    # A profile written before the first processed call has no call times.
    message = pb.CallerProfile(
        user_id=row.user_id, total_calls=row.total_calls, preferred_name=row.preferred_name
    )
    if row.total_calls > 0:
        _set_time(message.first_call_at, row.first_call_at)
        _set_time(message.last_call_at, row.last_call_at)
    _set_struct(message.preferences, row.preferences)
    _set_time(message.created_at, row.created_at)
    _set_time(message.updated_at, row.updated_at)
    return message


def call_summary(row: CallSummary) -> pb.CallSummary:
    message = pb.CallSummary()
    set_call_summary(message, row)
    return message


def set_call_summary(message: pb.CallSummary, row: CallSummary) -> None:
    """`message` (a new CallSummary, e.g. a repeated field's `add()`) filled in place."""
    message.call_id = row.call_id
    message.user_id = row.user_id
    message.duration_seconds = row.duration_seconds or 0
    message.summary = row.summary
    message.key_topics.extend(row.key_topics)
    message.sentiment = _SENTIMENTS.get(row.sentiment, pb.SENTIMENT_UNSPECIFIED)
    message.turn_count = row.turn_count
    _set_time(message.started_at, row.started_at)
    if row.ended_at is not None:
        _set_time(message.ended_at, row.ended_at)
    _set_time(message.created_at, row.created_at)


def sentiment(value: str) -> pb.Sentiment:
    return _SENTIMENTS.get(value, pb.SENTIMENT_UNSPECIFIED)


def scores(value: PersonalityScores) -> pb.PersonalityScores:
    return pb.PersonalityScores(**value.as_dict())


def personality(row: PersonalityAverages) -> pb.Personality:
    message = pb.Personality(
        user_id=row.user_id,
        call_count=row.call_count,
        averages=row.averages,
        recent_frustration=row.recent_frustration,
        recent_satisfaction=row.recent_satisfaction,
        recent_urgency=row.recent_urgency,
        satisfaction_trend=_TRENDS[row.satisfaction_trend],
        frustration_trend=_TRENDS[row.frustration_trend],
    )
    labels = message.labels
    for trait, score, text in labelled_scores(row):
        labels.add(trait=trait, score=score, label=text)
    _set_time(message.updated_at, row.updated_at)
    return message


_FOLLOW_UP_STATUSES: dict[str, fu_pb.FollowUpStatus] = {
    "open": fu_pb.FOLLOW_UP_STATUS_OPEN,
    "done": fu_pb.FOLLOW_UP_STATUS_DONE,
    "cancelled": fu_pb.FOLLOW_UP_STATUS_CANCELLED,
}
_FOLLOW_UP_STATUS_NAMES: dict[int, FollowUpStatus | None] = {
    fu_pb.FOLLOW_UP_STATUS_UNSPECIFIED: None,
    fu_pb.FOLLOW_UP_STATUS_OPEN: "open",
    fu_pb.FOLLOW_UP_STATUS_DONE: "done",
    fu_pb.FOLLOW_UP_STATUS_CANCELLED: "cancelled",
}
_PARTIES = {"agent": fu_pb.FOLLOW_UP_PARTY_AGENT, "caller": fu_pb.FOLLOW_UP_PARTY_CALLER}


def follow_up_status(value: int) -> FollowUpStatus | None:
    """A request's status filter (None: unspecified)."""
    try:
        return _FOLLOW_UP_STATUS_NAMES[value]
    except KeyError:
        raise InvalidArgument(
            "status must be FOLLOW_UP_STATUS_OPEN, _DONE or _CANCELLED (or unspecified)"
        ) from None


def follow_up(row: FollowUp, now: dt.datetime) -> fu_pb.FollowUp:
    """`now`: the moment `overdue` is judged at (the call start for a context)."""
    message = fu_pb.FollowUp(
        id=str(row.id),
        user_id=row.user_id,
        call_id=row.call_id,
        party=_PARTIES.get(row.party, fu_pb.FOLLOW_UP_PARTY_UNSPECIFIED),
        action=row.action,
        due_phrase=row.due_phrase,
        status=_FOLLOW_UP_STATUSES.get(row.status, fu_pb.FOLLOW_UP_STATUS_UNSPECIFIED),
        overdue=row.overdue(now),
    )
    if row.due_at is not None:
        _set_time(message.due_at, row.due_at)
    _set_time(message.promised_at, row.promised_at)
    _set_time(message.created_at, row.created_at)
    _set_time(message.updated_at, row.updated_at)
    if row.resolved_at is not None:
        _set_time(message.resolved_at, row.resolved_at)
    return message
