"""calls and call_transcript_turns: one call while it happens.

An append (`alice_server.services.transcripts`) first locks the call's row
(`lock_for_append`, creating it if needed), so that two appends of one call
are checked against the per-call limits one after the other; then it reads
which of its sequences are stored (`turns_with_sequences`), inserts the new
turns (`insert_turns`) and advances the row's counters (`count_turns`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from alice_server.domain.transcripts import (
    CallDetails,
    NewTurn,
    RecordChanges,
    StoredTurn,
)
from alice_server.storage.repositories.base import TenantRepository

CALL_COLUMNS = (
    "call_id, user_id, direction, dialled_number, external_call_id, transfer_target, "
    "recording_url, transcript_url, turn_count, char_count, first_turn_at, last_turn_at, "
    "created_at, updated_at"
)
_PROCESSED = (
    "EXISTS (SELECT 1 FROM call_summaries s "
    "WHERE s.customer_id = $1 AND s.call_id = $2) AS processed"
)

# Creates the call's row or locks the existing one. A row of another caller is
# locked too but not returned (the WHERE of DO UPDATE is false): the service
# then reports the conflict.
_LOCK_FOR_APPEND = f"""
INSERT INTO calls AS c (customer_id, call_id, user_id) VALUES ($1, $2, $3)
ON CONFLICT (customer_id, call_id) DO UPDATE SET updated_at = c.updated_at
    WHERE c.user_id = EXCLUDED.user_id
RETURNING {CALL_COLUMNS}
"""

# A separate statement (a new snapshot under READ COMMITTED) after the lock:
# it sees a ProcessCall that committed while the append waited for the row.
_IS_PROCESSED = f"SELECT {_PROCESSED}"

_CALL = f"SELECT {CALL_COLUMNS}, {_PROCESSED} FROM calls WHERE customer_id = $1 AND call_id = $2"

_CALL_FOR_UPDATE = f"""
SELECT {CALL_COLUMNS} FROM calls WHERE customer_id = $1 AND call_id = $2 FOR UPDATE
"""

_TURNS_WITH_SEQUENCES = """
SELECT sequence, role, content, spoken_at FROM call_transcript_turns
WHERE customer_id = $1 AND call_id = $2 AND sequence = ANY($3::int[])
"""

_INSERT_TURNS = """
INSERT INTO call_transcript_turns
    (customer_id, call_id, sequence, user_id, role, content, spoken_at)
SELECT $1, $2, t.sequence, $3, t.role, t.content, coalesce(t.spoken_at, now())
FROM unnest($4::int[], $5::text[], $6::text[], $7::timestamptz[])
    AS t(sequence, role, content, spoken_at)
RETURNING spoken_at
"""

_COUNT_TURNS = f"""
UPDATE calls SET
    turn_count = turn_count + $3,
    char_count = char_count + $4,
    first_turn_at = least(first_turn_at, $5),
    last_turn_at = greatest(last_turn_at, $6),
    updated_at = now()
WHERE customer_id = $1 AND call_id = $2
RETURNING {CALL_COLUMNS}
"""

_NEXT_SEQUENCE = """
SELECT coalesce(max(sequence) + 1, 0) FROM call_transcript_turns
WHERE customer_id = $1 AND call_id = $2
"""

_TRANSCRIPT = """
SELECT sequence, role, content, spoken_at FROM call_transcript_turns
WHERE customer_id = $1 AND call_id = $2 AND created_at > $3
ORDER BY sequence
"""

# Only the fields given ($4..$9 not NULL) change; another caller's call is
# locked but neither changed nor returned.
_UPDATE_RECORD = f"""
INSERT INTO calls AS c
    (customer_id, call_id, user_id, direction, dialled_number, external_call_id,
     transfer_target, recording_url, transcript_url)
VALUES ($1, $2, $3, coalesce($4, ''), coalesce($5, ''), coalesce($6, ''), coalesce($7, ''),
        coalesce($8, ''), coalesce($9, ''))
ON CONFLICT (customer_id, call_id) DO UPDATE SET
    direction = coalesce($4, c.direction),
    dialled_number = coalesce($5, c.dialled_number),
    external_call_id = coalesce($6, c.external_call_id),
    transfer_target = coalesce($7, c.transfer_target),
    recording_url = coalesce($8, c.recording_url),
    transcript_url = coalesce($9, c.transcript_url),
    updated_at = now()
    WHERE c.user_id = EXCLUDED.user_id
RETURNING {CALL_COLUMNS}, {_PROCESSED}, (xmax = 0) AS created
"""

_RECORDS = f"""
SELECT {CALL_COLUMNS}, EXISTS (SELECT 1 FROM call_summaries s
    WHERE s.customer_id = c.customer_id AND s.call_id = c.call_id) AS processed
FROM calls c WHERE customer_id = $1 AND call_id = ANY($2::text[])
"""

_PURGE_TURNS = """
WITH gone AS (
    DELETE FROM call_transcript_turns
    WHERE customer_id = $1 AND created_at <= $2
    RETURNING call_id, length(content) AS chars
), per_call AS (
    SELECT call_id, count(*) AS turns, sum(chars) AS chars FROM gone GROUP BY call_id
), counted AS (
    UPDATE calls c SET turn_count = c.turn_count - p.turns, char_count = c.char_count - p.chars
    FROM per_call p WHERE c.customer_id = $1 AND c.call_id = p.call_id
    RETURNING 1
)
SELECT coalesce(sum(turns), 0)::bigint FROM per_call
"""


def call_of(row: Mapping[str, Any], processed: bool | None = None) -> CallDetails:
    return CallDetails(
        call_id=row["call_id"],
        user_id=row["user_id"],
        direction=row["direction"],
        dialled_number=row["dialled_number"],
        external_call_id=row["external_call_id"],
        transfer_target=row["transfer_target"],
        recording_url=row["recording_url"],
        transcript_url=row["transcript_url"],
        turn_count=row["turn_count"],
        char_count=row["char_count"],
        first_turn_at=row["first_turn_at"],
        last_turn_at=row["last_turn_at"],
        processed=bool(row["processed"]) if processed is None else processed,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def turn_of(row: Mapping[str, Any]) -> StoredTurn:
    return StoredTurn(row["sequence"], row["role"], row["content"], row["spoken_at"])


class CallRecordRepository(TenantRepository):
    async def lock_for_append(self, call_id: str, user_id: str) -> CallDetails | None:
        """The call's row, created if needed and locked until the transaction ends;
        None when the call belongs to another caller."""
        row = await self._connection.fetchrow(_LOCK_FOR_APPEND, self._customer_id, call_id, user_id)
        if row is None:
            return None
        processed = await self._connection.fetchval(_IS_PROCESSED, self._customer_id, call_id)
        return call_of(row, bool(processed))

    async def lock(self, call_id: str) -> CallDetails | None:
        """The call's row, locked until the transaction ends (None if there is none)."""
        row = await self._connection.fetchrow(_CALL_FOR_UPDATE, self._customer_id, call_id)
        return None if row is None else call_of(row, False)

    async def get(self, call_id: str) -> CallDetails | None:
        row = await self._connection.fetchrow(_CALL, self._customer_id, call_id)
        return None if row is None else call_of(row)

    async def turns_with_sequences(
        self, call_id: str, sequences: Sequence[int]
    ) -> dict[int, StoredTurn]:
        rows = await self._connection.fetch(
            _TURNS_WITH_SEQUENCES, self._customer_id, call_id, list(sequences)
        )
        return {row["sequence"]: turn_of(row) for row in rows}

    async def insert_turns(
        self, call_id: str, user_id: str, turns: Sequence[NewTurn]
    ) -> list[dt.datetime]:
        """Store the turns; returns their spoken_at (now() where none was given)."""
        if not turns:
            return []
        rows = await self._connection.fetch(
            _INSERT_TURNS,
            self._customer_id,
            call_id,
            user_id,
            [t.sequence for t in turns],
            [t.role for t in turns],
            [t.content for t in turns],
            [t.spoken_at for t in turns],
        )
        return [row["spoken_at"] for row in rows]

    async def count_turns(
        self, call_id: str, turns: int, chars: int, first: dt.datetime, last: dt.datetime
    ) -> None:
        await self._connection.execute(
            _COUNT_TURNS, self._customer_id, call_id, turns, chars, first, last
        )

    async def next_sequence(self, call_id: str) -> int:
        value = await self._connection.fetchval(_NEXT_SEQUENCE, self._customer_id, call_id)
        return int(value)

    async def transcript(self, call_id: str, stored_after: dt.datetime) -> list[StoredTurn]:
        """The call's turns stored after `stored_after` (the retention), in order."""
        rows = await self._connection.fetch(_TRANSCRIPT, self._customer_id, call_id, stored_after)
        return [turn_of(row) for row in rows]

    async def update_record(
        self, call_id: str, user_id: str, changes: RecordChanges
    ) -> tuple[CallDetails, bool] | None:
        """(record, created); None when the call belongs to another caller."""
        row = await self._connection.fetchrow(
            _UPDATE_RECORD,
            self._customer_id,
            call_id,
            user_id,
            changes.direction,
            changes.dialled_number,
            changes.external_call_id,
            changes.transfer_target,
            changes.recording_url,
            changes.transcript_url,
        )
        return None if row is None else (call_of(row), bool(row["created"]))

    async def records(self, call_ids: Sequence[str]) -> dict[str, CallDetails]:
        """The records of these calls, by call_id (calls without one are left out)."""
        if not call_ids:
            return {}
        rows = await self._connection.fetch(_RECORDS, self._customer_id, list(call_ids))
        return {row["call_id"]: call_of(row) for row in rows}

    async def purge_turns(self, stored_before: dt.datetime) -> int:
        """Delete the tenant's turns stored before the cutoff; returns how many."""
        value = await self._connection.fetchval(_PURGE_TURNS, self._customer_id, stored_before)
        return int(value)
