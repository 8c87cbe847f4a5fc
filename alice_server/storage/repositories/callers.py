"""caller_profiles and personality_averages: what is known about a caller as a whole."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from alice_server.domain.callers import CallerProfile
from alice_server.domain.paging import PageRequest
from alice_server.domain.personality import PersonalityAverages
from alice_server.domain.traits import AVERAGED_TRAITS
from alice_server.storage.repositories.base import TenantRepository

PROFILE_COLUMNS = (
    "user_id, first_call_at, last_call_at, total_calls, preferred_name, preferences, "
    "created_at, updated_at"
)
PERSONALITY_COLUMNS = (
    "user_id, call_count, "
    + ", ".join(f"avg_{t}" for t in AVERAGED_TRAITS)
    + ", recent_frustration, recent_satisfaction, recent_urgency, "
    "satisfaction_trend, frustration_trend, updated_at"
)

_PROFILE = f"SELECT {PROFILE_COLUMNS} FROM caller_profiles WHERE customer_id = $1 AND user_id = $2"
_PERSONALITY = (
    f"SELECT {PERSONALITY_COLUMNS} FROM personality_averages "
    "WHERE customer_id = $1 AND user_id = $2"
)
_PROFILES = f"""
SELECT {PROFILE_COLUMNS} FROM caller_profiles
WHERE customer_id = $1
  AND ($2::timestamptz IS NULL OR (last_call_at, user_id) < ($2, $3::text))
ORDER BY last_call_at DESC, user_id DESC
LIMIT $4
"""


def profile_of(row: Mapping[str, Any]) -> CallerProfile:
    preferences = row["preferences"]
    return CallerProfile(
        user_id=row["user_id"],
        first_call_at=row["first_call_at"],
        last_call_at=row["last_call_at"],
        total_calls=row["total_calls"],
        preferred_name=row["preferred_name"],
        preferences=json.loads(preferences) if isinstance(preferences, str) else preferences,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def personality_of(row: Mapping[str, Any]) -> PersonalityAverages:
    return PersonalityAverages(
        user_id=row["user_id"],
        call_count=row["call_count"],
        averages={t: float(row[f"avg_{t}"]) for t in AVERAGED_TRAITS},
        recent_frustration=float(row["recent_frustration"]),
        recent_satisfaction=float(row["recent_satisfaction"]),
        recent_urgency=float(row["recent_urgency"]),
        satisfaction_trend=row["satisfaction_trend"],
        frustration_trend=row["frustration_trend"],
        updated_at=row["updated_at"],
    )


class CallerRepository(TenantRepository):
    async def profile(self, user_id: str) -> CallerProfile | None:
        row = await self._connection.fetchrow(_PROFILE, self._customer_id, user_id)
        return None if row is None else profile_of(row)

    async def personality(self, user_id: str) -> PersonalityAverages | None:
        row = await self._connection.fetchrow(_PERSONALITY, self._customer_id, user_id)
        return None if row is None else personality_of(row)

    async def profiles_page(self, page: PageRequest) -> list[CallerProfile]:
        """Up to `page.fetch` profiles, most recent caller first, after
        `page.after` ((last_call_at, user_id))."""
        after_at, after_user = page.after if page.after is not None else (None, None)
        rows = await self._connection.fetch(
            _PROFILES, self._customer_id, after_at, after_user, page.fetch
        )
        return [profile_of(row) for row in rows]
