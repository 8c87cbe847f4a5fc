"""GetCallerProfile, UpdateCallerProfile, ListCallerProfiles, GetPersonality, ListCallSummaries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from alice_server.domain.callers import CallerProfile, check_preferred_name, merged_preferences
from alice_server.domain.calls import CallSummary
from alice_server.domain.errors import NotFound
from alice_server.domain.paging import PageTokens
from alice_server.domain.personality import PersonalityAverages
from alice_server.domain.transcripts import CallDetails
from alice_server.storage.database import Database
from alice_server.storage.unit_of_work import TenantUnitOfWork


class CallerService:
    def __init__(self, db: Database, page_tokens: PageTokens) -> None:
        self._db = db
        self._tokens = page_tokens

    async def profile(self, customer_id: int, user_id: str) -> CallerProfile:
        async with self._db.tenant(customer_id) as uow:
            profile = await uow.callers.profile(user_id)
        if profile is None:
            raise NotFound(
                f"caller {user_id} has no profile (no processed call, no UpdateCallerProfile)"
            )
        return profile

    async def update_profile(
        self,
        customer_id: int,
        user_id: str,
        preferred_name: str | None,
        preferences: dict[str, Any] | None,
        replace_preferences: bool,
    ) -> tuple[CallerProfile, bool]:
        """Set or correct the caller's name and preferences; returns (profile, created)."""
        name = check_preferred_name(preferred_name) if preferred_name is not None else None
        async with self._db.tenant(customer_id) as uow:
            stored = await uow.callers.profile_for_update(user_id)
            return await uow.callers.save_profile(
                user_id,
                name if name is not None else (stored.preferred_name if stored else ""),
                merged_preferences(
                    stored.preferences if stored else {}, preferences, replace_preferences
                ),
            )

    async def personality(self, customer_id: int, user_id: str) -> PersonalityAverages:
        async with self._db.tenant(customer_id) as uow:
            personality = await uow.callers.personality(user_id)
        if personality is None:
            raise NotFound(f"no personality data for caller {user_id}")
        return personality

    async def profiles(
        self, customer_id: int, requested_page_size: int, page_token: str
    ) -> tuple[list[CallerProfile], str]:
        """Most recent caller first."""
        page = self._tokens.request(
            kind="caller_profiles",
            scope=[customer_id],
            requested_size=requested_page_size,
            page_token=page_token,
            key_types=(dt.datetime, str),
        )
        rows = await self._db.read(customer_id, lambda uow: uow.callers.profiles_page(page))
        return self._tokens.finish(page, rows, lambda p: (p.last_call_at, p.user_id))

    async def summaries(
        self, customer_id: int, user_id: str | None, requested_page_size: int, page_token: str
    ) -> tuple[list[CallSummary], dict[str, CallDetails], str]:
        """Newest call first; every caller's when user_id is None. Also the call
        records of the listed calls, by call_id."""
        page = self._tokens.request(
            kind="call_summaries",
            scope=[customer_id, user_id],
            requested_size=requested_page_size,
            page_token=page_token,
            key_types=(dt.datetime, int),
        )

        async def read(uow: TenantUnitOfWork) -> tuple[list[CallSummary], dict[str, CallDetails]]:
            rows = await uow.calls.summaries_page(user_id, page)
            return rows, await uow.call_records.records([s.call_id for s in rows])

        rows, records = await self._db.read(customer_id, read)
        summaries, token = self._tokens.finish(page, rows, lambda s: (s.started_at, s.id))
        return (
            summaries,
            {k: v for k, v in records.items() if k in {s.call_id for s in summaries}},
            token,
        )
