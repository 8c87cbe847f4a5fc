"""The extractive summary: sentence weights (tunable), scoring, choosing and rendering the
best one to three sentences.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from alice_server.domain.summarizer.limits import SUMMARY_MAX_CHARS
from alice_server.domain.summarizer.sentences import Sentence
from alice_server.domain.summarizer.topics import TermCounts

CALLER_FACTOR: Final = 1.5
REQUEST_FACTOR: Final = 1.6
FIRST_REQUEST_FACTOR: Final = 1.5
"""Extra factor for the caller's first request sentence: usually the reason for the call."""
MIN_CONTENT_NORMALISER: Final = 3
"""Sentence scores are divided by sqrt(max(content words, 3)) so one-word lines do not win."""
RESOLUTION_FACTOR: Final = 1.3
AGENT_QUESTION_FACTOR: Final = 0.5
PLEASANTRY_FACTOR: Final = 0.25
SHORT_SENTENCE_WORDS: Final = 5
SHORT_SENTENCE_FACTOR: Final = 0.5
TOPIC_HIT_BONUS: Final = 0.25
MAX_TOPIC_HITS: Final = 3
REDUNDANCY_JACCARD: Final = 0.5
"""A candidate whose content words overlap a chosen sentence's this much (Jaccard) is skipped."""
NO_CALLER_SUMMARY: Final = "The caller did not say anything."
NO_CONTENT_SUMMARY: Final = "The caller spoke only briefly and made no specific request."


@dataclass(frozen=True, slots=True)
class _Scored:
    """A sentence with its summary score and the set of its content lemmas."""

    score: float
    sentence: Sentence
    lemmas: frozenset[str]


def _score_sentence(
    sentence: Sentence,
    terms: tuple[list[str], list[str]],
    word_weight: Mapping[str, float],
    topics: Sequence[str],
    first_request: bool,
) -> float:
    """Score a sentence for the extractive summary.

    Base: the sum of the weights of its distinct content lemmas (square root of the lemma's
    frequency relative to the most frequent one, so one very frequent word does not dominate)
    divided by sqrt(max(number of lemmas, 3)). Factors: caller sentence x1.5; caller request
    ("I need", "I'm calling about") x1.6, and x1.5 more for the caller's first request; agent
    action ("I've added", "you'll receive") x1.3; agent question x0.5; pleasantry x0.25; fewer
    than 5 words x0.5; and +25% per key topic mentioned (at most 3).
    """
    lemmas, bigrams = terms
    distinct = set(lemmas)
    if not distinct:
        return 0.0
    score = sum(word_weight.get(lemma, 0.0) for lemma in sorted(distinct))
    score /= math.sqrt(max(len(distinct), MIN_CONTENT_NORMALISER))
    if sentence.speaker == "caller":
        score *= CALLER_FACTOR
        if "request" in sentence.cues:
            score *= REQUEST_FACTOR
        if first_request:
            score *= FIRST_REQUEST_FACTOR
    else:
        if "resolution" in sentence.cues:
            score *= RESOLUTION_FACTOR
        if sentence.is_question:
            score *= AGENT_QUESTION_FACTOR
    if "pleasantry" in sentence.cues:
        score *= PLEASANTRY_FACTOR
    if sentence.word_count < SHORT_SENTENCE_WORDS:
        score *= SHORT_SENTENCE_FACTOR
    hits = sum(1 for t in topics if (t in bigrams if " " in t else t in distinct))
    return score * (1.0 + TOPIC_HIT_BONUS * min(hits, MAX_TOPIC_HITS))


def _summary_size(sentence_count: int) -> int:
    """How many sentences the summary takes: 1 for up to 4, 2 for up to 12, else 3."""
    if sentence_count <= 4:
        return 1
    return 2 if sentence_count <= 12 else 3


def _render(sentences: Sequence[Sentence]) -> str:
    """Join sentences in transcript order, prefixing each run of one speaker with its label.

    Two consecutive chunks of one long sentence are joined back without their "..." marks.
    """
    parts: list[str] = []
    previous: Sentence | None = None
    for sentence in sorted(sentences, key=lambda s: s.position):
        if (
            previous is not None
            and not previous.ends
            and sentence.position == previous.position + 1
        ):
            parts[-1] = f"{parts[-1].removesuffix('...')} {sentence.text.removeprefix('...')}"
        elif previous is None or sentence.speaker != previous.speaker:
            parts.append(f"{sentence.speaker.capitalize()}: {sentence.text}")
        else:
            parts.append(sentence.text)
        previous = sentence
    return " ".join(parts)


def trim_summary(text: str, limit: int = SUMMARY_MAX_CHARS) -> str:
    """Trim ``text`` to ``limit`` characters on a word boundary, ending with "..." if cut.

    Only when the last space is in the first half (a giant "word") is the text cut mid-word.
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 3]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "..."


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two sets (0.0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _choose_sentences(ranked: Sequence[_Scored], size: int) -> list[Sentence]:
    """Greedily take the best sentences, skipping redundant ones and ones that overflow.

    The best caller sentence always comes first (the summary is about the caller's call).
    """
    order = sorted(ranked, key=lambda s: (-s.score, s.sentence.position))
    best_caller = next((s for s in order if s.sentence.speaker == "caller"), None)
    if best_caller is not None:
        order = [best_caller, *(s for s in order if s is not best_caller)]
    chosen: list[_Scored] = []
    for candidate in order:
        if len(chosen) == size:
            break
        if any(_jaccard(candidate.lemmas, c.lemmas) >= REDUNDANCY_JACCARD for c in chosen):
            continue
        trial = [c.sentence for c in chosen] + [candidate.sentence]
        if chosen and len(_render(trial)) > SUMMARY_MAX_CHARS:
            continue
        chosen.append(candidate)
    return [c.sentence for c in chosen]


def summarize(
    sentences: Sequence[Sentence],
    lemmas: Mapping[int, tuple[list[str], list[str]]],
    counts: TermCounts,
    topics: Sequence[str],
    caller_spoke: bool,
    max_sentences: int | None = None,
) -> str:
    """Build the extractive summary (see :func:`_score_sentence` and docs/summarizer.md).

    `max_sentences` caps its size (the call notes use the single best sentence)."""
    top = max(counts.unigram_weight.values(), default=0)
    weight = {w: math.sqrt(c / top) for w, c in counts.unigram_weight.items()} if top else {}
    first_request = next(
        (
            s.position
            for s in sentences
            if s.speaker == "caller" and "request" in s.cues and lemmas[s.position][0]
        ),
        -1,
    )
    ranked = [
        _Scored(score, s, frozenset(lemmas[s.position][0]))
        for s in sentences
        if (
            score := _score_sentence(
                s, lemmas[s.position], weight, topics, s.position == first_request
            )
        )
        > 0.0
    ]
    if not caller_spoke:
        ranked = [r for r in ranked if r.sentence.speaker == "agent"]
        if not ranked:
            return NO_CALLER_SUMMARY
        best = _choose_sentences(ranked, 1)
        return trim_summary(f"{NO_CALLER_SUMMARY} {_render(best)}")
    if not ranked:
        return NO_CONTENT_SUMMARY
    size = _summary_size(len(sentences))
    if max_sentences is not None:
        size = min(size, max_sentences)
    return trim_summary(_render(_choose_sentences(ranked, size)))
