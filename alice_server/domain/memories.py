"""Memories: upsert by key, get, delete, list (keyset pages) and full-text search.

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

from sqlalchemy import (
    Select,
    bindparam,
    case,
    delete,
    func,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from alice_server.domain.embeddings import Embedder
from alice_server.domain.errors import InvalidArgument, NotFound
from alice_server.domain.history import MemoryChange
from alice_server.domain.paging import PageTokens, page_size
from alice_server.domain.retrieval import (
    Candidate,
    SearchHit,
    SearchMode,
    candidate_depth,
    effective_mode,
    fuse,
)
from alice_server.storage.database import Database
from alice_server.storage.memory_history import HISTORY_PAGE, MEMORY_EXISTS, change_of
from alice_server.storage.memory_search import SEARCH_CANDIDATES, search_arguments
from alice_server.storage.models import Memory

ScopeName = Literal["user", "shared"]

DEFAULT_TTL_DAYS = 365
MAX_TTL_DAYS = 3650
MAX_KEY_CHARS = 256
MAX_SOURCE_CHARS = 64
MAX_VALUE_BYTES = 64 * 1024
MAX_QUERY_CHARS = 1000
DEFAULT_SEARCH_LIMIT = 10
MAX_SEARCH_LIMIT = 100
MAX_SEARCH_TYPES = 20
_TYPE_RE = re.compile(r"^[a-z0-9_.:\-]{1,64}$")

SHARED_OWNER = ""


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
    )


def check_json_value(value: dict[str, Any], field: str = "value") -> None:
    """What PostgreSQL's jsonb refuses (NUL characters, NaN) is INVALID_ARGUMENT here."""
    try:
        encoded = json.dumps(value, allow_nan=False)
    except ValueError:
        raise InvalidArgument(f"{field} must not contain NaN or infinite numbers") from None
    if len(encoded.encode()) > MAX_VALUE_BYTES:
        raise InvalidArgument(f"{field} is larger than {MAX_VALUE_BYTES // 1024} KiB")
    if "\\u0000" in encoded:
        raise InvalidArgument(f"{field} must not contain NUL characters")


def _alive() -> Any:
    return Memory.expires_at > func.now()


class MemoryStore:
    def __init__(
        self,
        db: Database,
        page_tokens: PageTokens,
        embedder: Embedder | None = None,
        history_days: int = 365,
    ) -> None:
        self._db = db
        self._tokens = page_tokens
        self._embedder = embedder
        self._history_days = history_days

    async def store(self, customer_id: int, item: NewMemory) -> tuple[Memory, bool]:
        """Create or update the memory with this identity; returns (memory, created)."""
        now = func.now()
        embedding = (
            self._embedder.embed_memory(item.type, item.key, item.value)
            if self._embedder is not None
            else None
        )
        insert = pg_insert(Memory).values(
            customer_id=customer_id,
            scope=item.scope,
            user_id=item.user_id,
            type=item.type,
            key=item.key,
            value=item.value,
            source=item.source,
            ttl_days=item.ttl_days,
            expires_at=now + func.make_interval(0, 0, 0, item.ttl_days),
            embedding=embedding,
        )
        # Replacing an expired memory makes a new one (new id, created again):
        # the old one had already disappeared for every reader.
        expired = Memory.expires_at <= now
        upsert = insert.on_conflict_do_update(
            constraint="uq_memories_customer_id_scope_user_id_type_key",
            set_={
                "id": case((expired, func.gen_random_uuid()), else_=Memory.id),
                "created_at": case((expired, now), else_=Memory.created_at),
                "value": insert.excluded.value,
                "source": insert.excluded.source,
                "ttl_days": insert.excluded.ttl_days,
                "expires_at": insert.excluded.expires_at,
                "embedding": insert.excluded.embedding,
                "updated_at": now,
            },
        )
        # now() is the transaction's timestamp: a row created by this statement
        # has created_at = updated_at, an updated one keeps its older created_at.
        created = (Memory.created_at == Memory.updated_at).label("created")
        async with self._db.tenant_session(customer_id) as session:
            row = (await session.execute(upsert.returning(Memory, created))).one()
        return row[0], bool(row[1])

    async def get(self, customer_id: int, memory_id: uuid.UUID) -> Memory:
        async with self._db.tenant_session(customer_id) as session:
            memory = await session.scalar(
                select(Memory).where(
                    Memory.customer_id == customer_id, Memory.id == memory_id, _alive()
                )
            )
        if memory is None:
            raise NotFound(f"memory {memory_id} not found")
        return memory

    async def delete(self, customer_id: int, memory_id: uuid.UUID) -> None:
        async with self._db.tenant_session(customer_id) as session:
            deleted = await session.scalar(
                delete(Memory)
                .where(Memory.customer_id == customer_id, Memory.id == memory_id, _alive())
                .returning(Memory.id)
            )
        if deleted is None:
            raise NotFound(f"memory {memory_id} not found")

    async def list_page(
        self,
        customer_id: int,
        owners: MemoryFilter,
        type: str | None,
        requested_page_size: int,
        page_token: str,
    ) -> tuple[list[Memory], str]:
        """One page, newest first; returns (memories, next_page_token or '')."""
        query = self._owned(customer_id, owners)
        if type is not None:
            query = query.where(Memory.type == check_type(type))
        async with self._db.tenant_session(customer_id) as session:
            return await self._tokens.page(
                session,
                query,
                (Memory.created_at, Memory.id),
                kind="memories",
                scope=[customer_id, owners.owners, type],
                requested_size=requested_page_size,
                page_token=page_token,
            )

    async def search(
        self,
        customer_id: int,
        owners: MemoryFilter,
        query_text: str,
        types: Sequence[str],
        limit: int,
        mode: SearchMode = SearchMode.HYBRID,
    ) -> list[SearchHit[Memory]]:
        """Memories for the query, best first (see domain/retrieval.py)."""
        if not query_text.strip():
            raise InvalidArgument("query is required")
        if len(query_text) > MAX_QUERY_CHARS:
            raise InvalidArgument(f"query must be at most {MAX_QUERY_CHARS} characters")
        if "\x00" in query_text:
            raise InvalidArgument("query must not contain NUL characters")
        if len(types) > MAX_SEARCH_TYPES:
            raise InvalidArgument(f"at most {MAX_SEARCH_TYPES} types")
        for memory_type in types:
            check_type(memory_type, "types")
        if limit < 0:
            raise InvalidArgument("limit must not be negative")
        limit = min(limit or DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT)
        mode = effective_mode(mode, self._embedder is not None)
        vector = (
            self._embedder.embed_one(query_text)
            if self._embedder is not None and mode.uses_embeddings
            else None
        )
        arguments = search_arguments(
            customer_id,
            owners.owners,
            types,
            query_text if mode.uses_keywords else None,
            vector,
            candidate_depth(limit),
        )
        async with self._db.tenant_session(customer_id) as session:
            raw = (await (await session.connection()).get_raw_connection()).driver_connection
            assert raw is not None
            rows = await raw.fetch(SEARCH_CANDIDATES, *arguments)
        candidates = [
            Candidate(
                _memory_of(row),
                row["keyword_rank"],
                row["keyword_score"],
                row["semantic_rank"],
                row["similarity"],
            )
            for row in rows
        ]
        return fuse(candidates, mode, limit, query_text)

    async def history(
        self, customer_id: int, memory_id: uuid.UUID, requested_page_size: int, page_token: str
    ) -> tuple[list[MemoryChange], str]:
        """Earlier values of one memory, newest first; returns (changes, next_page_token)."""
        size = page_size(requested_page_size)
        scope = [customer_id, str(memory_id)]
        position = self._tokens.decode(page_token, "memory_history", scope)
        after_at, after_id = None, None
        if position is not None:
            try:
                after_at = dt.datetime.fromisoformat(position[0])
                after_id = int(position[1])
            except (IndexError, TypeError, ValueError):
                raise InvalidArgument(
                    "page_token is not valid for this request: pass the next_page_token of "
                    "the previous response unchanged, with the same id"
                ) from None
        async with self._db.tenant_session(customer_id) as session:
            raw = (await (await session.connection()).get_raw_connection()).driver_connection
            assert raw is not None
            rows = await raw.fetch(
                HISTORY_PAGE,
                customer_id,
                memory_id,
                self._history_days,
                after_at,
                after_id,
                size + 1,
            )
            known = rows or position is not None
            if not known and not await raw.fetchval(MEMORY_EXISTS, customer_id, memory_id):
                raise NotFound(f"memory {memory_id} not found")
        changes = [change_of(row) for row in rows[:size]]
        if len(rows) <= size:
            return changes, ""
        last = changes[-1]
        return changes, self._tokens.encode(
            "memory_history", scope, [last.changed_at.isoformat(), last.id]
        )

    @staticmethod
    async def for_context(
        session: AsyncSession,
        customer_id: int,
        user_id: str,
        limit: int,
        excluded_types: Sequence[str],
    ) -> list[Memory]:
        """The caller's newest memories, then the tenant's shared ones, `limit` in all.

        One statement of two halves, each read in index order and cut at `limit`,
        so that a tenant with thousands of shared memories costs no more. The
        statement is built once (see `_context_memories`).
        """
        if limit <= 0:
            return []
        rows = await session.scalars(
            _CONTEXT_MEMORIES,
            {
                "customer_id": customer_id,
                "user_id": user_id,
                "limit": limit,
                "excluded_types": list(excluded_types),
            },
        )
        return list(rows)

    @staticmethod
    def _owned(customer_id: int, owners: MemoryFilter) -> Select[Memory]:
        return select(Memory).where(
            Memory.customer_id == customer_id,
            Memory.user_id.in_(owners.owners),
            _alive(),
        )


def _context_memories() -> Select[Memory]:
    def newest(owner: Any) -> Select[Memory]:
        return (
            select(Memory)
            .where(
                Memory.customer_id == bindparam("customer_id"),
                Memory.user_id == owner,
                Memory.type.not_in(bindparam("excluded_types", expanding=True)),
                _alive(),
            )
            .order_by(Memory.updated_at.desc())
            .limit(bindparam("limit"))
        )

    both = union_all(newest(bindparam("user_id")), newest(SHARED_OWNER)).subquery()
    row = aliased(Memory, both)
    return (
        select(row)
        .order_by((row.user_id == SHARED_OWNER).asc(), row.updated_at.desc())
        .limit(bindparam("limit"))
    )


# Built once: the start of every phone call runs it.
_CONTEXT_MEMORIES = _context_memories()


def _memory_of(row: Any) -> Memory:
    value = row["value"]
    return Memory(
        customer_id=None,
        id=row["id"],
        scope=row["scope"],
        user_id=row["user_id"],
        type=row["type"],
        key=row["key"],
        value=json.loads(value) if isinstance(value, str) else value,
        source=row["source"],
        ttl_days=row["ttl_days"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        expires_at=row["expires_at"],
    )
