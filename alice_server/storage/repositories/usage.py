"""tenant_usage (migration 0008): RPC counts per customer and hour, and the
daily usage series of GetTenantUsage.

`UsageCounts.add` runs as the service role, without a tenant: one statement
(`alice_add_tenant_usage`, SECURITY DEFINER) adds every tenant's counts of a
flush. `UsageRepository` is bound to one tenant's transaction (the platform
role's) and reads that tenant's days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import asyncpg

from alice_server.domain.console_users import DailyUsage
from alice_server.storage.repositories.base import TenantRepository

_ADD = "SELECT alice_add_tenant_usage($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[])"
# Each count walks an index led by customer_id (summaries by started_at,
# profiles, memories by (user_id, created_at), usage by hour); the days are
# UTC and bounded (at most 366).
_DAILY = """
WITH days AS (
    SELECT generate_series($2::date, $3::date, interval '1 day')::date AS day
),
calls AS (
    SELECT (started_at AT TIME ZONE 'UTC')::date AS day,
           count(*) AS calls, count(DISTINCT user_id) AS callers
    FROM call_summaries
    WHERE customer_id = $1 AND started_at >= $2::date::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1
),
new_callers AS (
    SELECT (first_call_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
    FROM caller_profiles
    WHERE customer_id = $1 AND first_call_at >= $2::date::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1
),
stored AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
    FROM memories
    WHERE customer_id = $1 AND created_at >= $2::date::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1
),
rpcs AS (
    SELECT (hour AT TIME ZONE 'UTC')::date AS day,
           sum(rpc_count) AS rpc_count, sum(error_count) AS error_count
    FROM tenant_usage
    WHERE customer_id = $1 AND hour >= $2::date::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1
)
SELECT d.day,
       coalesce(c.calls, 0) AS calls,
       coalesce(c.callers, 0) AS callers,
       coalesce(n.n, 0) AS new_callers,
       coalesce(s.n, 0) AS memories,
       coalesce(r.rpc_count, 0)::bigint AS rpc_count,
       coalesce(r.error_count, 0)::bigint AS error_count
FROM days d
LEFT JOIN calls c USING (day)
LEFT JOIN new_callers n USING (day)
LEFT JOIN stored s USING (day)
LEFT JOIN rpcs r USING (day)
ORDER BY d.day
"""


class UsageCounts:
    """Adds counted RPCs (service role, no tenant: the SECURITY DEFINER function)."""

    __slots__ = ("_connection",)

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def add(self, counts: Mapping[tuple[int, dt.datetime], tuple[int, int]]) -> None:
        keys = list(counts)
        await self._connection.execute(
            _ADD,
            [customer_id for customer_id, _hour in keys],
            [hour for _customer_id, hour in keys],
            [counts[key][0] for key in keys],
            [counts[key][1] for key in keys],
        )


class UsageRepository(TenantRepository):
    async def daily(self, first: dt.date, last: dt.date) -> list[DailyUsage]:
        rows = await self._connection.fetch(_DAILY, self._customer_id, first, last)
        return [
            DailyUsage(
                day=row["day"],
                calls=row["calls"],
                callers=row["callers"],
                new_callers=row["new_callers"],
                memories=row["memories"],
                rpc_count=row["rpc_count"],
                error_count=row["error_count"],
            )
            for row in rows
        ]
