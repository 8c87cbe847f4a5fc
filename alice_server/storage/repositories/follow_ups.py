"""follow_ups: the promises of processed calls, open until done or cancelled.

Lists are in "due first, undated last" order: `due_order` is `due_at` with the
undated ones at 'infinity' (a generated column, migration 0007), so that the
order is one index range of (customer_id[, user_id], status, due_order,
created_at, call_id, ordinal) and a page continues with one row comparison.
Equal due times come in the order they were promised: by call (when it was
processed), then in the call's order.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from alice_server.domain.follow_ups import FollowUp, FollowUpStatus, NewFollowUp
from alice_server.domain.paging import PageRequest
from alice_server.storage.repositories.base import TenantRepository

COLUMNS = (
    "id, user_id, call_id, ordinal, party, action, due_phrase, due_at, promised_at, status, "
    "created_at, updated_at, resolved_at"
)

# One statement for all of a call's follow-ups. A retried ProcessCall never gets
# here (its summary exists), but a duplicate (call_id, ordinal) is skipped anyway.
# $1 customer, $2 caller, $3 call, $4 promised_at, $5-$9 the arrays of
# `insert_arguments`. ProcessCall sends it as the last part of one statement
# (CallRepository.finish), which stores the call's memories too.
INSERT = f"""
INSERT INTO follow_ups (customer_id, user_id, call_id, promised_at, ordinal, party, action,
                        due_phrase, due_at)
SELECT $1, $2, $3, $4, * FROM unnest($5::int[], $6::text[], $7::text[], $8::text[],
                                     $9::timestamptz[])
ON CONFLICT ON CONSTRAINT uq_follow_ups_customer_id_call_id_ordinal DO NOTHING
RETURNING {COLUMNS}
"""
_OF_CALL = f"""
SELECT {COLUMNS} FROM follow_ups WHERE customer_id = $1 AND call_id = $2 ORDER BY ordinal
"""
_GET = f"SELECT {COLUMNS} FROM follow_ups WHERE customer_id = $1 AND id = $2"
_LOCK = f"SELECT {COLUMNS} FROM follow_ups WHERE customer_id = $1 AND id = $2 FOR UPDATE"
_CLOSE = f"""
UPDATE follow_ups SET status = $3, resolved_at = now(), updated_at = now()
WHERE customer_id = $1 AND id = $2 AND status = 'open'
RETURNING {COLUMNS}
"""
# $4: the previous page's last due_order as text (an ISO time or 'infinity').
_PAGE_OF_CALLER = f"""
SELECT {COLUMNS} FROM follow_ups
WHERE customer_id = $1 AND user_id = $2 AND status = $3
  AND ($4::text IS NULL
       OR (due_order, created_at, call_id, ordinal) > ($4::text::timestamptz, $5, $6, $7))
ORDER BY due_order, created_at, call_id, ordinal
LIMIT $8
"""
_PAGE_OF_TENANT = f"""
SELECT {COLUMNS} FROM follow_ups
WHERE customer_id = $1 AND status = $2
  AND ($3::text IS NULL
       OR (due_order, created_at, call_id, ordinal) > ($3::text::timestamptz, $4, $5, $6))
ORDER BY due_order, created_at, call_id, ordinal
LIMIT $7
"""
# Bounded: an index range of the tenant's open follow-ups due before now, cut at $2.
_COUNT_OVERDUE = """
SELECT count(*) FROM (
    SELECT 1 FROM follow_ups
    WHERE customer_id = $1 AND status = 'open' AND due_order < now()
    LIMIT $2
) overdue
"""


def follow_up_of(row: Mapping[str, Any]) -> FollowUp:
    return FollowUp(
        id=row["id"],
        user_id=row["user_id"],
        call_id=row["call_id"],
        ordinal=row["ordinal"],
        party=row["party"],
        action=row["action"],
        due_phrase=row["due_phrase"],
        due_at=row["due_at"],
        promised_at=row["promised_at"],
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        resolved_at=row["resolved_at"],
    )


def insert_arguments(items: Sequence[NewFollowUp]) -> list[list[Any]]:
    """INSERT's five arrays ($5-$9), one element per follow-up."""
    return [
        [i.ordinal for i in items],
        [i.party for i in items],
        [i.action for i in items],
        [i.due_phrase for i in items],
        [i.due_at for i in items],
    ]


def follow_ups_of(rows: Iterable[Mapping[str, Any]]) -> list[FollowUp]:
    """INSERT's rows, in ordinal order."""
    return sorted((follow_up_of(r) for r in rows), key=lambda f: f.ordinal)


def due_order_text(follow_up: FollowUp) -> str:
    """The page position of `follow_up`'s due_order, as the statements read it."""
    return "infinity" if follow_up.due_at is None else follow_up.due_at.isoformat()


class FollowUpRepository(TenantRepository):
    async def of_call(self, call_id: str) -> list[FollowUp]:
        rows = await self._connection.fetch(_OF_CALL, self._customer_id, call_id)
        return [follow_up_of(r) for r in rows]

    async def get(self, follow_up_id: uuid.UUID) -> FollowUp | None:
        row = await self._connection.fetchrow(_GET, self._customer_id, follow_up_id)
        return None if row is None else follow_up_of(row)

    async def lock(self, follow_up_id: uuid.UUID) -> FollowUp | None:
        """The follow-up, locked until the end of the transaction."""
        row = await self._connection.fetchrow(_LOCK, self._customer_id, follow_up_id)
        return None if row is None else follow_up_of(row)

    async def close(self, follow_up_id: uuid.UUID, status: FollowUpStatus) -> FollowUp | None:
        """Mark an open follow-up done or cancelled; None if it is not open."""
        row = await self._connection.fetchrow(_CLOSE, self._customer_id, follow_up_id, status)
        return None if row is None else follow_up_of(row)

    async def page(
        self, user_id: str | None, status: FollowUpStatus, page: PageRequest
    ) -> list[FollowUp]:
        """Up to `page.fetch` follow-ups of one caller (or every caller's with None),
        due first, undated last, after `page.after` (see `page_position`)."""
        after = page.after if page.after is not None else (None, None, None, None)
        if user_id is None:
            rows = await self._connection.fetch(
                _PAGE_OF_TENANT, self._customer_id, status, *after, page.fetch
            )
        else:
            rows = await self._connection.fetch(
                _PAGE_OF_CALLER, self._customer_id, user_id, status, *after, page.fetch
            )
        return [follow_up_of(r) for r in rows]

    async def count_overdue(self, limit: int) -> int:
        """Open follow-ups past due now, counted up to `limit`."""
        return int(await self._connection.fetchval(_COUNT_OVERDUE, self._customer_id, limit))


PAGE_KEY_TYPES = (str, dt.datetime, str, int)


def page_position(follow_up: FollowUp) -> tuple[str, dt.datetime, str, int]:
    """The keyset of `follow_up` in list order (what `page` continues after):
    due_order as text, created_at, call_id, ordinal (of PAGE_KEY_TYPES)."""
    return due_order_text(follow_up), follow_up.created_at, follow_up.call_id, follow_up.ordinal
