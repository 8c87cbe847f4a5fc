import datetime

from chad_client.v1 import options_pb2 as _options_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CustomerStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTOMER_STATUS_UNSPECIFIED: _ClassVar[CustomerStatus]
    CUSTOMER_STATUS_ACTIVE: _ClassVar[CustomerStatus]
    CUSTOMER_STATUS_SUSPENDED: _ClassVar[CustomerStatus]
CUSTOMER_STATUS_UNSPECIFIED: CustomerStatus
CUSTOMER_STATUS_ACTIVE: CustomerStatus
CUSTOMER_STATUS_SUSPENDED: CustomerStatus

class Customer(_message.Message):
    __slots__ = ("id", "business_name", "agent_name", "greeting_template", "voice", "twilio_number", "time_zone", "status", "rate_limit_per_second", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_NAME_FIELD_NUMBER: _ClassVar[int]
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    GREETING_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    TWILIO_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    business_name: str
    agent_name: str
    greeting_template: str
    voice: str
    twilio_number: str
    time_zone: str
    status: CustomerStatus
    rate_limit_per_second: float
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., business_name: _Optional[str] = ..., agent_name: _Optional[str] = ..., greeting_template: _Optional[str] = ..., voice: _Optional[str] = ..., twilio_number: _Optional[str] = ..., time_zone: _Optional[str] = ..., status: _Optional[_Union[CustomerStatus, str]] = ..., rate_limit_per_second: _Optional[float] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateCustomerRequest(_message.Message):
    __slots__ = ("business_name", "agent_name", "greeting_template", "voice", "twilio_number", "time_zone", "rate_limit_per_second")
    BUSINESS_NAME_FIELD_NUMBER: _ClassVar[int]
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    GREETING_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    TWILIO_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    business_name: str
    agent_name: str
    greeting_template: str
    voice: str
    twilio_number: str
    time_zone: str
    rate_limit_per_second: float
    def __init__(self, business_name: _Optional[str] = ..., agent_name: _Optional[str] = ..., greeting_template: _Optional[str] = ..., voice: _Optional[str] = ..., twilio_number: _Optional[str] = ..., time_zone: _Optional[str] = ..., rate_limit_per_second: _Optional[float] = ...) -> None: ...

class CreateCustomerResponse(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ...) -> None: ...

class GetCustomerRequest(_message.Message):
    __slots__ = ("customer_id",)
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    customer_id: int
    def __init__(self, customer_id: _Optional[int] = ...) -> None: ...

class GetCustomerResponse(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ...) -> None: ...

class ListCustomersRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "status")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    status: CustomerStatus
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[CustomerStatus, str]] = ...) -> None: ...

class ListCustomersResponse(_message.Message):
    __slots__ = ("customers", "next_page_token")
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    customers: _containers.RepeatedCompositeFieldContainer[Customer]
    next_page_token: str
    def __init__(self, customers: _Optional[_Iterable[_Union[Customer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateCustomerRequest(_message.Message):
    __slots__ = ("customer_id", "business_name", "agent_name", "greeting_template", "voice", "twilio_number", "time_zone", "status", "rate_limit_per_second", "clear_rate_limit")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_NAME_FIELD_NUMBER: _ClassVar[int]
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    GREETING_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    TWILIO_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    CLEAR_RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    customer_id: int
    business_name: str
    agent_name: str
    greeting_template: str
    voice: str
    twilio_number: str
    time_zone: str
    status: CustomerStatus
    rate_limit_per_second: float
    clear_rate_limit: bool
    def __init__(self, customer_id: _Optional[int] = ..., business_name: _Optional[str] = ..., agent_name: _Optional[str] = ..., greeting_template: _Optional[str] = ..., voice: _Optional[str] = ..., twilio_number: _Optional[str] = ..., time_zone: _Optional[str] = ..., status: _Optional[_Union[CustomerStatus, str]] = ..., rate_limit_per_second: _Optional[float] = ..., clear_rate_limit: _Optional[bool] = ...) -> None: ...

class UpdateCustomerResponse(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ...) -> None: ...

class LookupCustomerByNumberRequest(_message.Message):
    __slots__ = ("phone_number",)
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    phone_number: str
    def __init__(self, phone_number: _Optional[str] = ...) -> None: ...

class LookupCustomerByNumberResponse(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ...) -> None: ...

class GetMyCustomerRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetMyCustomerResponse(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ...) -> None: ...

class TransferRule(_message.Message):
    __slots__ = ("when", "target", "phone_number")
    WHEN_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    when: str
    target: str
    phone_number: str
    def __init__(self, when: _Optional[str] = ..., target: _Optional[str] = ..., phone_number: _Optional[str] = ...) -> None: ...

class TransferRules(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[TransferRule]
    def __init__(self, rules: _Optional[_Iterable[_Union[TransferRule, _Mapping]]] = ...) -> None: ...

class PromptBlock(_message.Message):
    __slots__ = ("name", "text")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    name: str
    text: str
    def __init__(self, name: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class PromptBlocks(_message.Message):
    __slots__ = ("blocks",)
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    blocks: _containers.RepeatedCompositeFieldContainer[PromptBlock]
    def __init__(self, blocks: _Optional[_Iterable[_Union[PromptBlock, _Mapping]]] = ...) -> None: ...

class TenantSettings(_message.Message):
    __slots__ = ("new_caller_greeting", "returning_caller_greeting", "voice", "transfer_rules", "prompt_blocks", "extract_memories", "other")
    class OtherEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...
    NEW_CALLER_GREETING_FIELD_NUMBER: _ClassVar[int]
    RETURNING_CALLER_GREETING_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_RULES_FIELD_NUMBER: _ClassVar[int]
    PROMPT_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    EXTRACT_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    OTHER_FIELD_NUMBER: _ClassVar[int]
    new_caller_greeting: str
    returning_caller_greeting: str
    voice: str
    transfer_rules: TransferRules
    prompt_blocks: PromptBlocks
    extract_memories: bool
    other: _containers.MessageMap[str, _struct_pb2.Value]
    def __init__(self, new_caller_greeting: _Optional[str] = ..., returning_caller_greeting: _Optional[str] = ..., voice: _Optional[str] = ..., transfer_rules: _Optional[_Union[TransferRules, _Mapping]] = ..., prompt_blocks: _Optional[_Union[PromptBlocks, _Mapping]] = ..., extract_memories: _Optional[bool] = ..., other: _Optional[_Mapping[str, _struct_pb2.Value]] = ...) -> None: ...

class GetSettingsRequest(_message.Message):
    __slots__ = ("names",)
    NAMES_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, names: _Optional[_Iterable[str]] = ...) -> None: ...

class GetSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: TenantSettings
    def __init__(self, settings: _Optional[_Union[TenantSettings, _Mapping]] = ...) -> None: ...

class UpdateSettingsRequest(_message.Message):
    __slots__ = ("settings", "clear")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    settings: TenantSettings
    clear: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, settings: _Optional[_Union[TenantSettings, _Mapping]] = ..., clear: _Optional[_Iterable[str]] = ...) -> None: ...

class UpdateSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: TenantSettings
    def __init__(self, settings: _Optional[_Union[TenantSettings, _Mapping]] = ...) -> None: ...
