"""What goes in and comes out of the summariser: transcript turns, the 13 personality
scores, the analysis, and the Summarizer protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from alice_server.domain.traits import PERSONALITY_TRAITS

Speaker = Literal["caller", "agent", "system"]
Party = Literal["caller", "agent"]
SentimentLabel = Literal["positive", "neutral", "negative"]


@dataclass(frozen=True, slots=True)
class TranscriptTurn:
    """One turn of a call transcript: who spoke and what they said."""

    speaker: Speaker
    text: str


NEUTRAL_SCORE: Final = 50.0
"""The score of a trait for which the call gave no signal."""


@dataclass(frozen=True, slots=True)
class PersonalityScores:
    """The 13 personality scores of a caller, each 0.0..100.0 rounded to one decimal.

    50.0 means "no signal"; higher means more of the trait.
    """

    openness: float
    conscientiousness: float
    extraversion: float
    agreeableness: float
    neuroticism: float
    formality: float
    directness: float
    detail_orientation: float
    patience: float
    technical_comfort: float
    frustration_level: float
    satisfaction_level: float
    urgency_level: float

    @classmethod
    def neutral(cls) -> PersonalityScores:
        """Scores for a call that gave no signal at all: every trait at 50.0."""
        return cls(*(NEUTRAL_SCORE for _ in PERSONALITY_TRAITS))

    def as_dict(self) -> dict[str, float]:
        """The scores by trait name, keys in :data:`PERSONALITY_TRAITS` order."""
        return {name: float(getattr(self, name)) for name in PERSONALITY_TRAITS}


@dataclass(frozen=True, slots=True)
class ExtractedMemory:
    """A memory worth keeping that a call revealed (the LLM summariser extracts them)."""

    type: str
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Commitment:
    """A promise made during the call: who made it, what, and by when (as said).

    Stored as an open follow-up of the caller; the due time is resolved later,
    against the call's start in the tenant's time zone (domain/due_dates.py),
    because the summariser knows neither.
    """

    party: Party
    """Who promised: the agent (for the business) or the caller."""
    action: str
    """What was promised, short and neutral: "email the updated ID cards"."""
    due_phrase: str = ""
    """The words that set the deadline ("by end of day", "Thursday morning"); "" if none."""


@dataclass(frozen=True, slots=True)
class CallNotes:
    """The note a good receptionist writes: the request, the outcome, the promises."""

    wanted: str = ""
    """What the caller wanted, one sentence; "" when the call does not say."""
    outcome: str = ""
    """What was done or decided, one sentence; "" when nothing was."""
    commitments: tuple[Commitment, ...] = ()
    """Every promise made, in transcript order."""


@dataclass(frozen=True, slots=True)
class CallAnalysis:
    """What the processing of one call produces."""

    summary: str
    """One to three sentences, at most 600 characters, never empty."""
    sentiment: SentimentLabel
    """The caller's overall sentiment."""
    key_topics: tuple[str, ...]
    """Zero to five short lower-case topics, most prominent first."""
    personality: PersonalityScores
    caller_name: str | None
    """A name the caller gave for themselves, title-cased; None if they gave none."""
    memories: tuple[ExtractedMemory, ...] = ()
    """The facts worth remembering, as memories of the caller (source process_call),
    each under a deterministic key so that a later call updates it."""
    notes: CallNotes = CallNotes()
    """What the caller wanted, the outcome and the commitments."""


class Summarizer(Protocol):
    """Anything that can turn a transcript into a :class:`CallAnalysis`.

    Callers guarantee 1..5000 turns of at most 20,000 characters each; texts may be empty.
    Implementations must ignore ``system`` turns and always return a valid analysis.
    """

    async def analyze(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        """Analyse one call's transcript."""
        ...
