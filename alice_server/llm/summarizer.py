"""LLMSummarizer: call analysis by an OpenAI-compatible model, the built-in one as fallback.

ALICE_SUMMARIZER=openai. Every answer is validated (domain/llm_analysis.py);
a timeout, an HTTP error, a refusal or an invalid answer falls back to the
built-in summariser for that call, is counted (`fallbacks`, by reason, and the
metric alice_summarizer_fallbacks_total{reason}) and
logged with the reason only, never the transcript or the answer. The prompt
is a versioned file (prompts/call_analysis.v<N>.txt); PROMPT_VERSION names it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from alice_server import metrics
from alice_server.config import Settings
from alice_server.domain.llm_analysis import ANSWER_SCHEMA, InvalidAnswer, parse_answer
from alice_server.domain.summarizer import CallAnalysis, Summarizer, TranscriptTurn
from alice_server.llm.chat import ChatEndpoint, ChatFailure, complete_json

PROMPT_VERSION = "v2"
PROMPT_FILE = Path(__file__).parent / "prompts" / f"call_analysis.{PROMPT_VERSION}.txt"
# Longest transcript text sent (characters); the rest of a very long call is cut.
MAX_TRANSCRIPT_CHARS = 60_000

logger = logging.getLogger("alice.llm")


def transcript_text(turns: Sequence[TranscriptTurn]) -> str:
    lines = [
        f"{turn.speaker}: {' '.join(turn.text.split())}"
        for turn in turns
        if turn.speaker != "system" and turn.text.strip()
    ]
    return "\n".join(lines)[:MAX_TRANSCRIPT_CHARS]


class LLMSummarizer:
    """A Summarizer that asks a model and falls back to `fallback` on any failure."""

    def __init__(self, endpoint: ChatEndpoint, fallback: Summarizer) -> None:
        self._endpoint = endpoint
        self._fallback = fallback
        self._prompt = PROMPT_FILE.read_text()
        self.answered = 0
        self.fallbacks: Counter[str] = Counter()

    async def analyze(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        text = transcript_text(turns)
        if not any(turn.speaker == "caller" and turn.text.strip() for turn in turns):
            return await self._fallback.analyze(turns)  # nothing to ask a model about
        try:
            content = await complete_json(
                self._endpoint, self._prompt, text, "call_analysis", ANSWER_SCHEMA
            )
            analysis = parse_answer(content)
        except ChatFailure as failure:
            reason = failure.reason
        except InvalidAnswer as invalid:
            reason = "invalid"
            logger.warning("LLM answer invalid (%s); using the built-in summariser", invalid)
        else:
            self.answered += 1
            return analysis
        self.fallbacks[reason] += 1
        metrics.summarizer_fallback(reason)
        logger.warning(
            "LLM summariser fell back to the built-in one: reason=%s turns=%d prompt=%s",
            reason,
            len(turns),
            PROMPT_VERSION,
        )
        return await self._fallback.analyze(turns)


def llm_summarizer(settings: Settings, fallback: Summarizer) -> LLMSummarizer:
    """The summariser of ALICE_SUMMARIZER=openai (settings validated: URL and model set)."""
    assert settings.llm_base_url and settings.llm_model
    endpoint = ChatEndpoint(
        settings.llm_base_url,
        settings.llm_model,
        settings.llm_api_key,
        settings.llm_timeout_seconds,
    )
    return LLMSummarizer(endpoint, fallback)
