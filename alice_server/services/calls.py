"""ProcessCall: summarise a finished call and record it, once.

The transcript is analysed before the transaction opens (the summariser may be
slow; a transaction should not wait for it). Then, in one unit of work: insert
the summary (a retry, or a concurrent duplicate, inserts nothing and gets the
stored result back; a duplicate still in flight is waited for by PostgreSQL's
unique index), count the call in the caller's profile (which locks the
profile row, so two calls of one caller are counted one after the other),
insert the 13 scores, recompute the personality averages and trends, store the
call's commitments as follow-ups of the caller (due times resolved against the
call's start in the tenant's time zone, read in the same transaction), and store
the facts the summariser extracted as memories of the caller with the call's id
(upserts with source process_call, so a retried call stores nothing twice and a
later call that contradicts a fact updates it, its history keeping the old
value), unless the tenant's setting extract_memories is false. Any failure
rolls all of it back: nothing is half-recorded.

That is three statements after the tenant's BEGIN (storage/repositories/calls.py):
the summary, the profile's count, the scores and the tenant's settings in one;
the personality aggregates (read once the profile's lock is held); then the
averages, the follow-ups and the memories in one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from alice_server.domain.calls import CallRecord, call_window, check_transcript
from alice_server.domain.embeddings import Embedder, Vector
from alice_server.domain.errors import Aborted, AlreadyExists, InvalidArgument
from alice_server.domain.follow_ups import from_commitments
from alice_server.domain.llm_analysis import SOURCE as EXTRACTED_SOURCE
from alice_server.domain.memories import DEFAULT_TTL_DAYS, NewMemory, new_memory
from alice_server.domain.summarizer import CallAnalysis, Summarizer, TranscriptTurn
from alice_server.domain.transcripts import (
    StoredTurn,
    another_callers_call,
    call_window_from_turns,
    retention_cutoff,
)
from alice_server.storage.database import Database

logger = logging.getLogger("alice.calls")

# Turns appended while a call is summarised from its stored turns make the
# summary stale: it is summarised again, at most this many times in all.
STORED_TURNS_ATTEMPTS = 3


class CallService:
    def __init__(
        self, db: Database, summarizer: Summarizer, embedder: Embedder | None = None
    ) -> None:
        self._db = db
        self._summarizer = summarizer
        self._embedder = embedder

    async def process(
        self,
        customer_id: int,
        user_id: str,
        call_id: str,
        turns: Sequence[TranscriptTurn],
        started_at: dt.datetime | None,
        ended_at: dt.datetime | None,
    ) -> CallRecord:
        if turns:
            record = await self._record(customer_id, user_id, call_id, turns, started_at, ended_at)
            assert record is not None  # None only when stored turns changed under us
            return record
        # No turns in the request: the call's stored turns (CallService), with
        # the call's start and end taken from them unless given.
        for _ in range(STORED_TURNS_ATTEMPTS):
            stored, count = await self._stored_turns(customer_id, user_id, call_id)
            start, end = call_window_from_turns(stored, started_at, ended_at)
            record = await self._record(
                customer_id,
                user_id,
                call_id,
                [TranscriptTurn(speaker=t.role, text=t.content) for t in stored],
                start,
                end,
                stored_turn_count=count,
            )
            if record is not None:
                return record
        raise Aborted(
            f"turns kept being appended to call {call_id!r} while it was processed; "
            "process it once its last turn is stored"
        )

    async def _stored_turns(
        self, customer_id: int, user_id: str, call_id: str
    ) -> tuple[list[StoredTurn], int]:
        """The call's stored turns within the retention, and its stored turn count."""
        async with self._db.tenant(customer_id) as uow:
            call = await uow.call_records.get(call_id)
            if call is None:
                stored = []
            else:
                stored = await uow.call_records.transcript(
                    call_id, retention_cutoff(dt.datetime.now(dt.UTC))
                )
        if call is not None and call.user_id != user_id:
            raise another_callers_call(call_id)
        if not stored:
            raise InvalidArgument(
                f"turns is empty and call {call_id!r} has no stored turns: send the "
                "transcript in turns, or store it with CallService.AppendTranscriptTurns first"
            )
        return stored, call.turn_count if call is not None else 0

    async def _record(
        self,
        customer_id: int,
        user_id: str,
        call_id: str,
        turns: Sequence[TranscriptTurn],
        started_at: dt.datetime | None,
        ended_at: dt.datetime | None,
        *,
        stored_turn_count: int | None = None,
    ) -> CallRecord | None:
        """Summarise and record. With `stored_turn_count`, None when the call's
        stored turns changed since they were read (nothing is recorded then)."""
        check_transcript(turns)
        start, end, duration = call_window(started_at, ended_at, dt.datetime.now(dt.UTC))
        analysis = await self._summarizer.analyze(turns)
        extracted = self._extracted(user_id, call_id, analysis)
        async with self._db.tenant(customer_id) as uow:
            if stored_turn_count is not None:
                # Locks the call's row: an append waits, then finds it processed.
                call = await uow.call_records.lock(call_id)
                if call is None or call.turn_count != stored_turn_count:
                    return None
            recorded = await uow.calls.record(
                call_id=call_id,
                user_id=user_id,
                started_at=start,
                ended_at=end,
                duration_seconds=duration,
                analysis=analysis,
                turn_count=len(turns),
            )
            if recorded is None:
                stored = await uow.calls.stored(call_id)
                assert stored is not None  # the conflicting row is committed and visible
                summary, scores = stored
                if summary.user_id != user_id:
                    raise AlreadyExists(
                        f"call_id {call_id!r} was already processed for another caller: "
                        "call ids must be unique per call"
                    )
                stored_follow_ups = await uow.follow_ups.of_call(call_id)
                return CallRecord(
                    summary, scores, already_processed=True, follow_ups=tuple(stored_follow_ups)
                )
            summary, tenant = recorded
            aggregates = await uow.calls.personality_aggregates(user_id)
            # The averages, the follow-ups and the extracted facts: one statement.
            follow_ups = await uow.calls.finish(
                user_id,
                call_id,
                start,
                aggregates,
                from_commitments(
                    analysis.notes.commitments,
                    user_id=user_id,
                    call_id=call_id,
                    call_started_at=start,
                    time_zone=tenant.time_zone,
                ),
                extracted if tenant.extract_memories else (),
            )
        return CallRecord(
            summary, analysis.personality, already_processed=False, follow_ups=tuple(follow_ups)
        )

    def _extracted(
        self, user_id: str, call_id: str, analysis: CallAnalysis
    ) -> list[tuple[NewMemory, Vector | None]]:
        """The analysis's memories as validated upserts, embedded before the transaction.

        A memory the summariser got wrong (a key or value a store would refuse) is
        left out, not the call failed: the transcript was valid. Of two facts under
        one key, the later one is kept (one upsert per memory)."""
        by_key: dict[tuple[str, str], NewMemory] = {}
        for m in analysis.memories:
            try:
                by_key[(m.type, m.key)] = new_memory(
                    scope="user",
                    user_id=user_id,
                    type=m.type,
                    key=m.key,
                    value={"value": m.value},
                    ttl_days=DEFAULT_TTL_DAYS,
                    source=EXTRACTED_SOURCE,
                    call_id=call_id,
                )
            except InvalidArgument as exc:
                logger.warning("extracted memory left out: %s", exc)
        items = list(by_key.values())
        if self._embedder is None or not items:
            return [(item, None) for item in items]
        vectors = self._embedder.embed_memories([(i.type, i.key, i.value) for i in items])
        return list(zip(items, vectors, strict=True))
