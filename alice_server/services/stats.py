"""GetTenantStats."""

from __future__ import annotations

import datetime as dt

from alice_server.domain.stats import TenantStats
from alice_server.domain.transcripts import retention_cutoff
from alice_server.storage.database import Database


class StatsService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def tenant_stats(self, customer_id: int) -> TenantStats:
        async with self._db.tenant(customer_id) as uow:
            return await uow.stats.tenant_stats(retention_cutoff(dt.datetime.now(dt.UTC)))
