"""Personality: signal weights per trait (tunable) and the 13 scores computed from the
caller's sentences.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Final

from alice_server.domain.summarizer.interface import NEUTRAL_SCORE, PersonalityScores
from alice_server.domain.summarizer.limits import RATE_MIN_WORDS
from alice_server.domain.summarizer.sentences import Sentence
from alice_server.domain.summarizer.topics import content_lemma
from alice_server.domain.summarizer.vocabulary import (
    ACRONYMS,
    AMOUNT_RE,
    CAPS_WORD_RE,
    CONTRACTION_SUFFIXES,
    CONTRACTIONS_WITH_S,
    DATE_RE,
    DATE_WORDS,
    EXCLAMATION_RUN_RE,
    ID_CANDIDATE_RE,
    IMPERATIVE_SKIP,
    IMPERATIVE_VERBS,
    NUMBER_RE,
    NUMBER_WORDS,
)
from alice_server.domain.traits import PERSONALITY_TRAITS

LEVEL_FEATURES: Final[Mapping[str, tuple[float, float, float]]] = {
    # name: (centre, low clip, high clip) of (value - centre)
    "short_sentences": (9.0, -10.0, 10.0),  # centre - mean words per caller sentence
    "turn_length": (15.0, -10.0, 20.0),  # mean words per caller turn - centre
    "vocabulary_variety": (0.78, -0.15, 0.15),  # moving-average type/token ratio - centre
}
"""Bounded features that are not counts. They are scaled by min(1, caller words / 50)."""


TRAIT_RULES: Final[Mapping[str, tuple[tuple[str, float], ...]]] = {
    "openness": (
        ("questions", 1.5),
        ("openness_words", 6.0),
        ("closed_words", -6.0),
        ("vocabulary_variety", 100.0),
    ),
    "conscientiousness": (
        ("conscientious_words", 6.0),
        ("specifics", 1.5),
        ("careless_words", -6.0),
    ),
    "extraversion": (("turn_length", 1.0), ("exclamations", 4.0), ("chitchat", 6.0)),
    "agreeableness": (("polite", 1.5), ("cooperative", 6.0), ("disagreeable", -7.0)),
    "neuroticism": (("anxiety", 8.0), ("calm", -6.0), ("negative", 1.5)),
    "formality": (("polite", 6.0), ("informal", -6.0), ("contractions", -1.0)),
    "directness": (
        ("direct", 5.0),
        ("imperatives", 5.0),
        ("hedges", -5.0),
        ("short_sentences", 1.5),
    ),
    "detail_orientation": (
        ("numbers", 2.0),
        ("dates", 4.0),
        ("amounts", 4.0),
        ("ids", 6.0),
        ("detail_words", 4.0),
        ("turn_length", 0.5),
    ),
    "patience": (("hurry", -6.0), ("repeated_questions", -8.0), ("patient", 6.0)),
    "technical_comfort": (("tech", 5.0), ("tech_averse", -10.0)),
    "frustration_level": (
        ("negative", 5.0),
        ("frustration_words", 5.0),
        ("caps_words", 5.0),
        ("exclamation_bursts", 6.0),
        ("positive", -2.0),
    ),
    "satisfaction_level": (("satisfaction", 6.0), ("negative", -4.0), ("frustration_words", -3.0)),
    "urgency_level": (("urgency", 8.0), ("calm_pace", -6.0)),
}
"""score = 50 + sum(weight * feature), clamped to 0..100 and rounded to one decimal.

A feature named in LEVEL_FEATURES is a bounded level; every other feature is a rate: its count
per 100 caller words (the word count floored at RATE_MIN_WORDS).
"""


def _moving_type_token_ratio(words: Sequence[str], window: int = 50) -> float:
    """Mean type/token ratio over all windows of ``window`` words (plain TTR if fewer words).

    The moving average makes vocabulary variety comparable between short and long calls.
    """
    if len(words) <= window:
        return len(set(words)) / len(words) if words else 0.0
    counts: dict[str, int] = {}
    for word in words[:window]:
        counts[word] = counts.get(word, 0) + 1
    total = len(counts)
    for index in range(window, len(words)):
        leaving = words[index - window]
        remaining = counts[leaving] - 1
        if remaining:
            counts[leaving] = remaining
        else:
            del counts[leaving]
        entering = words[index]
        counts[entering] = counts.get(entering, 0) + 1
        total += len(counts)
    return total / ((len(words) - window + 1) * window)


def _is_imperative(sentence: Sentence) -> bool:
    """A non-question whose first word (after "please", "just", fillers) is a command verb."""
    if sentence.is_question:
        return False
    for word in sentence.clauses[0]:
        if word not in IMPERATIVE_SKIP:
            return word in IMPERATIVE_VERBS
    return False


def _count_ids(text: str) -> int:
    """Count reference-like tokens: letters mixed with digits, hyphenated digits, 6+ digits."""
    count = 0
    for match in ID_CANDIDATE_RE.finditer(text):
        token = match.group()
        digits = sum(ch.isdigit() for ch in token)
        letters = sum(ch.isalpha() for ch in token)
        if len(token) >= 5 and digits and (letters or "-" in token or digits >= 6):
            count += 1
    return count


def _count_caps(texts: Sequence[str], words: int) -> int:
    """Count shouted all-caps words, unless the transcript itself is upper-case (ASR style)."""
    caps = [w for t in texts for w in CAPS_WORD_RE.findall(t) if w not in ACRONYMS]
    return 0 if len(caps) * 2 > words else len(caps)


def _count_repeated_questions(sentences: Sequence[Sentence]) -> int:
    """Count caller questions whose set of content lemmas equals that of an earlier question."""
    seen: set[frozenset[str]] = set()
    repeated = 0
    for sentence in sentences:
        if not sentence.is_question:
            continue
        key = frozenset(
            lemma
            for clause in sentence.clauses
            for word in clause
            if (lemma := content_lemma(word, frozenset())) is not None
        )
        if not key:
            continue
        if key in seen:
            repeated += 1
        seen.add(key)
    return repeated


def _caller_counts(sentences: Sequence[Sentence]) -> Counter[str]:
    """Count the rate signals of the caller's sentences (see TRAIT_RULES)."""
    texts = [s.raw for s in sentences]
    words = [w for s in sentences for c in s.clauses for w in c]
    counts: Counter[str] = Counter()
    for sentence in sentences:
        counts.update(sentence.matches)
    joined = "\n".join(texts)
    exclamation_runs = EXCLAMATION_RUN_RE.findall(joined)
    dates = sum(1 for w in words if w in DATE_WORDS) + len(DATE_RE.findall(joined))
    counts.update(
        {
            "questions": sum(1 for s in sentences if s.is_question),
            "imperatives": sum(1 for s in sentences if _is_imperative(s)),
            "contractions": sum(
                1 for w in words if w.endswith(CONTRACTION_SUFFIXES) or w in CONTRACTIONS_WITH_S
            ),
            "numbers": len(NUMBER_RE.findall(joined)) + sum(1 for w in words if w in NUMBER_WORDS),
            "dates": dates,
            "amounts": len(AMOUNT_RE.findall(joined)),
            "ids": _count_ids(joined),
            "caps_words": _count_caps(texts, len(words)),
            "exclamations": len(exclamation_runs),
            "exclamation_bursts": sum(1 for run in exclamation_runs if len(run) > 1),
            "repeated_questions": _count_repeated_questions(sentences),
        }
    )
    counts["specifics"] = counts["numbers"] + counts["dates"] + counts["amounts"] + counts["ids"]
    return counts


def _levels(sentences: Sequence[Sentence], turns: int, words: Sequence[str]) -> dict[str, float]:
    """The bounded level features, scaled by the evidence factor min(1, words / 50)."""
    centre_len, low_len, high_len = LEVEL_FEATURES["short_sentences"]
    centre_turn, low_turn, high_turn = LEVEL_FEATURES["turn_length"]
    centre_var, low_var, high_var = LEVEL_FEATURES["vocabulary_variety"]
    evidence = min(1.0, len(words) / RATE_MIN_WORDS)
    sentence_length = len(words) / len(sentences)
    turn_length = len(words) / turns
    variety = _moving_type_token_ratio(words)
    return {
        "short_sentences": evidence * _clamp(centre_len - sentence_length, low_len, high_len),
        "turn_length": evidence * _clamp(turn_length - centre_turn, low_turn, high_turn),
        "vocabulary_variety": evidence * _clamp(variety - centre_var, low_var, high_var),
    }


def _clamp(value: float, low: float, high: float) -> float:
    """``value`` limited to ``low..high``."""
    return max(low, min(high, value))


def personality_scores(
    sentences: Sequence[Sentence], turns: int, sentiment: tuple[float, float]
) -> PersonalityScores:
    """Score the 13 traits from the caller's sentences (``turns`` non-empty caller turns).

    Every trait starts at 50 and adds weight x feature for its rules in TRAIT_RULES; a rate
    feature is count x 100 / max(caller words, 50); the sum is clamped to 0..100 and rounded.
    """
    words = [w for s in sentences for c in s.clauses for w in c]
    if not words:
        return PersonalityScores.neutral()
    counts = _caller_counts(sentences)
    positive, negative = sentiment
    per_hundred = 100.0 / max(len(words), RATE_MIN_WORDS)
    features: dict[str, float] = {name: count * per_hundred for name, count in counts.items()}
    features["positive"] = positive * per_hundred
    features["negative"] = negative * per_hundred
    features.update(_levels(sentences, turns, words))
    scores: list[float] = []
    for trait in PERSONALITY_TRAITS:
        total = NEUTRAL_SCORE
        for feature, weight in TRAIT_RULES[trait]:
            total += weight * features.get(feature, 0.0)
        scores.append(round(_clamp(total, 0.0, 100.0), 1) + 0.0)
    return PersonalityScores(*scores)
