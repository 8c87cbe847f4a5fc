"""GetEnrichedContext: what the agent knows about a caller at the start of a call.

The rules of the hot path of every phone call: the bounds of a request, which
memory types are left out, who counts as a new caller, and the text block for
the LLM prompt (`render_context`, a pure function). Reading the data is one
database round trip (`alice_server.services.context`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from alice_server.domain.callers import CallerProfile
from alice_server.domain.calls import CallSummary
from alice_server.domain.errors import InvalidArgument
from alice_server.domain.follow_ups import FollowUp, due_text, zone
from alice_server.domain.memories import Memory
from alice_server.domain.personality import (
    RECENT_WINDOW,
    PersonalityAverages,
    label,
    labelled_scores,
)

DEFAULT_SUMMARIES = 5
MAX_SUMMARIES = 50
DEFAULT_MEMORIES = 10
MAX_MEMORIES = 100
# Running transcripts are superseded by the call summaries and would crowd
# the prompt: they are not part of the context.
TRANSCRIPT_TYPES = ("thread_recap", "conversation")
# The agent's own settings, as the legacy service kept them (shared memories of
# type "admin_setting"): greetings, transfer numbers, prompt blocks and voices
# belong in the system prompt the agent builds from its tenant settings, never
# in a caller's context. Other shared memories (office hours...) stay: they
# are business information the agent may give any caller.
SETTINGS_TYPE = "admin_setting"
AGENT_SETTING_KEYS = (
    "agent_name",
    "existing_user_greeting",
    "returning_caller_greeting",
    "new_caller_greeting",
    "greeting_template",
    "transfer_rules",
    "openai_voice",
    "voice",
    "voice_id",
    "prompt_blocks",
)
MAX_VALUE_CHARS_IN_TEXT = 300
MAX_ACTION_CHARS_IN_TEXT = 300


@dataclass(frozen=True, slots=True)
class ContextData:
    """What the database holds for a call start (read in one round trip)."""

    profile: CallerProfile | None
    personality: PersonalityAverages | None
    summaries: list[CallSummary]
    memories: list[Memory]
    # The caller's open follow-ups, due first, and the tenant's time zone (0007).
    follow_ups: list[FollowUp] = field(default_factory=list)
    time_zone: str = "UTC"


def is_new_caller(user_id: str, data: ContextData) -> bool:
    """No processed call and no memory of the caller's own."""
    return data.profile is None and not any(m.user_id == user_id for m in data.memories)


@dataclass(frozen=True, slots=True)
class EnrichedContext:
    user_id: str
    is_new_caller: bool
    text: str
    profile: CallerProfile | None
    personality: PersonalityAverages | None
    summaries: list[CallSummary]
    memories: list[Memory]
    follow_ups: list[FollowUp] = field(default_factory=list)
    # The call start: a follow-up due before it is overdue.
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def bounded(value: int | None, default: int, maximum: int, field: str) -> int:
    if value is None:
        return default
    if value < 0 or value > maximum:
        raise InvalidArgument(f"{field} must be 0 to {maximum} (unset means {default})")
    return value


def render_context(
    user_id: str,
    is_new_caller: bool,
    profile: CallerProfile | None,
    personality: PersonalityAverages | None,
    summaries: Sequence[CallSummary],
    memories: Sequence[Memory],
    follow_ups: Sequence[FollowUp] = (),
    *,
    time_zone: str = "UTC",
    now: dt.datetime | None = None,
) -> str:
    """The block of text appended to the agent's system prompt. Open follow-ups
    show their due time in the tenant's `time_zone`, and "OVERDUE" when it is
    before `now` (the call start)."""
    lines = [f"Caller: {inline(user_id)}"]
    if is_new_caller:
        lines.append("This is a new caller: there is no record of earlier calls.")
    elif profile is None:
        lines.append("No earlier call of this caller has been summarised yet.")
    else:
        if profile.preferred_name:
            lines.append(f"Name: {inline(profile.preferred_name)}")
        if profile.total_calls == 0:  # a profile written before the first processed call
            lines.append("No earlier call of this caller has been summarised yet.")
        else:
            calls = "call" if profile.total_calls == 1 else "calls"
            lines.append(
                f"Returning caller: {profile.total_calls} earlier {calls}, first on "
                f"{profile.first_call_at:%Y-%m-%d}, last on {profile.last_call_at:%Y-%m-%d}."
            )
    if personality is not None:
        traits = [
            f"{text} ({score:.0f})"
            for trait, score, text in labelled_scores(personality)
            if not trait.endswith("_level")
        ]
        over = f"{personality.call_count} call" + ("" if personality.call_count == 1 else "s")
        lines.append(f"Personality (over {over}): " + ", ".join(traits) + ".")
        lines.append(
            f"Recent mood (last {min(personality.call_count, RECENT_WINDOW)} of them): "
            f"{label('frustration_level', personality.recent_frustration)} "
            f"({personality.recent_frustration:.0f}"
            f"{_trend_text(personality.frustration_trend)}), "
            f"{label('satisfaction_level', personality.recent_satisfaction)} "
            f"({personality.recent_satisfaction:.0f}"
            f"{_trend_text(personality.satisfaction_trend)}), "
            f"{label('urgency_level', personality.recent_urgency)} "
            f"({personality.recent_urgency:.0f})."
        )
    if summaries:
        lines.append("Recent calls (newest first):")
        for summary in summaries:
            topics = (
                f" Topics: {', '.join(inline(t) for t in summary.key_topics)}."
                if summary.key_topics
                else ""
            )
            lines.append(
                f"- {summary.started_at:%Y-%m-%d} ({inline(summary.sentiment)}): "
                f"{inline(summary.summary)}{topics}"
            )
    if follow_ups:
        tz = zone(time_zone)
        lines.append("Open follow-ups (promises not yet kept, due first):")
        lines.extend(_follow_up_line(f, tz, now) for f in follow_ups)
    own = [m for m in memories if m.user_id]
    shared = [m for m in memories if not m.user_id]
    if own:
        lines.append("What the caller told us before:")
        lines.extend(_memory_line(m) for m in own)
    if shared:
        lines.append("Business information:")
        lines.extend(_memory_line(m) for m in shared)
    return "\n".join(lines)


def _follow_up_line(follow_up: FollowUp, tz: dt.tzinfo, now: dt.datetime | None) -> str:
    who = "We (the agent) promised" if follow_up.party == "agent" else "The caller promised"
    action = inline(follow_up.action)
    if len(action) > MAX_ACTION_CHARS_IN_TEXT:
        action = action[: MAX_ACTION_CHARS_IN_TEXT - 1] + "…"
    if follow_up.due_at is not None:
        due = f"due {due_text(follow_up.due_at, tz)}"
        if follow_up.due_phrase:
            due += f' ("{inline(follow_up.due_phrase)}")'
    elif follow_up.due_phrase:
        due = f'due "{inline(follow_up.due_phrase)}"'
    else:
        due = "no due date"
    overdue = "OVERDUE: " if now is not None and follow_up.overdue(now) else ""
    made = f"{follow_up.promised_at.astimezone(tz):%Y-%m-%d}"
    return f"- {overdue}{who} to {action}; {due}; promised on {made}."


def _trend_text(trend: str | None) -> str:
    return f", {trend}" if trend else ""


def _memory_line(memory: Memory) -> str:
    value = memory.value
    if len(value) == 1:
        (only,) = value.values()
        shown = only if isinstance(only, str) else json.dumps(only, ensure_ascii=False)
    else:
        shown = json.dumps(value, ensure_ascii=False, sort_keys=True)
    shown = inline(shown)
    if len(shown) > MAX_VALUE_CHARS_IN_TEXT:
        shown = shown[: MAX_VALUE_CHARS_IN_TEXT - 1] + "…"
    return f"- {inline(memory.type)} / {inline(memory.key)}: {shown}"


# Every character str.splitlines() breaks a line at.
_LINE_BREAKS = str.maketrans(
    {
        "\n": "\\n",
        "\r": "\\r",
        "\v": "\\v",
        "\f": "\\f",
        "\x1c": "\\x1c",
        "\x1d": "\\x1d",
        "\x1e": "\\x1e",
        "\x85": "\\x85",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


_HAS_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]").search


def inline(text: str) -> str:
    """Stored text made to stay on its line: line breaks escaped as in a JSON
    string, so that no stored value can start a line of the block's own
    structure (a forged "Business information:" section, say)."""
    # str.translate with a dict walks the text in Python-level steps; most
    # stored text has no line break, and a regex search finds that in C.
    if _HAS_LINE_BREAK(text) is None:
        return text
    return text.translate(_LINE_BREAKS)
