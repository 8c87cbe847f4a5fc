"""ProcessCall: summarise a finished call and record it, once.

The transcript is analysed before the transaction opens (the summariser may be
slow; a transaction should not wait for it). Then, in one unit of work: insert
the summary (a retry, or a concurrent duplicate, inserts nothing and gets the
stored result back; a duplicate still in flight is waited for by PostgreSQL's
unique index), count the call in the caller's profile (which locks the
profile row, so two calls of one caller are counted one after the other),
insert the 13 scores, and recompute the personality averages and trends. Any
failure rolls all of it back: nothing is half-recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from alice_server.domain.calls import CallRecord, call_window, check_transcript
from alice_server.domain.errors import AlreadyExists
from alice_server.domain.summarizer import Summarizer, TranscriptTurn
from alice_server.storage.database import Database


class CallService:
    def __init__(self, db: Database, summarizer: Summarizer) -> None:
        self._db = db
        self._summarizer = summarizer

    async def process(
        self,
        customer_id: int,
        user_id: str,
        call_id: str,
        turns: Sequence[TranscriptTurn],
        started_at: dt.datetime | None,
        ended_at: dt.datetime | None,
    ) -> CallRecord:
        check_transcript(turns)
        start, end, duration = call_window(started_at, ended_at, dt.datetime.now(dt.UTC))
        analysis = await self._summarizer.analyze(turns)
        async with self._db.tenant(customer_id) as uow:
            summary = await uow.calls.insert_summary(
                call_id=call_id,
                user_id=user_id,
                started_at=start,
                ended_at=end,
                duration_seconds=duration,
                analysis=analysis,
                turn_count=len(turns),
            )
            if summary is None:
                stored = await uow.calls.stored(call_id)
                assert stored is not None  # the conflicting row is committed and visible
                summary, scores = stored
                if summary.user_id != user_id:
                    raise AlreadyExists(
                        f"call_id {call_id!r} was already processed for another caller: "
                        "call ids must be unique per call"
                    )
                return CallRecord(summary, scores, already_processed=True)
            await uow.calls.count_call(user_id, start, analysis.caller_name)
            await uow.calls.insert_scores(user_id, call_id, start, analysis.personality)
            aggregates = await uow.calls.personality_aggregates(user_id)
            await uow.calls.save_personality(user_id, aggregates)
        return CallRecord(summary, analysis.personality, already_processed=False)
