"""Content words (lemmas) and the key topics: the most frequent content words and two-word
phrases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from alice_server.domain.summarizer.limits import MAX_TOPICS
from alice_server.domain.summarizer.sentences import Sentence
from alice_server.domain.summarizer.vocabulary import IES_TO_IE, NO_SINGULAR, NON_CONTENT

CALLER_TOPIC_WEIGHT: Final = 2
AGENT_TOPIC_WEIGHT: Final = 1
BIGRAM_BOOST: Final = 1.5
MAX_CONTENT_WORD_CHARS: Final = 30
"""Longer tokens (URLs, noise) are not content words."""
SMALL_CALL_CONTENT_WORDS: Final = 40
"""Below this many content words a single mention can make a topic; otherwise two are needed."""


def _singular(word: str) -> str:
    """Crude lemmatisation: strip a possessive "'s" and a plural "s"/"es"/"ies".

    Only plurals are handled ("policies" -> "policy", "boxes" -> "box", "claims" -> "claim");
    words ending in "ss", "us" or "is" and a short exception list are left alone.
    """
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 3 or word in NO_SINGULAR or not word.endswith("s"):
        return word
    if word.endswith("ies"):
        return word[:-1] if word in IES_TO_IE or len(word) <= 4 else word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1]


def content_lemma(word: str, excluded: frozenset[str]) -> str | None:
    """The lemma of a content word, or None for stop words, fillers, numbers and names.

    Content words have 3 to 30 characters, at least one letter-only spelling (no digits) and
    no apostrophe left after removing a possessive "'s".
    """
    if word in NON_CONTENT:
        return None
    lemma = _singular(word)
    if (
        not 3 <= len(lemma) <= MAX_CONTENT_WORD_CHARS
        or "'" in lemma
        or lemma in NON_CONTENT
        or lemma in excluded
        or any(ch.isdigit() for ch in lemma)
    ):
        return None
    return lemma


@dataclass(slots=True)
class TermCounts:
    """Weighted and raw occurrence counts of content lemmas and adjacent lemma pairs."""

    unigram_weight: Counter[str]
    unigram_raw: Counter[str]
    bigram_weight: Counter[str]
    bigram_raw: Counter[str]
    content_words: int


def sentence_lemmas(
    sentence: Sentence, excluded: frozenset[str], memo: dict[str, str | None]
) -> tuple[list[str], list[str]]:
    """Content lemmas of a sentence, and bigrams of content lemmas adjacent within a clause.

    ``memo`` caches :func:`content_lemma` per word for the duration of one analysis.
    """
    lemmas: list[str] = []
    bigrams: list[str] = []
    for clause in sentence.clauses:
        previous: str | None = None
        for word in clause:
            if word in memo:
                lemma = memo[word]
            else:
                lemma = memo[word] = content_lemma(word, excluded)
            if lemma is not None:
                lemmas.append(lemma)
                if previous is not None and previous != lemma:
                    bigrams.append(f"{previous} {lemma}")
            previous = lemma
    return lemmas, bigrams


def count_terms(
    sentences: Sequence[Sentence], lemmas: Mapping[int, tuple[list[str], list[str]]]
) -> TermCounts:
    """Count content lemmas and bigrams; caller words weigh double, agent pleasantries nothing.

    Agent sentences with a pleasantry ("Thank you for calling <agency>") are skipped so that
    greeting boilerplate does not become a topic.
    """
    counts = TermCounts(Counter(), Counter(), Counter(), Counter(), 0)
    for sentence in sentences:
        if sentence.speaker == "agent" and "pleasantry" in sentence.cues:
            continue
        weight = CALLER_TOPIC_WEIGHT if sentence.speaker == "caller" else AGENT_TOPIC_WEIGHT
        words, pairs = lemmas[sentence.position]
        counts.content_words += len(words)
        for word in words:
            counts.unigram_weight[word] += weight
            counts.unigram_raw[word] += 1
        for pair in pairs:
            counts.bigram_weight[pair] += weight
            counts.bigram_raw[pair] += 1
    return counts


def select_topics(counts: TermCounts) -> tuple[str, ...]:
    """Pick up to ``MAX_TOPICS`` topics, most prominent first, ties broken alphabetically.

    Bigrams that occur at least twice are candidates with ``BIGRAM_BOOST`` times their weight;
    their occurrences are subtracted from their two words, whose remaining counts make the
    unigram candidates (at least two mentions, or one in a small call). A unigram that is part
    of an already chosen bigram is skipped; a bigram replaces its words chosen before it.
    """
    min_mentions = 1 if counts.content_words < SMALL_CALL_CONTENT_WORDS else 2
    uni_weight = Counter(counts.unigram_weight)
    uni_raw = Counter(counts.unigram_raw)
    candidates: list[tuple[float, str]] = []
    for pair in sorted(counts.bigram_raw):
        if counts.bigram_raw[pair] < 2:
            continue
        candidates.append((counts.bigram_weight[pair] * BIGRAM_BOOST, pair))
        for word in pair.split(" "):
            uni_weight[word] = max(0, uni_weight[word] - counts.bigram_weight[pair])
            uni_raw[word] = max(0, uni_raw[word] - counts.bigram_raw[pair])
    for word in sorted(uni_raw):
        if uni_raw[word] >= min_mentions and uni_weight[word] > 0:
            candidates.append((float(uni_weight[word]), word))
    candidates.sort(key=lambda item: (-item[0], item[1]))

    chosen: list[str] = []
    for _, term in candidates:
        if len(chosen) == MAX_TOPICS:
            break
        words = term.split(" ")
        if len(words) == 1:
            if not any(term in c.split(" ") for c in chosen if " " in c):
                chosen.append(term)
            continue
        parts = [c for c in chosen if c in words]
        if parts:
            chosen[chosen.index(parts[0])] = term
            chosen = [c for c in chosen if c not in parts[1:]]
        else:
            chosen.append(term)
    return tuple(chosen)
