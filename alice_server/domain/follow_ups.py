"""Follow-ups: the promises made during a call, kept open until done or cancelled.

ProcessCall turns the summariser's commitments (`CallNotes.commitments`) into
follow-ups of the caller, each with the deadline its words set, resolved
against the call's start in the tenant's time zone (`domain.due_dates`). The
call start lists the caller's open ones, due first, and marks those already
past due; an agent or an admin screen marks them done or cancelled.

Pure rules: no storage, no gRPC, no clock (callers pass `now`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alice_server.domain.due_dates import resolve_due
from alice_server.domain.errors import FailedPrecondition, InvalidArgument
from alice_server.domain.summarizer import Commitment
from alice_server.domain.summarizer.interface import Party

FollowUpStatus = Literal["open", "done", "cancelled"]
OPEN: Final = "open"
DONE: Final = "done"
CANCELLED: Final = "cancelled"
STATUSES: Final = (OPEN, DONE, CANCELLED)
PARTIES: Final = ("agent", "caller")

# What one call may add: a summariser gone wrong must not flood the table or
# the next call's prompt.
MAX_PER_CALL: Final = 50
MAX_ACTION_CHARS: Final = 500
MAX_DUE_PHRASE_CHARS: Final = 200
# GetEnrichedContext's num_follow_ups: unset means the default, 0 none.
DEFAULT_CONTEXT_FOLLOW_UPS: Final = 10
MAX_CONTEXT_FOLLOW_UPS: Final = 50


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A stored follow-up."""

    id: uuid.UUID
    user_id: str
    call_id: str
    ordinal: int
    """Its place among the call's commitments (0, 1, ...): with call_id, its identity."""
    party: Party
    action: str
    due_phrase: str
    due_at: dt.datetime | None
    promised_at: dt.datetime
    """The start of the call it was promised in (what `due_phrase` was resolved against)."""
    status: FollowUpStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None

    def overdue(self, now: dt.datetime) -> bool:
        """Open and past its due time at `now`."""
        return self.status == OPEN and self.due_at is not None and self.due_at < now


@dataclass(frozen=True, slots=True)
class NewFollowUp:
    """A follow-up to store for a processed call."""

    user_id: str
    call_id: str
    ordinal: int
    party: Party
    action: str
    due_phrase: str
    due_at: dt.datetime | None
    promised_at: dt.datetime


def zone(name: str) -> dt.tzinfo:
    """The tenant's time zone (customers.time_zone, validated when set); UTC if
    the name is empty or unknown to this machine's time zone database."""
    try:
        return ZoneInfo(name) if name else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def from_commitments(
    commitments: Sequence[Commitment],
    *,
    user_id: str,
    call_id: str,
    call_started_at: dt.datetime,
    time_zone: str,
) -> list[NewFollowUp]:
    """The call's commitments as follow-ups of the caller, in transcript order.

    Due times are resolved against the call's start in the tenant's zone ("by
    Friday" is that tenant's Friday). A commitment without an action is not a
    follow-up; over-long texts are cut, and at most MAX_PER_CALL are kept (the
    summariser's output is not the client's input: nothing here fails the call).
    """
    reference = call_started_at.astimezone(zone(time_zone))
    result: list[NewFollowUp] = []
    for commitment in commitments:
        action = _one_line(commitment.action, MAX_ACTION_CHARS)
        if not action or commitment.party not in PARTIES:
            continue
        phrase = _one_line(commitment.due_phrase, MAX_DUE_PHRASE_CHARS)
        result.append(
            NewFollowUp(
                user_id=user_id,
                call_id=call_id,
                ordinal=len(result),
                party=commitment.party,
                action=action,
                due_phrase=phrase,
                due_at=resolve_due(phrase, reference) if phrase else None,
                promised_at=call_started_at,
            )
        )
        if len(result) == MAX_PER_CALL:
            break
    return result


def _one_line(text: str, limit: int) -> str:
    """Whitespace (line breaks included) collapsed, NULs dropped, cut at `limit`."""
    collapsed = " ".join(text.replace("\x00", "").split())
    return collapsed if len(collapsed) <= limit else collapsed[: limit - 1].rstrip() + "…"


def status_filter(value: str | None) -> FollowUpStatus:
    """The status a list is for: open unless another is named."""
    if value is None:
        return OPEN
    if value not in STATUSES:
        raise InvalidArgument("status must be open, done or cancelled")
    return value  # type: ignore[return-value]


def check_transition(current: FollowUp, target: FollowUpStatus) -> bool:
    """Whether marking `current` as `target` changes it (False: it is already so,
    and the request succeeds unchanged). Done and cancelled are final."""
    if current.status == target:
        return False
    if current.status != OPEN:
        raise FailedPrecondition(
            f"follow-up {current.id} is already {current.status}; a closed follow-up "
            "stays as it is (a new promise becomes a new follow-up at the next call)"
        )
    return True


def due_text(due_at: dt.datetime, tz: dt.tzinfo) -> str:
    """The due time as an agent reads it, in the tenant's zone: "Fri 2026-03-06 17:00 CST"."""
    local = due_at.astimezone(tz)
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()
