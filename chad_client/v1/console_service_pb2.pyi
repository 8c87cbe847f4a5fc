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

class ConsoleRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSOLE_ROLE_UNSPECIFIED: _ClassVar[ConsoleRole]
    CONSOLE_ROLE_OPERATOR: _ClassVar[ConsoleRole]
    CONSOLE_ROLE_TENANT_ADMIN: _ClassVar[ConsoleRole]
CONSOLE_ROLE_UNSPECIFIED: ConsoleRole
CONSOLE_ROLE_OPERATOR: ConsoleRole
CONSOLE_ROLE_TENANT_ADMIN: ConsoleRole

class ConsoleUser(_message.Message):
    __slots__ = ("id", "login", "role", "customer_id", "disabled", "password_hash", "last_login_at", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    LOGIN_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_HASH_FIELD_NUMBER: _ClassVar[int]
    LAST_LOGIN_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    login: str
    role: ConsoleRole
    customer_id: int
    disabled: bool
    password_hash: str
    last_login_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., login: _Optional[str] = ..., role: _Optional[_Union[ConsoleRole, str]] = ..., customer_id: _Optional[int] = ..., disabled: _Optional[bool] = ..., password_hash: _Optional[str] = ..., last_login_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateConsoleUserRequest(_message.Message):
    __slots__ = ("login", "password_hash", "role", "customer_id")
    LOGIN_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_HASH_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    login: str
    password_hash: str
    role: ConsoleRole
    customer_id: int
    def __init__(self, login: _Optional[str] = ..., password_hash: _Optional[str] = ..., role: _Optional[_Union[ConsoleRole, str]] = ..., customer_id: _Optional[int] = ...) -> None: ...

class CreateConsoleUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: ConsoleUser
    def __init__(self, user: _Optional[_Union[ConsoleUser, _Mapping]] = ...) -> None: ...

class GetConsoleUserRequest(_message.Message):
    __slots__ = ("login",)
    LOGIN_FIELD_NUMBER: _ClassVar[int]
    login: str
    def __init__(self, login: _Optional[str] = ...) -> None: ...

class GetConsoleUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: ConsoleUser
    def __init__(self, user: _Optional[_Union[ConsoleUser, _Mapping]] = ...) -> None: ...

class ListConsoleUsersRequest(_message.Message):
    __slots__ = ("customer_id", "page_size", "page_token")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    customer_id: int
    page_size: int
    page_token: str
    def __init__(self, customer_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListConsoleUsersResponse(_message.Message):
    __slots__ = ("users", "next_page_token")
    USERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[ConsoleUser]
    next_page_token: str
    def __init__(self, users: _Optional[_Iterable[_Union[ConsoleUser, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateConsoleUserRequest(_message.Message):
    __slots__ = ("id", "disabled", "password_hash", "record_login")
    ID_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_HASH_FIELD_NUMBER: _ClassVar[int]
    RECORD_LOGIN_FIELD_NUMBER: _ClassVar[int]
    id: int
    disabled: bool
    password_hash: str
    record_login: bool
    def __init__(self, id: _Optional[int] = ..., disabled: _Optional[bool] = ..., password_hash: _Optional[str] = ..., record_login: _Optional[bool] = ...) -> None: ...

class UpdateConsoleUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: ConsoleUser
    def __init__(self, user: _Optional[_Union[ConsoleUser, _Mapping]] = ...) -> None: ...

class GetTenantUsageRequest(_message.Message):
    __slots__ = ("customer_id", "days")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    customer_id: int
    days: int
    def __init__(self, customer_id: _Optional[int] = ..., days: _Optional[int] = ...) -> None: ...

class DailyUsage(_message.Message):
    __slots__ = ("date", "calls", "callers", "new_callers", "memories", "rpc_count", "error_count")
    DATE_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    CALLERS_FIELD_NUMBER: _ClassVar[int]
    NEW_CALLERS_FIELD_NUMBER: _ClassVar[int]
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    RPC_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERROR_COUNT_FIELD_NUMBER: _ClassVar[int]
    date: str
    calls: int
    callers: int
    new_callers: int
    memories: int
    rpc_count: int
    error_count: int
    def __init__(self, date: _Optional[str] = ..., calls: _Optional[int] = ..., callers: _Optional[int] = ..., new_callers: _Optional[int] = ..., memories: _Optional[int] = ..., rpc_count: _Optional[int] = ..., error_count: _Optional[int] = ...) -> None: ...

class GetTenantUsageResponse(_message.Message):
    __slots__ = ("days",)
    DAYS_FIELD_NUMBER: _ClassVar[int]
    days: _containers.RepeatedCompositeFieldContainer[DailyUsage]
    def __init__(self, days: _Optional[_Iterable[_Union[DailyUsage, _Mapping]]] = ...) -> None: ...
