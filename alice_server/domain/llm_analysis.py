"""The LLM summariser's answer: its JSON schema and its validation (pure).

The model is asked (alice_server/llm/prompts/call_analysis.v2.txt) for one JSON
object matching ANSWER_SCHEMA: the call notes (what the caller wanted, the outcome,
the commitments with their due phrases as said), the facts worth remembering as
keyed memories (type, key, value), the caller's sentiment, up to five topics, the
13 personality scores and the caller's name if given. `parse_answer` checks every
part and returns a CallAnalysis whose summary is rendered from the notes exactly as
the built-in summariser renders its own (domain/summarizer/notes.py), or raises
InvalidAnswer with a reason that names the part, never the content (it is logged).
A fact holding a payment-card or social security number is dropped, never stored.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from alice_server.domain.errors import InvalidArgument
from alice_server.domain.memories import DEFAULT_TTL_DAYS, new_memory
from alice_server.domain.summarizer import (
    CallAnalysis,
    CallNotes,
    Commitment,
    ExtractedMemory,
    PersonalityScores,
)
from alice_server.domain.summarizer.notes import render_summary
from alice_server.domain.summarizer.spoken import is_card_number
from alice_server.domain.traits import PERSONALITY_TRAITS

MAX_TOPICS: Final = 5
MAX_TOPIC_CHARS: Final = 40
MAX_MEMORIES: Final = 20
MAX_COMMITMENTS: Final = 20
MAX_NAME_CHARS: Final = 80
MAX_NOTE_CHARS: Final = 300
MAX_ACTION_CHARS: Final = 200
MAX_DUE_CHARS: Final = 80
MEMORY_TYPES: Final = ("fact", "person", "preference", "rule", "moment", "project")
PARTIES: Final = ("agent", "caller")
SOURCE: Final = "process_call"

_STRING = {"type": "string"}
ANSWER_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "wanted", "outcome", "commitments", "facts", "sentiment", "topics", "personality",
        "caller_name",
    ],
    "properties": {
        "wanted": {"type": "string", "description": "one sentence: what the caller wanted"},
        "outcome": {"type": "string", "description": "what was done or decided; may be empty"},
        "commitments": {
            "type": "array",
            "maxItems": MAX_COMMITMENTS,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["party", "action", "due_phrase"],
                "properties": {
                    "party": {"type": "string", "enum": list(PARTIES)},
                    "action": {"type": "string", "description": "neutral: 'email the ID cards'"},
                    "due_phrase": {"type": "string", "description": "the deadline as said, or ''"},
                },
            },
        },
        "facts": {
            "type": "array",
            "maxItems": MAX_MEMORIES,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "key", "value"],
                "properties": {
                    "type": {"type": "string", "enum": list(MEMORY_TYPES)},
                    "key": {"type": "string", "description": "snake_case, e.g. claim_number"},
                    "value": _STRING,
                },
            },
        },
        "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
        "topics": {"type": "array", "maxItems": MAX_TOPICS, "items": _STRING},
        "personality": {
            "type": "object",
            "additionalProperties": False,
            "required": list(PERSONALITY_TRAITS),
            "properties": {
                name: {"type": "number", "minimum": 0, "maximum": 100}
                for name in PERSONALITY_TRAITS
            },
        },
        "caller_name": {"type": ["string", "null"]},
    },
}  # fmt: skip

_KEY_RE = re.compile(r"^[a-z0-9_]{1,64}$")
_SSN_RE = re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b")
_SENSITIVE_KEY_RE = re.compile(r"card|ssn|social|password|passcode|pin\b|cvv|routing|gate_code")


class InvalidAnswer(ValueError):
    """The model's answer does not match the schema; the message names what (no content)."""


def parse_answer(content: str) -> CallAnalysis:
    """The analysis the model's answer gives, or InvalidAnswer naming what is wrong."""
    try:
        answer = json.loads(content)
    except (TypeError, ValueError):
        raise InvalidAnswer("not JSON") from None
    if not isinstance(answer, dict):
        raise InvalidAnswer("not a JSON object")
    extra = set(answer) - set(ANSWER_SCHEMA["properties"])
    missing = set(ANSWER_SCHEMA["required"]) - set(answer)
    if extra or missing:
        raise InvalidAnswer(f"fields: missing {sorted(missing)}, unexpected {sorted(extra)}")
    notes = CallNotes(
        wanted=_note(answer["wanted"], "wanted", required=True),
        outcome=_note(answer["outcome"], "outcome", required=False),
        commitments=_commitments(answer["commitments"]),
    )
    facts = _memories(answer["facts"])
    return CallAnalysis(
        summary=render_summary(notes, facts, ""),
        sentiment=_sentiment(answer["sentiment"]),
        key_topics=_topics(answer["topics"]),
        personality=_personality(answer["personality"]),
        caller_name=_name(answer["caller_name"]),
        memories=facts,
        notes=notes,
    )


def _note(value: Any, field: str, *, required: bool) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidAnswer(f"{field} must be a {'non-empty ' if required else ''}string")
    text = " ".join(value.split())
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidAnswer(f"{field} must be at most {MAX_NOTE_CHARS} characters")
    if text and text[-1] not in ".!?":
        text += "."
    return text


def _commitments(value: Any) -> tuple[Commitment, ...]:
    if not isinstance(value, list) or len(value) > MAX_COMMITMENTS:
        raise InvalidAnswer(f"commitments must be a list of at most {MAX_COMMITMENTS}")
    found: list[Commitment] = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"party", "action", "due_phrase"}:
            raise InvalidAnswer("each commitment must have exactly party, action and due_phrase")
        party, action, due = item["party"], item["action"], item["due_phrase"]
        if party not in PARTIES:
            raise InvalidAnswer("commitment party must be agent or caller")
        if not isinstance(action, str) or not action.strip() or len(action) > MAX_ACTION_CHARS:
            raise InvalidAnswer(f"commitment action must be 1-{MAX_ACTION_CHARS} characters")
        if not isinstance(due, str) or len(due) > MAX_DUE_CHARS:
            raise InvalidAnswer(f"commitment due_phrase must be at most {MAX_DUE_CHARS} characters")
        action = " ".join(action.split()).rstrip(".")
        found.append(Commitment(party, action[0].lower() + action[1:], " ".join(due.split())))
    return tuple(found)


def _sentiment(value: Any) -> Any:
    if value not in ("positive", "neutral", "negative"):
        raise InvalidAnswer("sentiment must be positive, neutral or negative")
    return value


def _topics(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_TOPICS:
        raise InvalidAnswer(f"topics must be a list of at most {MAX_TOPICS}")
    topics: list[str] = []
    for topic in value:
        if not isinstance(topic, str) or not topic.strip() or len(topic) > MAX_TOPIC_CHARS:
            raise InvalidAnswer(f"each topic must be 1-{MAX_TOPIC_CHARS} characters")
        cleaned = " ".join(topic.lower().split())
        if cleaned not in topics:
            topics.append(cleaned)
    return tuple(topics)


def _personality(value: Any) -> PersonalityScores:
    if not isinstance(value, dict) or set(value) != set(PERSONALITY_TRAITS):
        raise InvalidAnswer("personality must have exactly the 13 traits")
    scores = {}
    for name in PERSONALITY_TRAITS:
        score = value[name]
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise InvalidAnswer(f"personality.{name} must be a number")
        if not math.isfinite(score) or not 0 <= score <= 100:
            raise InvalidAnswer(f"personality.{name} must be 0-100")
        scores[name] = round(float(score), 1)
    return PersonalityScores(**scores)


def _name(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_NAME_CHARS:
        raise InvalidAnswer(f"caller_name must be null or at most {MAX_NAME_CHARS} characters")
    name = " ".join(value.split())
    return name.title() if name else None


def _memories(value: Any) -> tuple[ExtractedMemory, ...]:
    if not isinstance(value, list) or len(value) > MAX_MEMORIES:
        raise InvalidAnswer(f"facts must be a list of at most {MAX_MEMORIES}")
    memories: dict[tuple[str, str], ExtractedMemory] = {}
    for item in value:
        if not isinstance(item, dict) or set(item) != {"type", "key", "value"}:
            raise InvalidAnswer("each fact must have exactly type, key and value")
        kind, key, text = item["type"], item["key"], item["value"]
        if kind not in MEMORY_TYPES:
            raise InvalidAnswer(f"fact type must be one of {', '.join(MEMORY_TYPES)}")
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise InvalidAnswer("fact key must be 1-64 characters of a-z, 0-9 and _")
        if not isinstance(text, str) or not text.strip():
            raise InvalidAnswer("fact value must be a non-empty string")
        digits = re.sub(r"\D", "", text)
        if _SENSITIVE_KEY_RE.search(key) or is_card_number(digits) or _SSN_RE.search(text):
            continue  # never stored, whatever the model says
        try:
            # The same rules as StoreMemory (sizes, NUL characters).
            new_memory(
                scope="user",
                user_id="check",
                type=kind,
                key=key,
                value={"value": text},
                ttl_days=DEFAULT_TTL_DAYS,
                source=SOURCE,
            )
        except InvalidArgument as error:
            raise InvalidAnswer(f"fact: {error.message}") from None
        # A key given twice: the last value wins, as with two StoreMemory calls.
        memories[(kind, key)] = ExtractedMemory(kind, key, text.strip())
    return tuple(memories.values())
