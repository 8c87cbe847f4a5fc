from chad_client.v1 import options_pb2 as _options_pb2
from chad_client.v1 import resources_pb2 as _resources_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SearchMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEARCH_MODE_UNSPECIFIED: _ClassVar[SearchMode]
    SEARCH_MODE_HYBRID: _ClassVar[SearchMode]
    SEARCH_MODE_KEYWORD: _ClassVar[SearchMode]
    SEARCH_MODE_SEMANTIC: _ClassVar[SearchMode]
SEARCH_MODE_UNSPECIFIED: SearchMode
SEARCH_MODE_HYBRID: SearchMode
SEARCH_MODE_KEYWORD: SearchMode
SEARCH_MODE_SEMANTIC: SearchMode

class StoreMemoryRequest(_message.Message):
    __slots__ = ("user_id", "scope", "type", "key", "value", "ttl_days", "source")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TTL_DAYS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    scope: _resources_pb2.Scope
    type: str
    key: str
    value: _struct_pb2.Struct
    ttl_days: int
    source: str
    def __init__(self, user_id: _Optional[str] = ..., scope: _Optional[_Union[_resources_pb2.Scope, str]] = ..., type: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., ttl_days: _Optional[int] = ..., source: _Optional[str] = ...) -> None: ...

class StoreMemoryResponse(_message.Message):
    __slots__ = ("memory", "created", "customer_id")
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    memory: _resources_pb2.Memory
    created: bool
    customer_id: int
    def __init__(self, memory: _Optional[_Union[_resources_pb2.Memory, _Mapping]] = ..., created: _Optional[bool] = ..., customer_id: _Optional[int] = ...) -> None: ...

class GetMemoryRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetMemoryResponse(_message.Message):
    __slots__ = ("memory",)
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    memory: _resources_pb2.Memory
    def __init__(self, memory: _Optional[_Union[_resources_pb2.Memory, _Mapping]] = ...) -> None: ...

class DeleteMemoryRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteMemoryResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListMemoriesRequest(_message.Message):
    __slots__ = ("user_id", "type", "include_shared", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SHARED_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    type: str
    include_shared: bool
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., type: _Optional[str] = ..., include_shared: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMemoriesResponse(_message.Message):
    __slots__ = ("memories", "next_page_token")
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Memory]
    next_page_token: str
    def __init__(self, memories: _Optional[_Iterable[_Union[_resources_pb2.Memory, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SearchMemoriesRequest(_message.Message):
    __slots__ = ("user_id", "query", "types", "include_shared", "limit", "mode")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SHARED_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    query: str
    types: _containers.RepeatedScalarFieldContainer[str]
    include_shared: bool
    limit: int
    mode: SearchMode
    def __init__(self, user_id: _Optional[str] = ..., query: _Optional[str] = ..., types: _Optional[_Iterable[str]] = ..., include_shared: _Optional[bool] = ..., limit: _Optional[int] = ..., mode: _Optional[_Union[SearchMode, str]] = ...) -> None: ...

class MemorySearchResult(_message.Message):
    __slots__ = ("memory", "score", "keyword_match", "keyword_rank", "semantic_match", "semantic_rank", "semantic_similarity")
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_MATCH_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_RANK_FIELD_NUMBER: _ClassVar[int]
    SEMANTIC_MATCH_FIELD_NUMBER: _ClassVar[int]
    SEMANTIC_RANK_FIELD_NUMBER: _ClassVar[int]
    SEMANTIC_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    memory: _resources_pb2.Memory
    score: float
    keyword_match: bool
    keyword_rank: int
    semantic_match: bool
    semantic_rank: int
    semantic_similarity: float
    def __init__(self, memory: _Optional[_Union[_resources_pb2.Memory, _Mapping]] = ..., score: _Optional[float] = ..., keyword_match: _Optional[bool] = ..., keyword_rank: _Optional[int] = ..., semantic_match: _Optional[bool] = ..., semantic_rank: _Optional[int] = ..., semantic_similarity: _Optional[float] = ...) -> None: ...

class SearchMemoriesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[MemorySearchResult]
    def __init__(self, results: _Optional[_Iterable[_Union[MemorySearchResult, _Mapping]]] = ...) -> None: ...

class GetMemoryByKeyRequest(_message.Message):
    __slots__ = ("user_id", "scope", "type", "key")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    scope: _resources_pb2.Scope
    type: str
    key: str
    def __init__(self, user_id: _Optional[str] = ..., scope: _Optional[_Union[_resources_pb2.Scope, str]] = ..., type: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class GetMemoryByKeyResponse(_message.Message):
    __slots__ = ("memory",)
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    memory: _resources_pb2.Memory
    def __init__(self, memory: _Optional[_Union[_resources_pb2.Memory, _Mapping]] = ...) -> None: ...

class GetMemoryHistoryRequest(_message.Message):
    __slots__ = ("id", "page_size", "page_token")
    ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    page_size: int
    page_token: str
    def __init__(self, id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetMemoryHistoryResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_resources_pb2.MemoryHistoryEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[_resources_pb2.MemoryHistoryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
