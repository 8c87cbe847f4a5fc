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

class AuditAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIT_ACTION_UNSPECIFIED: _ClassVar[AuditAction]
    AUDIT_ACTION_EXPORT_USER_DATA: _ClassVar[AuditAction]
    AUDIT_ACTION_DELETE_USER_DATA: _ClassVar[AuditAction]
    AUDIT_ACTION_EXPORT_CUSTOMER_DATA: _ClassVar[AuditAction]
    AUDIT_ACTION_DELETE_CUSTOMER_DATA: _ClassVar[AuditAction]
    AUDIT_ACTION_RESTORE_CUSTOMER_DATA: _ClassVar[AuditAction]
AUDIT_ACTION_UNSPECIFIED: AuditAction
AUDIT_ACTION_EXPORT_USER_DATA: AuditAction
AUDIT_ACTION_DELETE_USER_DATA: AuditAction
AUDIT_ACTION_EXPORT_CUSTOMER_DATA: AuditAction
AUDIT_ACTION_DELETE_CUSTOMER_DATA: AuditAction
AUDIT_ACTION_RESTORE_CUSTOMER_DATA: AuditAction

class DataRecord(_message.Message):
    __slots__ = ("table", "row")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    ROW_FIELD_NUMBER: _ClassVar[int]
    table: str
    row: _struct_pb2.Struct
    def __init__(self, table: _Optional[str] = ..., row: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class TableCount(_message.Message):
    __slots__ = ("table", "rows")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    table: str
    rows: int
    def __init__(self, table: _Optional[str] = ..., rows: _Optional[int] = ...) -> None: ...

class ExportUserDataRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ExportUserDataResponse(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: DataRecord
    def __init__(self, record: _Optional[_Union[DataRecord, _Mapping]] = ...) -> None: ...

class DeleteUserDataRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class DeleteUserDataResponse(_message.Message):
    __slots__ = ("counts", "audit")
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[TableCount]
    audit: AuditRecord
    def __init__(self, counts: _Optional[_Iterable[_Union[TableCount, _Mapping]]] = ..., audit: _Optional[_Union[AuditRecord, _Mapping]] = ...) -> None: ...

class ExportHeader(_message.Message):
    __slots__ = ("format", "version", "customer_id", "schema_revision", "exported_at", "tables")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_REVISION_FIELD_NUMBER: _ClassVar[int]
    EXPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    format: str
    version: int
    customer_id: int
    schema_revision: str
    exported_at: _timestamp_pb2.Timestamp
    tables: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, format: _Optional[str] = ..., version: _Optional[int] = ..., customer_id: _Optional[int] = ..., schema_revision: _Optional[str] = ..., exported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tables: _Optional[_Iterable[str]] = ...) -> None: ...

class ExportCustomerDataRequest(_message.Message):
    __slots__ = ("customer_id",)
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    customer_id: int
    def __init__(self, customer_id: _Optional[int] = ...) -> None: ...

class ExportCustomerDataResponse(_message.Message):
    __slots__ = ("header", "record")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    header: ExportHeader
    record: DataRecord
    def __init__(self, header: _Optional[_Union[ExportHeader, _Mapping]] = ..., record: _Optional[_Union[DataRecord, _Mapping]] = ...) -> None: ...

class DeleteCustomerDataRequest(_message.Message):
    __slots__ = ("customer_id", "confirm_customer_id")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    customer_id: int
    confirm_customer_id: int
    def __init__(self, customer_id: _Optional[int] = ..., confirm_customer_id: _Optional[int] = ...) -> None: ...

class DeleteCustomerDataResponse(_message.Message):
    __slots__ = ("counts", "audit")
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[TableCount]
    audit: AuditRecord
    def __init__(self, counts: _Optional[_Iterable[_Union[TableCount, _Mapping]]] = ..., audit: _Optional[_Union[AuditRecord, _Mapping]] = ...) -> None: ...

class AuditRecord(_message.Message):
    __slots__ = ("id", "customer_id", "action", "actor", "subject", "counts", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    customer_id: int
    action: AuditAction
    actor: str
    subject: str
    counts: _containers.RepeatedCompositeFieldContainer[TableCount]
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., customer_id: _Optional[int] = ..., action: _Optional[_Union[AuditAction, str]] = ..., actor: _Optional[str] = ..., subject: _Optional[str] = ..., counts: _Optional[_Iterable[_Union[TableCount, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListMyAuditRecordsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMyAuditRecordsResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[AuditRecord]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[AuditRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListAuditRecordsRequest(_message.Message):
    __slots__ = ("customer_id", "page_size", "page_token")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    customer_id: int
    page_size: int
    page_token: str
    def __init__(self, customer_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAuditRecordsResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[AuditRecord]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[AuditRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
