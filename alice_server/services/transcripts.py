"""AppendTranscriptTurns, GetCallTranscript, UpdateCallRecord, GetCallRecord."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from alice_server.domain.errors import NotFound
from alice_server.domain.transcripts import (
    AppendOutcome,
    CallDetails,
    NewTurn,
    RecordChanges,
    StoredTurn,
    another_callers_call,
    check_call_limits,
    check_new_turns,
    check_record_changes,
    new_turns_to_store,
    retention_cutoff,
)
from alice_server.storage.database import Database


class TranscriptService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(
        self, customer_id: int, user_id: str, call_id: str, turns: Sequence[NewTurn]
    ) -> AppendOutcome:
        """Store the turns not stored yet, in one transaction: all of them or none."""
        check_new_turns(turns)
        async with self._db.tenant(customer_id) as uow:
            call = await uow.call_records.lock_for_append(call_id, user_id)
            if call is None:
                raise another_callers_call(call_id)
            stored = await uow.call_records.turns_with_sequences(
                call_id, [t.sequence for t in turns]
            )
            fresh, repeated = new_turns_to_store(call_id, turns, stored)
            check_call_limits(call, fresh)
            turn_count = call.turn_count
            if fresh:
                times = await uow.call_records.insert_turns(call_id, user_id, fresh)
                await uow.call_records.count_turns(
                    call_id,
                    len(fresh),
                    sum(len(t.content) for t in fresh),
                    min(times),
                    max(times),
                )
                turn_count += len(fresh)
            next_sequence = await uow.call_records.next_sequence(call_id)
        return AppendOutcome(call_id, len(fresh), repeated, turn_count, next_sequence)

    async def transcript(self, customer_id: int, call_id: str) -> tuple[str, list[StoredTurn]]:
        """(caller, turns in sequence order) of a call with stored turns."""
        async with self._db.tenant(customer_id) as uow:
            call = await uow.call_records.get(call_id)
            turns = (
                await uow.call_records.transcript(call_id, retention_cutoff(_now()))
                if call is not None
                else []
            )
        if call is None or not turns:
            raise NotFound(f"no stored transcript turn of call {call_id!r}")
        return call.user_id, turns

    async def update_record(
        self, customer_id: int, user_id: str, call_id: str, changes: RecordChanges
    ) -> tuple[CallDetails, bool]:
        """Create or update the call's record; returns (record, created)."""
        check_record_changes(changes)
        async with self._db.tenant(customer_id) as uow:
            result = await uow.call_records.update_record(call_id, user_id, changes)
        if result is None:
            raise another_callers_call(call_id)
        return result

    async def record(self, customer_id: int, call_id: str) -> CallDetails:
        async with self._db.tenant(customer_id) as uow:
            call = await uow.call_records.get(call_id)
        if call is None:
            raise NotFound(f"nothing recorded for call {call_id!r}")
        return call


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
