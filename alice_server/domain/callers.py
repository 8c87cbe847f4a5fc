"""Read-only views of callers for admin screens: profiles, personality, call summaries."""

from __future__ import annotations

from sqlalchemy import select

from alice_server.domain.errors import NotFound
from alice_server.domain.paging import PageTokens
from alice_server.storage.database import Database
from alice_server.storage.models import CallerProfile, CallSummary, PersonalityAverages


class CallerViews:
    def __init__(self, db: Database, page_tokens: PageTokens) -> None:
        self._db = db
        self._tokens = page_tokens

    async def profile(self, customer_id: int, user_id: str) -> CallerProfile:
        async with self._db.tenant_session(customer_id) as session:
            row = await session.get(CallerProfile, (customer_id, user_id))
        if row is None:
            raise NotFound(f"no processed call of caller {user_id}")
        return row

    async def personality(self, customer_id: int, user_id: str) -> PersonalityAverages:
        async with self._db.tenant_session(customer_id) as session:
            row = await session.get(PersonalityAverages, (customer_id, user_id))
        if row is None:
            raise NotFound(f"no personality data for caller {user_id}")
        return row

    async def profiles(
        self, customer_id: int, requested_page_size: int, page_token: str
    ) -> tuple[list[CallerProfile], str]:
        """Most recent caller first."""
        query = select(CallerProfile).where(CallerProfile.customer_id == customer_id)
        async with self._db.tenant_session(customer_id) as session:
            return await self._tokens.page(
                session,
                query,
                (CallerProfile.last_call_at, CallerProfile.user_id),
                kind="caller_profiles",
                scope=[customer_id],
                requested_size=requested_page_size,
                page_token=page_token,
            )

    async def summaries(
        self, customer_id: int, user_id: str | None, requested_page_size: int, page_token: str
    ) -> tuple[list[CallSummary], str]:
        """Newest call first; every caller's when user_id is None."""
        query = select(CallSummary).where(CallSummary.customer_id == customer_id)
        if user_id is not None:
            query = query.where(CallSummary.user_id == user_id)
        async with self._db.tenant_session(customer_id) as session:
            return await self._tokens.page(
                session,
                query,
                (CallSummary.started_at, CallSummary.id),
                kind="call_summaries",
                scope=[customer_id, user_id],
                requested_size=requested_page_size,
                page_token=page_token,
            )
