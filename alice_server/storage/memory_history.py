"""The SQL of memory history (the table is written by a trigger; see migration 0004)."""

from __future__ import annotations

import json
from typing import Any

from alice_server.domain.history import MemoryChange

# $1 customer_id, $2 memory_id, $3 retention days, $4/$5 the position after
# which the page starts (changed_at, id) or NULL, $6 rows to fetch.
HISTORY_PAGE = """
SELECT id, memory_id, change, scope, user_id, type, key, previous_value, previous_source,
       changed_by, changed_at
FROM memory_history
WHERE customer_id = $1 AND memory_id = $2
  AND changed_at > now() - make_interval(days => $3)
  AND ($4::timestamptz IS NULL OR (changed_at, id) < ($4::timestamptz, $5::bigint))
ORDER BY changed_at DESC, id DESC
LIMIT $6
"""

MEMORY_EXISTS = "SELECT EXISTS (SELECT 1 FROM memories WHERE customer_id = $1 AND id = $2)"

# Retention, run by the schema owner (alice-admin purge-expired): every tenant.
PURGE_OLD_HISTORY = (
    "DELETE FROM memory_history WHERE changed_at <= now() - make_interval(days => $1)"
)


def change_of(row: Any) -> MemoryChange:
    value = row["previous_value"]
    return MemoryChange(
        id=row["id"],
        memory_id=row["memory_id"],
        change=row["change"],
        scope=row["scope"],
        user_id=row["user_id"],
        type=row["type"],
        key=row["key"],
        previous_value=json.loads(value) if isinstance(value, str) else value,
        previous_source=row["previous_source"],
        changed_by=row["changed_by"],
        changed_at=row["changed_at"],
    )
