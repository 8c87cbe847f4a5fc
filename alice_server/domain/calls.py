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


def call_window(
    started_at: dt.datetime | None, ended_at: dt.datetime | None, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime | None, int | None]:
    """(start, end, duration in seconds) of a call; start defaults to now."""
    start = started_at or now
    if ended_at is None:
        return start, None, None
    if ended_at < start:
        raise InvalidArgument("ended_at must not be before started_at")
    return start, ended_at, int((ended_at - start).total_seconds())
