"""Memory history: the values a memory had before each update and its deletion.

Rows are written by a trigger on `memories` (migration 0004), so every code
path that changes a memory keeps its previous value, with when and by which
source. Only `memories` is read by search and context: history never reaches
them. History older than ALICE_MEMORY_HISTORY_DAYS is not returned, and
`alice-admin purge-expired` deletes it. A caller's erasure must delete the
caller's rows of `memory_history` too (by customer_id and user_id).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

DEFAULT_RETENTION_DAYS = 365


@dataclass(frozen=True, slots=True)
class MemoryChange:
    """One change of a memory and the value it replaced."""

    id: int
    memory_id: uuid.UUID
    change: str  # 'update' or 'delete'
    scope: str
    user_id: str
    type: str
    key: str
    previous_value: dict[str, Any]
    previous_source: str
    changed_by: str
    changed_at: dt.datetime
