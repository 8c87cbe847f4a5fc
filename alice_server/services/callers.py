"""GetCallerProfile, ListCallerProfiles, GetPersonality, ListCallSummaries."""

from __future__ import annotations

import datetime as dt

from alice_server.domain.callers import CallerProfile
from alice_server.domain.calls import CallSummary
from alice_server.domain.errors import NotFound
from alice_server.domain.paging import PageTokens
from alice_server.domain.personality import PersonalityAverages
from alice_server.storage.database import Database


class CallerService:
    def __init__(self, db: Database, page_tokens: PageTokens) -> None:
        self._db = db
        self._tokens = page_tokens

    async def profile(self, customer_id: int, user_id: str) -> CallerProfile:
        async with self._db.tenant(customer_id) as uow:
            profile = await uow.callers.profile(user_id)
        if profile is None:
            raise NotFound(f"no processed call of caller {user_id}")
        return profile

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
        async with self._db.tenant(customer_id) as uow:
            rows = await uow.callers.profiles_page(page)
        return self._tokens.finish(page, rows, lambda p: (p.last_call_at, p.user_id))

    async def summaries(
        self, customer_id: int, user_id: str | None, requested_page_size: int, page_token: str
    ) -> tuple[list[CallSummary], str]:
        """Newest call first; every caller's when user_id is None."""
        page = self._tokens.request(
            kind="call_summaries",
            scope=[customer_id, user_id],
            requested_size=requested_page_size,
            page_token=page_token,
            key_types=(dt.datetime, int),
        )
        async with self._db.tenant(customer_id) as uow:
            rows = await uow.calls.summaries_page(user_id, page)
        return self._tokens.finish(page, rows, lambda s: (s.started_at, s.id))
