"""Read-only views of callers for admin screens: profiles, personality, call summaries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, tuple_

from alice_server.domain.errors import InvalidArgument, NotFound
from alice_server.domain.paging import PageTokens, page_size
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
        size = page_size(requested_page_size)
        scope = [customer_id]
        position = self._tokens.decode(page_token, "caller_profiles", scope)
        query = select(CallerProfile).where(CallerProfile.customer_id == customer_id)
        if position is not None:
            at, user_id = _position(position)
            query = query.where(
                tuple_(CallerProfile.last_call_at, CallerProfile.user_id) < (at, user_id)
            )
        query = query.order_by(
            CallerProfile.last_call_at.desc(), CallerProfile.user_id.desc()
        ).limit(size + 1)
        async with self._db.tenant_session(customer_id) as session:
            rows = list(await session.scalars(query))
        if len(rows) <= size:
            return rows, ""
        rows = rows[:size]
        last = rows[-1]
        return rows, self._tokens.encode(
            "caller_profiles", scope, [last.last_call_at.isoformat(), last.user_id]
        )

    async def summaries(
        self,
        customer_id: int,
        user_id: str | None,
        requested_page_size: int,
        page_token: str,
    ) -> tuple[list[CallSummary], str]:
        """Newest call first; every caller's when user_id is None."""
        size = page_size(requested_page_size)
        scope = [customer_id, user_id]
        position = self._tokens.decode(page_token, "call_summaries", scope)
        query = select(CallSummary).where(CallSummary.customer_id == customer_id)
        if user_id is not None:
            query = query.where(CallSummary.user_id == user_id)
        if position is not None:
            at, row_id = _position(position)
            if not isinstance(row_id, int):
                raise InvalidArgument("page_token is not valid for this request")
            query = query.where(tuple_(CallSummary.started_at, CallSummary.id) < (at, row_id))
        query = query.order_by(CallSummary.started_at.desc(), CallSummary.id.desc()).limit(size + 1)
        async with self._db.tenant_session(customer_id) as session:
            rows = list(await session.scalars(query))
        if len(rows) <= size:
            return rows, ""
        rows = rows[:size]
        last = rows[-1]
        return rows, self._tokens.encode(
            "call_summaries", scope, [last.started_at.isoformat(), last.id]
        )


def _position(position: list[Any]) -> tuple[dt.datetime, Any]:
    try:
        at = dt.datetime.fromisoformat(position[0])
        key = position[1]
    except (IndexError, TypeError, ValueError):
        raise InvalidArgument("page_token is not valid for this request") from None
    if at.tzinfo is None:
        raise InvalidArgument("page_token is not valid for this request")
    return at, key
