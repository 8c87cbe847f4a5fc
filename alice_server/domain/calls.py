"""ProcessCall: summarise a finished call and record it, once.

The transcript is analysed before the transaction opens (the summariser may be
slow; a transaction should not wait for it). Then, in one transaction:

1. insert the call summary, ON CONFLICT (customer_id, call_id) DO NOTHING: a
   retry, or a concurrent duplicate, inserts nothing and gets the stored
   result back instead (a duplicate still in flight is waited for by
   PostgreSQL's unique index);
2. upsert the caller profile (first/last call, total_calls). This locks the
   caller's profile row, so two different calls of one caller processed at
   once are counted one after the other;
3. insert the call's 13 personality scores;
4. recompute the caller's personality averages and trends.

Any failure rolls all of it back: nothing is half-recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from alice_server.domain.errors import AlreadyExists, InvalidArgument
from alice_server.domain.personality import recompute_averages
from alice_server.domain.summarizer import (
    PERSONALITY_TRAITS,
    CallAnalysis,
    PersonalityScores,
    Summarizer,
    TranscriptTurn,
)
from alice_server.storage.database import Database
from alice_server.storage.models import CallerProfile, CallSummary, PersonalityMetrics

MAX_TURNS = 5000
MAX_TURN_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class CallRecord:
    """The outcome of ProcessCall, fresh or stored."""

    summary: CallSummary
    personality: PersonalityScores
    already_processed: bool


def check_transcript(turns: Sequence[TranscriptTurn]) -> None:
    if not turns:
        raise InvalidArgument("turns must hold at least one turn")
    if len(turns) > MAX_TURNS:
        raise InvalidArgument(f"at most {MAX_TURNS} turns per call")
    for index, turn in enumerate(turns):
        if len(turn.text) > MAX_TURN_CHARS:
            raise InvalidArgument(
                f"turns[{index}].content is longer than {MAX_TURN_CHARS} characters"
            )
        if "\x00" in turn.text:
            raise InvalidArgument(f"turns[{index}].content must not contain NUL characters")


# A call's times: not before this, not more than a day ahead of the server's
# clock, and a call lasts at most MAX_CALL_SECONDS (the duration column is 32-bit).
EARLIEST_CALL = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MAX_CLOCK_AHEAD = dt.timedelta(days=1)
MAX_CALL_SECONDS = 24 * 3600


def call_window(
    started_at: dt.datetime | None, ended_at: dt.datetime | None, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime | None, int | None]:
    """(start, end, duration in seconds) of a call; start defaults to now."""
    start = started_at or now
    latest = now + MAX_CLOCK_AHEAD
    for name, value in (("started_at", started_at), ("ended_at", ended_at)):
        if value is not None and not EARLIEST_CALL <= value <= latest:
            raise InvalidArgument(
                f"{name} must lie between {EARLIEST_CALL:%Y-%m-%d} and one day from now (UTC)"
            )
    if ended_at is None:
        return start, None, None
    if ended_at < start:
        raise InvalidArgument("ended_at must not be before started_at")
    duration = int((ended_at - start).total_seconds())
    if duration > MAX_CALL_SECONDS:
        raise InvalidArgument(
            f"a call lasts at most {MAX_CALL_SECONDS // 3600} hours: ended_at is too far "
            "after started_at"
        )
    return start, ended_at, duration


class CallProcessor:
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
        async with self._db.tenant_session(customer_id) as session:
            summary_id = await session.scalar(
                pg_insert(CallSummary)
                .values(
                    customer_id=customer_id,
                    call_id=call_id,
                    user_id=user_id,
                    started_at=start,
                    ended_at=end,
                    duration_seconds=duration,
                    summary=analysis.summary,
                    key_topics=list(analysis.key_topics),
                    sentiment=analysis.sentiment,
                    turn_count=len(turns),
                )
                .on_conflict_do_nothing(constraint="uq_call_summaries_customer_id_call_id")
                .returning(CallSummary.id)
            )
            if summary_id is None:
                return await self._stored(session, customer_id, user_id, call_id)
            await self._count_call(session, customer_id, user_id, start, analysis)
            await session.execute(
                pg_insert(PersonalityMetrics).values(
                    customer_id=customer_id,
                    user_id=user_id,
                    call_id=call_id,
                    call_at=start,
                    **analysis.personality.as_dict(),
                )
            )
            await recompute_averages(session, customer_id, user_id)
            summary = await session.get_one(CallSummary, (customer_id, summary_id))
        return CallRecord(summary, analysis.personality, already_processed=False)

    @staticmethod
    async def _count_call(
        session: AsyncSession,
        customer_id: int,
        user_id: str,
        start: dt.datetime,
        analysis: CallAnalysis,
    ) -> None:
        insert = pg_insert(CallerProfile).values(
            customer_id=customer_id,
            user_id=user_id,
            first_call_at=start,
            last_call_at=start,
            total_calls=1,
            preferred_name=analysis.caller_name or "",
        )
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=["customer_id", "user_id"],
                set_={
                    "first_call_at": func.least(CallerProfile.first_call_at, start),
                    "last_call_at": func.greatest(CallerProfile.last_call_at, start),
                    "total_calls": CallerProfile.total_calls + 1,
                    # A name the caller gave is kept once known.
                    "preferred_name": func.coalesce(
                        func.nullif(CallerProfile.preferred_name, ""),
                        insert.excluded.preferred_name,
                    ),
                    "updated_at": func.now(),
                },
            )
        )

    @staticmethod
    async def _stored(
        session: AsyncSession, customer_id: int, user_id: str, call_id: str
    ) -> CallRecord:
        row = (
            await session.execute(
                select(CallSummary, PersonalityMetrics)
                .join(
                    PersonalityMetrics,
                    (PersonalityMetrics.customer_id == CallSummary.customer_id)
                    & (PersonalityMetrics.call_id == CallSummary.call_id),
                )
                .where(
                    CallSummary.customer_id == customer_id,
                    CallSummary.call_id == call_id,
                )
            )
        ).one()
        summary, metrics = row
        if summary.user_id != user_id:
            raise AlreadyExists(
                f"call_id {call_id!r} was already processed for another caller: "
                "call ids must be unique per call"
            )
        scores = PersonalityScores(**{t: getattr(metrics, t) for t in PERSONALITY_TRAITS})
        return CallRecord(summary, scores, already_processed=True)
