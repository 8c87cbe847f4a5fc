"""Sentiment: the lexicon weights (tunable) and the caller's overall sentiment from them,
with negation and intensifiers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from alice_server.domain.summarizer.interface import SentimentLabel
from alice_server.domain.summarizer.sentences import is_negated
from alice_server.domain.summarizer.vocabulary import INTENSIFIERS, NEGATIVE_WORDS, POSITIVE_WORDS

SENTIMENT_SKIP_NEXT: Final[Mapping[str, frozenset[str]]] = {
    "good": frozenset({"morning", "afternoon", "evening", "night", "day", "one"}),
    "fine": frozenset({"print"}),
}
"""Sentiment words ignored when followed by one of these words ("good morning")."""


INTENSIFIER_FACTOR: Final = 1.5
NEGATED_POSITIVE_FACTOR: Final = 1.0
"""A negated positive word ("not happy") counts as negative with this share of its weight."""
NEGATED_NEGATIVE_FACTOR: Final = 0.5
"""A negated negative word ("not bad") counts as positive with this share of its weight."""
SENTIMENT_DAMPING: Final = 3.0
SENTIMENT_THRESHOLD: Final = 0.2
"""polarity = (pos - neg) / (pos + neg + SENTIMENT_DAMPING); positive/negative beyond +-0.2."""


def sentiment_weights(clauses: Iterable[Sequence[str]]) -> tuple[float, float]:
    """Sum the positive and negative lexicon weights of the words, with negation.

    An intensifier before a word multiplies its weight by 1.5. A negated positive word counts
    as negative ("not happy"); a negated negative word counts as half positive ("not bad").
    """
    positive = 0.0
    negative = 0.0
    for clause in clauses:
        for index, word in enumerate(clause):
            pos = POSITIVE_WORDS.get(word, 0.0)
            neg = NEGATIVE_WORDS.get(word, 0.0)
            if not pos and not neg:
                continue
            following = clause[index + 1] if index + 1 < len(clause) else ""
            if following in SENTIMENT_SKIP_NEXT.get(word, frozenset()):
                continue
            if index > 0 and clause[index - 1] in INTENSIFIERS:
                pos *= INTENSIFIER_FACTOR
                neg *= INTENSIFIER_FACTOR
            if is_negated(clause, index):
                pos, neg = neg * NEGATED_NEGATIVE_FACTOR, pos * NEGATED_POSITIVE_FACTOR
            positive += pos
            negative += neg
    return positive, negative


def sentiment_label(positive: float, negative: float) -> SentimentLabel:
    """Label from polarity = (pos - neg) / (pos + neg + 3): >= 0.2 positive, <= -0.2 negative."""
    polarity = (positive - negative) / (positive + negative + SENTIMENT_DAMPING)
    if polarity >= SENTIMENT_THRESHOLD:
        return "positive"
    if polarity <= -SENTIMENT_THRESHOLD:
        return "negative"
    return "neutral"
