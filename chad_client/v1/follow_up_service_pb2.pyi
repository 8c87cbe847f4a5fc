import datetime

from chad_client.v1 import options_pb2 as _options_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FollowUpStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FOLLOW_UP_STATUS_UNSPECIFIED: _ClassVar[FollowUpStatus]
    FOLLOW_UP_STATUS_OPEN: _ClassVar[FollowUpStatus]
    FOLLOW_UP_STATUS_DONE: _ClassVar[FollowUpStatus]
    FOLLOW_UP_STATUS_CANCELLED: _ClassVar[FollowUpStatus]

class FollowUpParty(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FOLLOW_UP_PARTY_UNSPECIFIED: _ClassVar[FollowUpParty]
    FOLLOW_UP_PARTY_AGENT: _ClassVar[FollowUpParty]
    FOLLOW_UP_PARTY_CALLER: _ClassVar[FollowUpParty]
FOLLOW_UP_STATUS_UNSPECIFIED: FollowUpStatus
FOLLOW_UP_STATUS_OPEN: FollowUpStatus
FOLLOW_UP_STATUS_DONE: FollowUpStatus
FOLLOW_UP_STATUS_CANCELLED: FollowUpStatus
FOLLOW_UP_PARTY_UNSPECIFIED: FollowUpParty
FOLLOW_UP_PARTY_AGENT: FollowUpParty
FOLLOW_UP_PARTY_CALLER: FollowUpParty

class FollowUp(_message.Message):
    __slots__ = ("id", "user_id", "call_id", "party", "action", "due_phrase", "due_at", "status", "overdue", "promised_at", "created_at", "updated_at", "resolved_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    DUE_PHRASE_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    PROMISED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    call_id: str
    party: FollowUpParty
    action: str
    due_phrase: str
    due_at: _timestamp_pb2.Timestamp
    status: FollowUpStatus
    overdue: bool
    promised_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    resolved_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., call_id: _Optional[str] = ..., party: _Optional[_Union[FollowUpParty, str]] = ..., action: _Optional[str] = ..., due_phrase: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[FollowUpStatus, str]] = ..., overdue: _Optional[bool] = ..., promised_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListFollowUpsRequest(_message.Message):
    __slots__ = ("user_id", "status", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    status: FollowUpStatus
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., status: _Optional[_Union[FollowUpStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFollowUpsResponse(_message.Message):
    __slots__ = ("follow_ups", "next_page_token")
    FOLLOW_UPS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    follow_ups: _containers.RepeatedCompositeFieldContainer[FollowUp]
    next_page_token: str
    def __init__(self, follow_ups: _Optional[_Iterable[_Union[FollowUp, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetFollowUpRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetFollowUpResponse(_message.Message):
    __slots__ = ("follow_up",)
    FOLLOW_UP_FIELD_NUMBER: _ClassVar[int]
    follow_up: FollowUp
    def __init__(self, follow_up: _Optional[_Union[FollowUp, _Mapping]] = ...) -> None: ...

class CompleteFollowUpRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CompleteFollowUpResponse(_message.Message):
    __slots__ = ("follow_up", "changed")
    FOLLOW_UP_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    follow_up: FollowUp
    changed: bool
    def __init__(self, follow_up: _Optional[_Union[FollowUp, _Mapping]] = ..., changed: _Optional[bool] = ...) -> None: ...

class CancelFollowUpRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CancelFollowUpResponse(_message.Message):
    __slots__ = ("follow_up", "changed")
    FOLLOW_UP_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    follow_up: FollowUp
    changed: bool
    def __init__(self, follow_up: _Optional[_Union[FollowUp, _Mapping]] = ..., changed: _Optional[bool] = ...) -> None: ...
