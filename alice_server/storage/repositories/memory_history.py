"""The memory_history table: written by a trigger on memories (migration 0004), read here.

Every update of a memory's value or source, and every deletion of a live
memory, adds the previous value with when and by which source. Reads and the
purge apply the retention (ALICE_MEMORY_HISTORY_DAYS).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from alice_server.domain.history import MemoryChange
from alice_server.domain.paging import PageRequest
from alice_server.storage.repositories.base import TenantRepository

_COLUMNS = (
    "id, memory_id, change, scope, user_id, type, key, previous_value, previous_source, "
    "changed_by, changed_at"
)

# $3 retention in days; $4/$5 the keyset position (changed_at, id) or NULL.
_PAGE = f"""
SELECT {_COLUMNS} FROM memory_history
WHERE customer_id = $1 AND memory_id = $2
  AND changed_at > now() - make_interval(days => $3)
  AND ($4::timestamptz IS NULL OR (changed_at, id) < ($4::timestamptz, $5::bigint))
ORDER BY changed_at DESC, id DESC
LIMIT $6
"""

_PURGE = """
DELETE FROM memory_history
WHERE customer_id = $1 AND changed_at <= now() - make_interval(days => $2)
"""


def change_of(row: Mapping[str, Any]) -> MemoryChange:
    return MemoryChange(
        id=row["id"],
        memory_id=row["memory_id"],
        change=row["change"],
        scope=row["scope"],
        user_id=row["user_id"],
        type=row["type"],
        key=row["key"],
        previous_value=json.loads(row["previous_value"]),
        previous_source=row["previous_source"],
        changed_by=row["changed_by"],
        changed_at=row["changed_at"],
    )


class MemoryHistoryRepository(TenantRepository):
    async def page(
        self, memory_id: uuid.UUID, retention_days: int, page: PageRequest
    ) -> list[MemoryChange]:
        """Up to `page.fetch` changes of one memory, newest first, after `page.after`."""
        after_at, after_id = page.after if page.after is not None else (None, None)
        rows = await self._connection.fetch(
            _PAGE, self._customer_id, memory_id, retention_days, after_at, after_id, page.fetch
        )
        return [change_of(row) for row in rows]

    async def purge_older_than(self, retention_days: int) -> int:
        """Delete the tenant's history older than the retention; returns how many."""
        status = await self._connection.execute(_PURGE, self._customer_id, retention_days)
        return int(status.rsplit(" ", 1)[-1])
