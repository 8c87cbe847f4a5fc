"""Personality: per-call scores kept per caller, their averages, trends and labels.

After each processed call (in the same transaction, with the caller's profile
row locked so that concurrent calls of one caller are counted one after the
other):

* the ten traits are averaged over all of the caller's calls;
* frustration, satisfaction and urgency are averaged over the last three calls
  (by call start);
* the satisfaction and frustration trends compare the latest call's score with
  the mean of the (up to) three calls before it: 10 points or more up is
  "increasing", 10 or more down "decreasing", otherwise "stable"; with a single
  call there is no trend (NULL).

Labels turn a 0..100 score into words for prompts and admin screens: 35 or
less is the low label, 65 or more the high one, anything between the middle
one, which is worded as "no clear signal" (50 is what the summariser gives
when it sees nothing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from alice_server.domain.traits import AVERAGED_TRAITS, PERSONALITY_TRAITS

TREND_THRESHOLD = 10.0
TREND_WINDOW = 3
RECENT_WINDOW = 3
LOW, HIGH = 35.0, 65.0

# trait -> (low, middle, high) label
TRAIT_LABELS: dict[str, tuple[str, str, str]] = {
    "openness": ("prefers the familiar", "moderately open", "curious and open"),
    "conscientiousness": (
        "easy-going about details",
        "reasonably organised",
        "careful and thorough",
    ),
    "extraversion": ("reserved", "balanced", "outgoing and talkative"),
    "agreeableness": ("blunt", "cooperative", "warm and agreeable"),
    "neuroticism": ("calm", "even-tempered", "anxious"),
    "formality": ("casual", "neither formal nor casual", "formal"),
    "directness": ("indirect", "fairly direct", "direct and to the point"),
    "detail_orientation": (
        "big-picture",
        "moderately detail-minded",
        "detail-oriented",
    ),
    "patience": ("impatient", "moderately patient", "patient"),
    "technical_comfort": (
        "not technical",
        "somewhat technical",
        "technically comfortable",
    ),
    "frustration_level": ("not frustrated", "no clear frustration", "frustrated"),
    "satisfaction_level": (
        "dissatisfied",
        "neither satisfied nor dissatisfied",
        "satisfied",
    ),
    "urgency_level": ("no urgency", "no particular urgency", "urgent"),
}


assert tuple(TRAIT_LABELS) == PERSONALITY_TRAITS, "a label for every trait, in order"


@dataclass(frozen=True, slots=True)
class PersonalityAverages:
    """A caller's personality: the ten traits averaged over all calls
    (`averages`, by trait name), the three levels over the last RECENT_WINDOW
    calls, and the trends (None with a single call)."""

    user_id: str
    call_count: int
    averages: Mapping[str, float]
    recent_frustration: float
    recent_satisfaction: float
    recent_urgency: float
    satisfaction_trend: str | None
    frustration_trend: str | None
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PersonalityAggregates:
    """What the averages are computed from (read by the calls repository)."""

    call_count: int
    averages: Mapping[str, float]
    recent_frustration: float
    recent_satisfaction: float
    recent_urgency: float
    latest_satisfaction: float | None
    previous_satisfaction: float | None
    latest_frustration: float | None
    previous_frustration: float | None

    @property
    def satisfaction_trend(self) -> str | None:
        return trend(self.latest_satisfaction, self.previous_satisfaction)

    @property
    def frustration_trend(self) -> str | None:
        return trend(self.latest_frustration, self.previous_frustration)


def label(trait: str, score: float) -> str:
    low, middle, high = TRAIT_LABELS[trait]
    if score <= LOW:
        return low
    if score >= HIGH:
        return high
    return middle


def trend(latest: float | None, previous: float | None) -> str | None:
    if latest is None or previous is None:
        return None
    delta = latest - previous
    if delta >= TREND_THRESHOLD:
        return "increasing"
    if delta <= -TREND_THRESHOLD:
        return "decreasing"
    return "stable"


def labelled_scores(averages: PersonalityAverages) -> list[tuple[str, float, str]]:
    """(trait, score, label) for the ten averaged traits and the three recent levels."""
    scores = [(t, float(averages.averages[t])) for t in AVERAGED_TRAITS]
    scores += [
        ("frustration_level", averages.recent_frustration),
        ("satisfaction_level", averages.recent_satisfaction),
        ("urgency_level", averages.recent_urgency),
    ]
    return [(trait, score, label(trait, score)) for trait, score in scores]
