import datetime

from chad_client.v1 import call_service_pb2 as _call_service_pb2
from chad_client.v1 import follow_up_service_pb2 as _follow_up_service_pb2
from chad_client.v1 import options_pb2 as _options_pb2
from chad_client.v1 import resources_pb2 as _resources_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetEnrichedContextRequest(_message.Message):
    __slots__ = ("user_id", "num_summaries", "num_memories", "query", "num_follow_ups")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NUM_SUMMARIES_FIELD_NUMBER: _ClassVar[int]
    NUM_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    NUM_FOLLOW_UPS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    num_summaries: int
    num_memories: int
    query: str
    num_follow_ups: int
    def __init__(self, user_id: _Optional[str] = ..., num_summaries: _Optional[int] = ..., num_memories: _Optional[int] = ..., query: _Optional[str] = ..., num_follow_ups: _Optional[int] = ...) -> None: ...

class GetEnrichedContextResponse(_message.Message):
    __slots__ = ("customer_id", "user_id", "is_new_caller", "context", "profile", "personality", "summaries", "memories", "follow_ups")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    IS_NEW_CALLER_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    PERSONALITY_FIELD_NUMBER: _ClassVar[int]
    SUMMARIES_FIELD_NUMBER: _ClassVar[int]
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UPS_FIELD_NUMBER: _ClassVar[int]
    customer_id: int
    user_id: str
    is_new_caller: bool
    context: str
    profile: _resources_pb2.CallerProfile
    personality: _resources_pb2.Personality
    summaries: _containers.RepeatedCompositeFieldContainer[_resources_pb2.CallSummary]
    memories: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Memory]
    follow_ups: _containers.RepeatedCompositeFieldContainer[_follow_up_service_pb2.FollowUp]
    def __init__(self, customer_id: _Optional[int] = ..., user_id: _Optional[str] = ..., is_new_caller: _Optional[bool] = ..., context: _Optional[str] = ..., profile: _Optional[_Union[_resources_pb2.CallerProfile, _Mapping]] = ..., personality: _Optional[_Union[_resources_pb2.Personality, _Mapping]] = ..., summaries: _Optional[_Iterable[_Union[_resources_pb2.CallSummary, _Mapping]]] = ..., memories: _Optional[_Iterable[_Union[_resources_pb2.Memory, _Mapping]]] = ..., follow_ups: _Optional[_Iterable[_Union[_follow_up_service_pb2.FollowUp, _Mapping]]] = ...) -> None: ...

class ProcessCallRequest(_message.Message):
    __slots__ = ("user_id", "call_id", "turns", "started_at", "ended_at")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TURNS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    call_id: str
    turns: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Turn]
    started_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., call_id: _Optional[str] = ..., turns: _Optional[_Iterable[_Union[_resources_pb2.Turn, _Mapping]]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProcessCallResponse(_message.Message):
    __slots__ = ("customer_id", "call_id", "summary", "sentiment", "key_topics", "personality", "already_processed", "follow_ups")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_FIELD_NUMBER: _ClassVar[int]
    KEY_TOPICS_FIELD_NUMBER: _ClassVar[int]
    PERSONALITY_FIELD_NUMBER: _ClassVar[int]
    ALREADY_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UPS_FIELD_NUMBER: _ClassVar[int]
    customer_id: int
    call_id: str
    summary: str
    sentiment: _resources_pb2.Sentiment
    key_topics: _containers.RepeatedScalarFieldContainer[str]
    personality: _resources_pb2.PersonalityScores
    already_processed: bool
    follow_ups: _containers.RepeatedCompositeFieldContainer[_follow_up_service_pb2.FollowUp]
    def __init__(self, customer_id: _Optional[int] = ..., call_id: _Optional[str] = ..., summary: _Optional[str] = ..., sentiment: _Optional[_Union[_resources_pb2.Sentiment, str]] = ..., key_topics: _Optional[_Iterable[str]] = ..., personality: _Optional[_Union[_resources_pb2.PersonalityScores, _Mapping]] = ..., already_processed: _Optional[bool] = ..., follow_ups: _Optional[_Iterable[_Union[_follow_up_service_pb2.FollowUp, _Mapping]]] = ...) -> None: ...

class GetCallerProfileRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetCallerProfileResponse(_message.Message):
    __slots__ = ("profile",)
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    profile: _resources_pb2.CallerProfile
    def __init__(self, profile: _Optional[_Union[_resources_pb2.CallerProfile, _Mapping]] = ...) -> None: ...

class ListCallerProfilesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCallerProfilesResponse(_message.Message):
    __slots__ = ("profiles", "next_page_token")
    PROFILES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    profiles: _containers.RepeatedCompositeFieldContainer[_resources_pb2.CallerProfile]
    next_page_token: str
    def __init__(self, profiles: _Optional[_Iterable[_Union[_resources_pb2.CallerProfile, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetPersonalityRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetPersonalityResponse(_message.Message):
    __slots__ = ("personality",)
    PERSONALITY_FIELD_NUMBER: _ClassVar[int]
    personality: _resources_pb2.Personality
    def __init__(self, personality: _Optional[_Union[_resources_pb2.Personality, _Mapping]] = ...) -> None: ...

class ListCallSummariesRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCallSummariesResponse(_message.Message):
    __slots__ = ("summaries", "next_page_token", "records")
    class RecordsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _call_service_pb2.CallRecord
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_call_service_pb2.CallRecord, _Mapping]] = ...) -> None: ...
    SUMMARIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    summaries: _containers.RepeatedCompositeFieldContainer[_resources_pb2.CallSummary]
    next_page_token: str
    records: _containers.MessageMap[str, _call_service_pb2.CallRecord]
    def __init__(self, summaries: _Optional[_Iterable[_Union[_resources_pb2.CallSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., records: _Optional[_Mapping[str, _call_service_pb2.CallRecord]] = ...) -> None: ...

class UpdateCallerProfileRequest(_message.Message):
    __slots__ = ("user_id", "preferred_name", "preferences", "replace_preferences")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_NAME_FIELD_NUMBER: _ClassVar[int]
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    REPLACE_PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    preferred_name: str
    preferences: _struct_pb2.Struct
    replace_preferences: bool
    def __init__(self, user_id: _Optional[str] = ..., preferred_name: _Optional[str] = ..., preferences: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., replace_preferences: _Optional[bool] = ...) -> None: ...

class UpdateCallerProfileResponse(_message.Message):
    __slots__ = ("profile", "created")
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    profile: _resources_pb2.CallerProfile
    created: bool
    def __init__(self, profile: _Optional[_Union[_resources_pb2.CallerProfile, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetTenantStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetTenantStatsResponse(_message.Message):
    __slots__ = ("customer_id", "caller_memory_count", "shared_memory_count", "caller_count", "processed_call_count", "recorded_call_count", "transcript_turn_count", "last_call_at")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CALLER_MEMORY_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHARED_MEMORY_COUNT_FIELD_NUMBER: _ClassVar[int]
    CALLER_COUNT_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_CALL_COUNT_FIELD_NUMBER: _ClassVar[int]
    RECORDED_CALL_COUNT_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_TURN_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_CALL_AT_FIELD_NUMBER: _ClassVar[int]
    customer_id: int
    caller_memory_count: int
    shared_memory_count: int
    caller_count: int
    processed_call_count: int
    recorded_call_count: int
    transcript_turn_count: int
    last_call_at: _timestamp_pb2.Timestamp
    def __init__(self, customer_id: _Optional[int] = ..., caller_memory_count: _Optional[int] = ..., shared_memory_count: _Optional[int] = ..., caller_count: _Optional[int] = ..., processed_call_count: _Optional[int] = ..., recorded_call_count: _Optional[int] = ..., transcript_turn_count: _Optional[int] = ..., last_call_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
