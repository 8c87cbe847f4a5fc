"""End-of-call analysis: summary, sentiment, key topics, personality scores and caller name.

When a call ends, Alice "processes" its transcript into a :class:`CallAnalysis`. The work is
done by a :class:`Summarizer`; the built-in :class:`HeuristicSummarizer` is deterministic (the
same turns always give a byte-identical result, independent of ``PYTHONHASHSEED``), needs no
network and no model, and uses only the standard library. Another implementation (for example
one backed by an LLM) can be plugged in by satisfying the :class:`Summarizer` protocol.

The method, in short (docs/summarizer.md has the full description):

* The transcript is cut into sentences (and over-long sentences into chunks of at most
  ``MAX_SENTENCE_WORDS`` words); each sentence is tokenised into lower-case words per clause.
  ``system`` turns and empty turns are ignored.
* Key topics are the most frequent content words (stop words and conversational fillers
  removed, plurals crudely singularised) and recurring two-word phrases, caller words counting
  double.
* The summary is extractive: sentences are scored by the frequency of their content words,
  re-weighted (caller requests up, pleasantries and agent questions down) and the best one to
  three are shown in transcript order, prefixed with who said them.
* Sentiment comes from a small lexicon over the caller's words, with negation and intensifiers.
* Each of the 13 personality scores starts at 50 and moves by weighted signal rates (signals
  per 100 caller words) and a few bounded "level" features, then is clamped to 0..100.
* The caller name comes from "my name is ...", "this is ..." or "I'm ..." followed by
  capitalised words that are not common English words.

All tables (stop words, lexicons, trait weights) are module-level constants so they can be read
and tuned without touching the code. The package, by concern: `interface` (the data types and the
protocol), `limits`, `vocabulary` (word lists, lexicons and the tables derived from them),
`sentences`, `topics`, `summary`, `sentiment`, `personality`, `names` (the caller's name) and
`heuristic` (HeuristicSummarizer, which ties them together).
"""

from __future__ import annotations

from alice_server.domain.summarizer.heuristic import HeuristicSummarizer, warm_up
from alice_server.domain.summarizer.interface import (
    NEUTRAL_SCORE,
    CallAnalysis,
    CallNotes,
    Commitment,
    ExtractedMemory,
    Party,
    PersonalityScores,
    SentimentLabel,
    Speaker,
    Summarizer,
    TranscriptTurn,
)
from alice_server.domain.summarizer.vocabulary import FILLER_WORDS, STOP_WORDS
from alice_server.domain.traits import PERSONALITY_TRAITS

__all__ = [
    "FILLER_WORDS",
    "NEUTRAL_SCORE",
    "PERSONALITY_TRAITS",
    "STOP_WORDS",
    "CallAnalysis",
    "CallNotes",
    "Commitment",
    "ExtractedMemory",
    "HeuristicSummarizer",
    "Party",
    "PersonalityScores",
    "SentimentLabel",
    "Speaker",
    "Summarizer",
    "TranscriptTurn",
    "warm_up",
]
