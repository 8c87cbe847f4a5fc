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

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from alice_server.storage.models import (
    AVERAGED_TRAITS,
    PersonalityAverages,
    PersonalityMetrics,
)

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
    scores = [(t, float(getattr(averages, f"avg_{t}"))) for t in AVERAGED_TRAITS]
    scores += [
        ("frustration_level", averages.recent_frustration),
        ("satisfaction_level", averages.recent_satisfaction),
        ("urgency_level", averages.recent_urgency),
    ]
    return [(trait, score, label(trait, score)) for trait, score in scores]


async def recompute_averages(session: AsyncSession, customer_id: int, user_id: str) -> None:
    """Recompute the caller's personality_averages row from all their metrics."""
    m = PersonalityMetrics
    rank = func.row_number().over(order_by=(m.call_at.desc(), m.id.desc())).label("rank")
    ranked = select(m, rank).where(m.customer_id == customer_id, m.user_id == user_id).subquery()
    recent = ranked.c.rank <= RECENT_WINDOW
    before_latest = ranked.c.rank.between(2, 1 + TREND_WINDOW)
    latest = ranked.c.rank == 1
    row = (
        await session.execute(
            select(
                func.count().label("call_count"),
                *(func.avg(ranked.c[t]).label(f"avg_{t}") for t in AVERAGED_TRAITS),
                func.avg(ranked.c.frustration_level).filter(recent).label("recent_frustration"),
                func.avg(ranked.c.satisfaction_level).filter(recent).label("recent_satisfaction"),
                func.avg(ranked.c.urgency_level).filter(recent).label("recent_urgency"),
                func.max(ranked.c.satisfaction_level).filter(latest).label("latest_satisfaction"),
                func.avg(ranked.c.satisfaction_level)
                .filter(before_latest)
                .label("prev_satisfaction"),
                func.max(ranked.c.frustration_level).filter(latest).label("latest_frustration"),
                func.avg(ranked.c.frustration_level)
                .filter(before_latest)
                .label("prev_frustration"),
            )
        )
    ).one()
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "user_id": user_id,
        "call_count": row.call_count,
        **{f"avg_{t}": float(getattr(row, f"avg_{t}")) for t in AVERAGED_TRAITS},
        "recent_frustration": float(row.recent_frustration),
        "recent_satisfaction": float(row.recent_satisfaction),
        "recent_urgency": float(row.recent_urgency),
        "satisfaction_trend": trend(row.latest_satisfaction, row.prev_satisfaction),
        "frustration_trend": trend(row.latest_frustration, row.prev_frustration),
    }
    insert = pg_insert(PersonalityAverages).values(**values)
    updated = {k: insert.excluded[k] for k in values if k not in {"customer_id", "user_id"}}
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["customer_id", "user_id"],
            set_={**updated, "updated_at": func.now()},
        )
    )
