"""audit_log: append and page; never update or delete (the roles cannot either).

Through the service role, row-level security shows a tenant its own records
only; the platform role reads all of them.
"""

from __future__ import annotations

import datetime as dt
import json

import asyncpg

from alice_server.domain.privacy import AuditEntry, NewAuditEntry

COLUMNS = "id, customer_id, action, actor, subject, counts::text AS counts, created_at"

_ADD = f"""
INSERT INTO audit_log (customer_id, action, actor, subject, counts)
VALUES ($1, $2, $3, $4, $5::text::jsonb)
RETURNING {COLUMNS}
"""
_PAGE = f"""
SELECT {COLUMNS} FROM audit_log
WHERE ($1::bigint IS NULL OR customer_id = $1)
  AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::bigint))
ORDER BY created_at DESC, id DESC
LIMIT $4
"""


def entry_of(row: asyncpg.Record) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        customer_id=row["customer_id"],
        action=row["action"],
        actor=row["actor"],
        subject=row["subject"],
        counts={k: int(v) for k, v in json.loads(row["counts"]).items()},
        created_at=row["created_at"],
    )


class AuditRepository:
    """Audit records; `customer_id` None pages every customer's (platform role only)."""

    __slots__ = ("_connection",)

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def add(self, entry: NewAuditEntry) -> AuditEntry:
        row = await self._connection.fetchrow(
            _ADD,
            entry.customer_id,
            entry.action,
            entry.actor,
            entry.subject,
            json.dumps(entry.counts),
        )
        assert row is not None
        return entry_of(row)

    async def page(
        self,
        customer_id: int | None,
        before: tuple[dt.datetime, int] | None,
        limit: int,
    ) -> list[AuditEntry]:
        created_at, last_id = before if before is not None else (None, None)
        rows = await self._connection.fetch(_PAGE, customer_id, created_at, last_id, limit)
        return [entry_of(row) for row in rows]
