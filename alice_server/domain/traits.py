"""The 13 personality traits: the one list every part of Alice uses.

The first ten are averaged over all of a caller's calls; the last three are
levels of the moment, averaged over the caller's last calls (see
`alice_server.domain.personality`). Only the frozen migration 0001 and the
separately installed client (`chad_client`, generated from the proto) spell
them out again.
"""

from __future__ import annotations

PERSONALITY_TRAITS: tuple[str, ...] = (
    "openness",
    "conscientiousness",
    "extraversion",
    "agreeableness",
    "neuroticism",
    "formality",
    "directness",
    "detail_orientation",
    "patience",
    "technical_comfort",
    "frustration_level",
    "satisfaction_level",
    "urgency_level",
)
AVERAGED_TRAITS: tuple[str, ...] = PERSONALITY_TRAITS[:10]
RECENT_LEVELS: tuple[str, ...] = PERSONALITY_TRAITS[10:]
