import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Scope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCOPE_UNSPECIFIED: _ClassVar[Scope]
    SCOPE_USER: _ClassVar[Scope]
    SCOPE_SHARED: _ClassVar[Scope]

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_CALLER: _ClassVar[Role]
    ROLE_AGENT: _ClassVar[Role]
    ROLE_SYSTEM: _ClassVar[Role]

class Sentiment(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SENTIMENT_UNSPECIFIED: _ClassVar[Sentiment]
    SENTIMENT_POSITIVE: _ClassVar[Sentiment]
    SENTIMENT_NEUTRAL: _ClassVar[Sentiment]
    SENTIMENT_NEGATIVE: _ClassVar[Sentiment]

class Trend(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TREND_UNSPECIFIED: _ClassVar[Trend]
    TREND_INCREASING: _ClassVar[Trend]
    TREND_DECREASING: _ClassVar[Trend]
    TREND_STABLE: _ClassVar[Trend]
SCOPE_UNSPECIFIED: Scope
SCOPE_USER: Scope
SCOPE_SHARED: Scope
ROLE_UNSPECIFIED: Role
ROLE_CALLER: Role
ROLE_AGENT: Role
ROLE_SYSTEM: Role
SENTIMENT_UNSPECIFIED: Sentiment
SENTIMENT_POSITIVE: Sentiment
SENTIMENT_NEUTRAL: Sentiment
SENTIMENT_NEGATIVE: Sentiment
TREND_UNSPECIFIED: Trend
TREND_INCREASING: Trend
TREND_DECREASING: Trend
TREND_STABLE: Trend

class Memory(_message.Message):
    __slots__ = ("id", "scope", "user_id", "type", "key", "value", "source", "ttl_days", "created_at", "updated_at", "expires_at", "call_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TTL_DAYS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    scope: Scope
    user_id: str
    type: str
    key: str
    value: _struct_pb2.Struct
    source: str
    ttl_days: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    call_id: str
    def __init__(self, id: _Optional[str] = ..., scope: _Optional[_Union[Scope, str]] = ..., user_id: _Optional[str] = ..., type: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., source: _Optional[str] = ..., ttl_days: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., call_id: _Optional[str] = ...) -> None: ...

class Turn(_message.Message):
    __slots__ = ("role", "content")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    role: Role
    content: str
    def __init__(self, role: _Optional[_Union[Role, str]] = ..., content: _Optional[str] = ...) -> None: ...

class PersonalityScores(_message.Message):
    __slots__ = ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism", "formality", "directness", "detail_orientation", "patience", "technical_comfort", "frustration_level", "satisfaction_level", "urgency_level")
    OPENNESS_FIELD_NUMBER: _ClassVar[int]
    CONSCIENTIOUSNESS_FIELD_NUMBER: _ClassVar[int]
    EXTRAVERSION_FIELD_NUMBER: _ClassVar[int]
    AGREEABLENESS_FIELD_NUMBER: _ClassVar[int]
    NEUROTICISM_FIELD_NUMBER: _ClassVar[int]
    FORMALITY_FIELD_NUMBER: _ClassVar[int]
    DIRECTNESS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_ORIENTATION_FIELD_NUMBER: _ClassVar[int]
    PATIENCE_FIELD_NUMBER: _ClassVar[int]
    TECHNICAL_COMFORT_FIELD_NUMBER: _ClassVar[int]
    FRUSTRATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    SATISFACTION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    URGENCY_LEVEL_FIELD_NUMBER: _ClassVar[int]
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
    def __init__(self, openness: _Optional[float] = ..., conscientiousness: _Optional[float] = ..., extraversion: _Optional[float] = ..., agreeableness: _Optional[float] = ..., neuroticism: _Optional[float] = ..., formality: _Optional[float] = ..., directness: _Optional[float] = ..., detail_orientation: _Optional[float] = ..., patience: _Optional[float] = ..., technical_comfort: _Optional[float] = ..., frustration_level: _Optional[float] = ..., satisfaction_level: _Optional[float] = ..., urgency_level: _Optional[float] = ...) -> None: ...

class TraitLabel(_message.Message):
    __slots__ = ("trait", "score", "label")
    TRAIT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    trait: str
    score: float
    label: str
    def __init__(self, trait: _Optional[str] = ..., score: _Optional[float] = ..., label: _Optional[str] = ...) -> None: ...

class Personality(_message.Message):
    __slots__ = ("user_id", "call_count", "averages", "recent_frustration", "recent_satisfaction", "recent_urgency", "satisfaction_trend", "frustration_trend", "labels", "updated_at")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_COUNT_FIELD_NUMBER: _ClassVar[int]
    AVERAGES_FIELD_NUMBER: _ClassVar[int]
    RECENT_FRUSTRATION_FIELD_NUMBER: _ClassVar[int]
    RECENT_SATISFACTION_FIELD_NUMBER: _ClassVar[int]
    RECENT_URGENCY_FIELD_NUMBER: _ClassVar[int]
    SATISFACTION_TREND_FIELD_NUMBER: _ClassVar[int]
    FRUSTRATION_TREND_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    call_count: int
    averages: PersonalityScores
    recent_frustration: float
    recent_satisfaction: float
    recent_urgency: float
    satisfaction_trend: Trend
    frustration_trend: Trend
    labels: _containers.RepeatedCompositeFieldContainer[TraitLabel]
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., call_count: _Optional[int] = ..., averages: _Optional[_Union[PersonalityScores, _Mapping]] = ..., recent_frustration: _Optional[float] = ..., recent_satisfaction: _Optional[float] = ..., recent_urgency: _Optional[float] = ..., satisfaction_trend: _Optional[_Union[Trend, str]] = ..., frustration_trend: _Optional[_Union[Trend, str]] = ..., labels: _Optional[_Iterable[_Union[TraitLabel, _Mapping]]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CallerProfile(_message.Message):
    __slots__ = ("user_id", "first_call_at", "last_call_at", "total_calls", "preferred_name", "preferences", "created_at", "updated_at")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_CALL_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_CALL_AT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CALLS_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_NAME_FIELD_NUMBER: _ClassVar[int]
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    first_call_at: _timestamp_pb2.Timestamp
    last_call_at: _timestamp_pb2.Timestamp
    total_calls: int
    preferred_name: str
    preferences: _struct_pb2.Struct
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., first_call_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_call_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total_calls: _Optional[int] = ..., preferred_name: _Optional[str] = ..., preferences: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CallSummary(_message.Message):
    __slots__ = ("call_id", "user_id", "started_at", "ended_at", "duration_seconds", "summary", "key_topics", "sentiment", "turn_count", "created_at")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    KEY_TOPICS_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_FIELD_NUMBER: _ClassVar[int]
    TURN_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    user_id: str
    started_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    duration_seconds: int
    summary: str
    key_topics: _containers.RepeatedScalarFieldContainer[str]
    sentiment: Sentiment
    turn_count: int
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, call_id: _Optional[str] = ..., user_id: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration_seconds: _Optional[int] = ..., summary: _Optional[str] = ..., key_topics: _Optional[_Iterable[str]] = ..., sentiment: _Optional[_Union[Sentiment, str]] = ..., turn_count: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MemoryHistoryEntry(_message.Message):
    __slots__ = ("memory_id", "change", "previous_value", "previous_source", "changed_by", "changed_at", "scope", "user_id", "type", "key")
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VALUE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SOURCE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    change: str
    previous_value: _struct_pb2.Struct
    previous_source: str
    changed_by: str
    changed_at: _timestamp_pb2.Timestamp
    scope: Scope
    user_id: str
    type: str
    key: str
    def __init__(self, memory_id: _Optional[str] = ..., change: _Optional[str] = ..., previous_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., previous_source: _Optional[str] = ..., changed_by: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scope: _Optional[_Union[Scope, str]] = ..., user_id: _Optional[str] = ..., type: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...
