"""Memories: the Memory dataclass and the rules of a store, a list and a search.

(The statements are in alice_server.storage.repositories.memories; the use
cases in alice_server.services.memories.)

Scope and ownership: a memory of SCOPE_USER belongs to one caller (user_id); a
shared memory belongs to the tenant and has user_id ''. The schema enforces
that pairing, so "this caller's memories plus the shared ones" is simply
`user_id IN (caller, '')`.

Expiry: `expires_at` is set on every store (now + ttl_days). Every read filters
`expires_at > now()`, so an expired memory is never returned, whether or not
the purge (`alice-admin purge-expired`) has deleted it yet.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from alice_server.domain.errors import InvalidArgument

ScopeName = Literal["user", "shared"]

DEFAULT_TTL_DAYS = 365
MAX_TTL_DAYS = 3650
MAX_KEY_CHARS = 256
MAX_SOURCE_CHARS = 64
MAX_VALUE_BYTES = 64 * 1024
# JSON nesting levels of a value (an object holding a list is 2). Protobuf's
# parser cannot read a Struct much deeper than this (three message levels each).
MAX_VALUE_DEPTH = 32
MAX_QUERY_CHARS = 1000
# A search ranks by every distinct word of its query (one full-text term each,
# issue 7: an expensive search must not monopolise a connection): words after
# the MAX_QUERY_TERMS-th distinct one (case-insensitive) are ignored, as the
# proto comments of SearchMemoriesRequest.query and GetEnrichedContextRequest.query say.
MAX_QUERY_TERMS = 32
_QUERY_WORD = re.compile(r"\w+")
DEFAULT_SEARCH_LIMIT = 10
MAX_SEARCH_LIMIT = 100
MAX_SEARCH_TYPES = 20
_TYPE_RE = re.compile(r"^[a-z0-9_.:\-]{1,64}$")

SHARED_OWNER = ""


@dataclass(frozen=True, slots=True)
class Memory:
    """A stored memory, as read back."""

    id: uuid.UUID
    scope: ScopeName
    user_id: str
    type: str
    key: str
    value: dict[str, Any]
    source: str
    ttl_days: int
    created_at: dt.datetime
    updated_at: dt.datetime
    expires_at: dt.datetime
    call_id: str | None = None
    """The call the current value was extracted from (ProcessCall); None otherwise."""


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A validated SearchMemories request."""

    owners: list[str]
    text: str
    types: list[str]
    limit: int


@dataclass(frozen=True, slots=True)
class NewMemory:
    """A validated StoreMemory request."""

    scope: ScopeName
    user_id: str
    type: str
    key: str
    value: dict[str, Any]
    ttl_days: int
    source: str
    call_id: str | None = None


@dataclass(frozen=True, slots=True)
class MemoryFilter:
    """Whose memories a list or search covers: a caller, the shared ones, or both."""

    user_id: str | None
    include_shared: bool

    def __post_init__(self) -> None:
        if self.user_id is None and not self.include_shared:
            raise InvalidArgument(
                "user_id is required (or set include_shared to list shared memories)"
            )

    @property
    def owners(self) -> list[str]:
        owners = [self.user_id] if self.user_id is not None else []
        return [*owners, SHARED_OWNER] if self.include_shared else owners


def check_type(value: str, field: str = "type") -> str:
    if not _TYPE_RE.match(value):
        raise InvalidArgument(
            f"{field} must be 1-64 characters of lower-case letters, digits, '_', '-', '.' or ':'"
        )
    return value


def new_memory(
    *,
    scope: ScopeName,
    user_id: str,
    type: str,
    key: str,
    value: dict[str, Any] | None,
    ttl_days: int,
    source: str,
    call_id: str | None = None,
) -> NewMemory:
    """Validate a store request (user_id already normalised, '' for shared)."""
    if scope == "shared" and user_id:
        raise InvalidArgument(
            "user_id must be empty for SCOPE_SHARED: shared memories belong to the tenant"
        )
    if scope == "user" and not user_id:
        raise InvalidArgument("user_id is required for SCOPE_USER")
    check_type(type)
    if not key or len(key) > MAX_KEY_CHARS or not key.isprintable():
        raise InvalidArgument(f"key must be 1-{MAX_KEY_CHARS} printable characters")
    if value is None:
        raise InvalidArgument("value is required (a JSON object)")
    check_json_value(value)
    if ttl_days < 0 or ttl_days > MAX_TTL_DAYS:
        raise InvalidArgument(f"ttl_days must be 0 (meaning {DEFAULT_TTL_DAYS}) to {MAX_TTL_DAYS}")
    source = source or "api"
    if len(source) > MAX_SOURCE_CHARS or not source.isprintable():
        raise InvalidArgument(f"source must be at most {MAX_SOURCE_CHARS} printable characters")
    return NewMemory(
        scope=scope,
        user_id=user_id,
        type=type,
        key=key,
        value=value,
        ttl_days=ttl_days or DEFAULT_TTL_DAYS,
        source=source,
        call_id=call_id,
    )


@dataclass(frozen=True, slots=True)
class MemoryKey:
    """What identifies a memory: the key StoreMemory upserts on."""

    scope: ScopeName
    user_id: str
    type: str
    key: str


def memory_key(*, scope: ScopeName, user_id: str, type: str, key: str) -> MemoryKey:
    """Validate a memory's identity (user_id already normalised, '' for shared)."""
    if scope == "shared" and user_id:
        raise InvalidArgument(
            "user_id must be empty for SCOPE_SHARED: shared memories belong to the tenant"
        )
    if scope == "user" and not user_id:
        raise InvalidArgument("user_id is required for SCOPE_USER")
    check_type(type)
    if not key or len(key) > MAX_KEY_CHARS or not key.isprintable():
        raise InvalidArgument(f"key must be 1-{MAX_KEY_CHARS} printable characters")
    return MemoryKey(scope, user_id, type, key)


def check_json_value(value: dict[str, Any], field: str = "value") -> None:
    """What PostgreSQL's jsonb refuses (NUL characters, NaN) is INVALID_ARGUMENT here."""
    try:
        encoded = json.dumps(value, allow_nan=False)
    except ValueError:
        raise InvalidArgument(f"{field} must not contain NaN or infinite numbers") from None
    if len(encoded.encode()) > MAX_VALUE_BYTES:
        raise InvalidArgument(f"{field} is larger than {MAX_VALUE_BYTES // 1024} KiB")
    _check_nested(value, field)


def _check_nested(value: Any, field: str) -> None:
    """No real NUL character in any key or string (PostgreSQL's jsonb refuses
    them; the six characters backslash-u-0000 are ordinary text), and at most
    MAX_VALUE_DEPTH levels of nesting. Iterative: depth cannot exhaust the stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise InvalidArgument(f"{field} must not contain NUL characters")
            continue
        if isinstance(item, dict | list):
            if depth > MAX_VALUE_DEPTH:
                raise InvalidArgument(
                    f"{field} is nested deeper than {MAX_VALUE_DEPTH} levels of objects and lists"
                )
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)


def bounded_terms(text: str, max_terms: int = MAX_QUERY_TERMS) -> str:
    """`text` up to the end of its `max_terms`-th distinct word (case-insensitive);
    the whole text when it has no more distinct words than that."""
    seen: set[str] = set()
    for match in _QUERY_WORD.finditer(text):
        word = match.group().casefold()
        if word in seen:
            continue
        if len(seen) == max_terms:
            return text[: match.start()].rstrip()
        seen.add(word)
    return text


def search_query(owners: MemoryFilter, text: str, types: Sequence[str], limit: int) -> SearchQuery:
    """Validate a search (see the module doc of storage.repositories.memories for its rules)."""
    if not text.strip():
        raise InvalidArgument("query is required")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidArgument(f"query must be at most {MAX_QUERY_CHARS} characters")
    if "\x00" in text:
        raise InvalidArgument("query must not contain NUL characters")
    if len(types) > MAX_SEARCH_TYPES:
        raise InvalidArgument(f"at most {MAX_SEARCH_TYPES} types")
    for memory_type in types:
        check_type(memory_type, "types")
    if limit < 0:
        raise InvalidArgument("limit must not be negative")
    return SearchQuery(
        owners=owners.owners,
        text=bounded_terms(text),
        types=list(types),
        limit=min(limit or DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT),
    )
