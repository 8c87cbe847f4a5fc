"""Per-call transcripts and call records: the rules, without storage or gRPC.

A call's turns are appended while the call goes on, each identified by its
sequence number within the call, so that a retried append stores nothing
twice and turns arriving out of order still read back in order. A call holds
at most MAX_TURNS_PER_CALL turns and MAX_CHARS_PER_CALL characters: a
bounded transcript can always be read in one message and summarised in one
go. Turns are kept TRANSCRIPT_RETENTION_DAYS after they were stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from alice_server.domain.errors import AlreadyExists, FailedPrecondition, InvalidArgument

Speaker = Literal["caller", "agent", "system"]
Direction = Literal["", "inbound", "outbound"]

MAX_TURNS_PER_REQUEST = 500
MAX_TURNS_PER_CALL = 5000
MAX_CHARS_PER_CALL = 500_000
MAX_TURN_CHARS = 20_000
MAX_SEQUENCE = 2**31 - 1
TRANSCRIPT_RETENTION_DAYS = 90
MAX_RECORD_TEXT_CHARS = 128
MAX_URL_CHARS = 2048


@dataclass(frozen=True, slots=True)
class NewTurn:
    """A turn as a request gives it; spoken_at None means "when stored"."""

    sequence: int
    role: Speaker
    content: str
    spoken_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class StoredTurn:
    sequence: int
    role: Speaker
    content: str
    spoken_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CallDetails:
    """A call's record and the counters of its stored transcript."""

    call_id: str
    user_id: str
    direction: Direction
    dialled_number: str
    external_call_id: str
    transfer_target: str
    recording_url: str
    transcript_url: str
    turn_count: int
    char_count: int
    first_turn_at: dt.datetime | None
    last_turn_at: dt.datetime | None
    processed: bool
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AppendOutcome:
    call_id: str
    appended: int
    already_stored: int
    turn_count: int
    next_sequence: int


@dataclass(frozen=True, slots=True)
class RecordChanges:
    """The fields of a call record to change; None keeps the stored value."""

    direction: Direction | None = None
    dialled_number: str | None = None
    external_call_id: str | None = None
    transfer_target: str | None = None
    recording_url: str | None = None
    transcript_url: str | None = None

    def as_columns(self) -> dict[str, str]:
        return {
            name: getattr(self, name)
            for name in RecordChanges.__dataclass_fields__
            if getattr(self, name) is not None
        }


def check_new_turns(turns: Sequence[NewTurn]) -> None:
    """One request's turns: 1-500, strictly increasing sequences, bounded content."""
    if not turns:
        raise InvalidArgument("turns must hold at least one turn")
    if len(turns) > MAX_TURNS_PER_REQUEST:
        raise InvalidArgument(
            f"at most {MAX_TURNS_PER_REQUEST} turns per request; send the rest in further requests"
        )
    previous = -1
    for index, turn in enumerate(turns):
        if not 0 <= turn.sequence <= MAX_SEQUENCE:
            raise InvalidArgument(f"turns[{index}].sequence must be 0 to {MAX_SEQUENCE}")
        if turn.sequence <= previous:
            raise InvalidArgument(
                f"turns[{index}].sequence must be greater than the turn before it's: "
                "sequences of one request are strictly increasing"
            )
        previous = turn.sequence
        if not turn.content:
            raise InvalidArgument(f"turns[{index}].content is required")
        if len(turn.content) > MAX_TURN_CHARS:
            raise InvalidArgument(
                f"turns[{index}].content is longer than {MAX_TURN_CHARS} characters"
            )
        if "\x00" in turn.content:
            raise InvalidArgument(f"turns[{index}].content must not contain NUL characters")


def new_turns_to_store(
    call_id: str, turns: Sequence[NewTurn], stored: Mapping[int, StoredTurn]
) -> tuple[list[NewTurn], int]:
    """The turns not stored yet, and how many were stored identically before.

    A sequence stored with another role or content is a conflict: turns are
    append-only, and silently keeping either version would lose the other.
    """
    fresh: list[NewTurn] = []
    repeated = 0
    for turn in turns:
        existing = stored.get(turn.sequence)
        if existing is None:
            fresh.append(turn)
        elif existing.role == turn.role and existing.content == turn.content:
            repeated += 1
        else:
            raise FailedPrecondition(
                f"turn {turn.sequence} of call {call_id!r} is already stored with a different "
                "role or content; stored turns cannot change: give new turns new sequence numbers"
            )
    return fresh, repeated


def check_call_limits(call: CallDetails, fresh: Sequence[NewTurn]) -> None:
    """Refuses what would take a call past its limits (nothing is stored then)."""
    if not fresh:
        return
    if call.processed:
        raise FailedPrecondition(
            f"call {call.call_id!r} was already processed: its transcript is closed; "
            "use a new call_id for a new call"
        )
    turns = call.turn_count + len(fresh)
    if turns > MAX_TURNS_PER_CALL:
        raise FailedPrecondition(
            f"call {call.call_id!r} holds {call.turn_count} turns; {len(fresh)} more would pass "
            f"the limit of {MAX_TURNS_PER_CALL} turns per call"
        )
    chars = call.char_count + sum(len(t.content) for t in fresh)
    if chars > MAX_CHARS_PER_CALL:
        raise FailedPrecondition(
            f"call {call.call_id!r} would hold {chars} characters of transcript, more than the "
            f"limit of {MAX_CHARS_PER_CALL} per call"
        )


def another_callers_call(call_id: str) -> AlreadyExists:
    """The error for a write naming a call that belongs to another caller."""
    return AlreadyExists(
        f"call_id {call_id!r} belongs to another caller: call ids must be unique per call"
    )


def retention_cutoff(now: dt.datetime) -> dt.datetime:
    """Turns stored before this are past the retention."""
    return now - dt.timedelta(days=TRANSCRIPT_RETENTION_DAYS)


def call_window_from_turns(
    turns: Sequence[StoredTurn],
    started_at: dt.datetime | None,
    ended_at: dt.datetime | None,
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """A call's start and end: as given, else the first and last stored turn's time."""
    if not turns:
        return started_at, ended_at
    first = min(t.spoken_at for t in turns)
    last = max(t.spoken_at for t in turns)
    start = started_at or first
    end = ended_at or (last if last >= start else None)
    return start, end


def check_record_changes(changes: RecordChanges) -> RecordChanges:
    for name in ("dialled_number", "external_call_id", "transfer_target"):
        value = getattr(changes, name)
        if value is not None and (
            len(value) > MAX_RECORD_TEXT_CHARS or not value.isprintable() or value != value.strip()
        ):
            raise InvalidArgument(
                f"{name} must be at most {MAX_RECORD_TEXT_CHARS} printable characters "
                "without surrounding spaces"
            )
    for name in ("recording_url", "transcript_url"):
        value = getattr(changes, name)
        if value:
            _check_url(name, value)
    return changes


def _check_url(field: str, value: str) -> None:
    problem = len(value) > MAX_URL_CHARS or not value.isprintable() or " " in value
    if not problem:
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        problem = parts is None or parts.scheme not in ("http", "https") or not parts.netloc
    if problem:
        raise InvalidArgument(
            f"{field} must be an http or https URL of at most {MAX_URL_CHARS} characters"
        )
