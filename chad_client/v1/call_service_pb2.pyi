import datetime

from chad_client.v1 import options_pb2 as _options_pb2
from chad_client.v1 import resources_pb2 as _resources_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CallDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_DIRECTION_UNSPECIFIED: _ClassVar[CallDirection]
    CALL_DIRECTION_INBOUND: _ClassVar[CallDirection]
    CALL_DIRECTION_OUTBOUND: _ClassVar[CallDirection]
CALL_DIRECTION_UNSPECIFIED: CallDirection
CALL_DIRECTION_INBOUND: CallDirection
CALL_DIRECTION_OUTBOUND: CallDirection

class TranscriptTurn(_message.Message):
    __slots__ = ("sequence", "role", "content", "spoken_at")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    SPOKEN_AT_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    role: _resources_pb2.Role
    content: str
    spoken_at: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., role: _Optional[_Union[_resources_pb2.Role, str]] = ..., content: _Optional[str] = ..., spoken_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CallRecord(_message.Message):
    __slots__ = ("call_id", "user_id", "direction", "dialled_number", "external_call_id", "transfer_target", "recording_url", "transcript_url", "turn_count", "first_turn_at", "last_turn_at", "processed", "created_at", "updated_at")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    DIALLED_NUMBER_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_TARGET_FIELD_NUMBER: _ClassVar[int]
    RECORDING_URL_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_URL_FIELD_NUMBER: _ClassVar[int]
    TURN_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_TURN_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_TURN_AT_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    user_id: str
    direction: CallDirection
    dialled_number: str
    external_call_id: str
    transfer_target: str
    recording_url: str
    transcript_url: str
    turn_count: int
    first_turn_at: _timestamp_pb2.Timestamp
    last_turn_at: _timestamp_pb2.Timestamp
    processed: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, call_id: _Optional[str] = ..., user_id: _Optional[str] = ..., direction: _Optional[_Union[CallDirection, str]] = ..., dialled_number: _Optional[str] = ..., external_call_id: _Optional[str] = ..., transfer_target: _Optional[str] = ..., recording_url: _Optional[str] = ..., transcript_url: _Optional[str] = ..., turn_count: _Optional[int] = ..., first_turn_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_turn_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., processed: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AppendTranscriptTurnsRequest(_message.Message):
    __slots__ = ("user_id", "call_id", "turns")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TURNS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    call_id: str
    turns: _containers.RepeatedCompositeFieldContainer[TranscriptTurn]
    def __init__(self, user_id: _Optional[str] = ..., call_id: _Optional[str] = ..., turns: _Optional[_Iterable[_Union[TranscriptTurn, _Mapping]]] = ...) -> None: ...

class AppendTranscriptTurnsResponse(_message.Message):
    __slots__ = ("call_id", "appended", "already_stored", "turn_count", "next_sequence")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    APPENDED_FIELD_NUMBER: _ClassVar[int]
    ALREADY_STORED_FIELD_NUMBER: _ClassVar[int]
    TURN_COUNT_FIELD_NUMBER: _ClassVar[int]
    NEXT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    appended: int
    already_stored: int
    turn_count: int
    next_sequence: int
    def __init__(self, call_id: _Optional[str] = ..., appended: _Optional[int] = ..., already_stored: _Optional[int] = ..., turn_count: _Optional[int] = ..., next_sequence: _Optional[int] = ...) -> None: ...

class GetCallTranscriptRequest(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    def __init__(self, call_id: _Optional[str] = ...) -> None: ...

class GetCallTranscriptResponse(_message.Message):
    __slots__ = ("call_id", "user_id", "turns")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TURNS_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    user_id: str
    turns: _containers.RepeatedCompositeFieldContainer[TranscriptTurn]
    def __init__(self, call_id: _Optional[str] = ..., user_id: _Optional[str] = ..., turns: _Optional[_Iterable[_Union[TranscriptTurn, _Mapping]]] = ...) -> None: ...

class UpdateCallRecordRequest(_message.Message):
    __slots__ = ("user_id", "call_id", "direction", "dialled_number", "external_call_id", "transfer_target", "recording_url", "transcript_url")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    DIALLED_NUMBER_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_TARGET_FIELD_NUMBER: _ClassVar[int]
    RECORDING_URL_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_URL_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    call_id: str
    direction: CallDirection
    dialled_number: str
    external_call_id: str
    transfer_target: str
    recording_url: str
    transcript_url: str
    def __init__(self, user_id: _Optional[str] = ..., call_id: _Optional[str] = ..., direction: _Optional[_Union[CallDirection, str]] = ..., dialled_number: _Optional[str] = ..., external_call_id: _Optional[str] = ..., transfer_target: _Optional[str] = ..., recording_url: _Optional[str] = ..., transcript_url: _Optional[str] = ...) -> None: ...

class UpdateCallRecordResponse(_message.Message):
    __slots__ = ("record", "created")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    record: CallRecord
    created: bool
    def __init__(self, record: _Optional[_Union[CallRecord, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetCallRecordRequest(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    def __init__(self, call_id: _Optional[str] = ...) -> None: ...

class GetCallRecordResponse(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: CallRecord
    def __init__(self, record: _Optional[_Union[CallRecord, _Mapping]] = ...) -> None: ...
