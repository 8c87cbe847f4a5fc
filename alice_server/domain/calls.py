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

from alice_server.domain.errors import InvalidArgument
from alice_server.domain.follow_ups import FollowUp
from alice_server.domain.summarizer import PersonalityScores, TranscriptTurn

MAX_TURNS = 5000
MAX_TURN_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class CallSummary:
    """One processed call: its summary, sentiment and topics."""

    id: int
    call_id: str
    user_id: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    duration_seconds: int | None
    summary: str
    key_topics: list[str]
    sentiment: str
    turn_count: int
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CallRecord:
    """The outcome of ProcessCall, fresh or stored."""

    summary: CallSummary
    personality: PersonalityScores
    already_processed: bool
    follow_ups: tuple[FollowUp, ...] = ()
    """The call's follow-ups (its commitments), in transcript order."""


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
