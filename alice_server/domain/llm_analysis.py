"""The LLM summariser's answer: its JSON schema and its validation (pure).

The model is asked (alice_server/llm/prompts/) for one JSON object matching
ANSWER_SCHEMA: a summary, the caller's sentiment, up to five topics, the 13
personality scores, the caller's name if given, and memories worth keeping
(facts, people, preferences) as (type, key, value). `parse_answer` checks every
part and returns a CallAnalysis, or raises InvalidAnswer with a reason that
names the part, never the content (it is logged).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from alice_server.domain.errors import InvalidArgument
from alice_server.domain.memories import DEFAULT_TTL_DAYS, new_memory
from alice_server.domain.summarizer import CallAnalysis, ExtractedMemory, PersonalityScores
from alice_server.domain.summarizer.limits import SUMMARY_MAX_CHARS
from alice_server.domain.traits import PERSONALITY_TRAITS

MAX_TOPICS: Final = 5
MAX_TOPIC_CHARS: Final = 40
MAX_MEMORIES: Final = 20
MAX_NAME_CHARS: Final = 80
MEMORY_TYPES: Final = ("fact", "person", "preference", "rule", "moment", "project")
SOURCE: Final = "process_call"

ANSWER_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["summary", "sentiment", "topics", "personality", "caller_name", "memories"],
    "properties": {
        "summary": {"type": "string", "description": "1-3 sentences, at most 600 characters"},
        "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
        "topics": {"type": "array", "maxItems": MAX_TOPICS, "items": {"type": "string"}},
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
        "memories": {
            "type": "array",
            "maxItems": MAX_MEMORIES,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "key", "value"],
                "properties": {
                    "type": {"type": "string", "enum": list(MEMORY_TYPES)},
                    "key": {"type": "string", "description": "snake_case, e.g. contact_time"},
                    "value": {"type": "string"},
                },
            },
        },
    },
}

_KEY_RE = re.compile(r"^[a-z0-9_]{1,64}$")


class InvalidAnswer(ValueError):
    """The model's answer does not match the schema; the message names what (no content)."""


def parse_answer(content: str) -> CallAnalysis:
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
    return CallAnalysis(
        summary=_summary(answer["summary"]),
        sentiment=_sentiment(answer["sentiment"]),
        key_topics=_topics(answer["topics"]),
        personality=_personality(answer["personality"]),
        caller_name=_name(answer["caller_name"]),
        memories=_memories(answer["memories"]),
    )


def _summary(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidAnswer("summary must be a non-empty string")
    text = " ".join(value.split())
    if len(text) > SUMMARY_MAX_CHARS:
        text = text[: SUMMARY_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


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
        raise InvalidAnswer(f"memories must be a list of at most {MAX_MEMORIES}")
    memories: dict[tuple[str, str], ExtractedMemory] = {}
    for item in value:
        if not isinstance(item, dict) or set(item) != {"type", "key", "value"}:
            raise InvalidAnswer("each memory must have exactly type, key and value")
        kind, key, text = item["type"], item["key"], item["value"]
        if kind not in MEMORY_TYPES:
            raise InvalidAnswer(f"memory type must be one of {', '.join(MEMORY_TYPES)}")
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise InvalidAnswer("memory key must be 1-64 characters of a-z, 0-9 and _")
        if not isinstance(text, str) or not text.strip():
            raise InvalidAnswer("memory value must be a non-empty string")
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
            raise InvalidAnswer(f"memory: {error.message}") from None
        # A key given twice: the last value wins, as with two StoreMemory calls.
        memories[(kind, key)] = ExtractedMemory(kind, key, text.strip())
    return tuple(memories.values())
