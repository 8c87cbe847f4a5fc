"""Privacy use cases: a caller's export and erasure (tenant), a customer's
export, erasure and restore (platform, alice-admin), and the audit trail.

Every export and erasure writes an audit record: erasures in their own
transaction (the record commits with the erasure, or neither does); exports
after the stream, in a transaction of their own, with the rows actually sent
(a broken-off export is recorded too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from alice_server.domain import privacy
from alice_server.domain.errors import FailedPrecondition, InvalidArgument, NotFound
from alice_server.domain.paging import PageTokens, page_size
from alice_server.domain.privacy import AuditEntry, ExportHeader, NewAuditEntry, SubjectHasher
from alice_server.services.tenants import PLATFORM_NOT_CONFIGURED
from alice_server.storage.data_tables import TENANT_DATA_TABLES, by_name, caller_tables
from alice_server.storage.database import Database
from alice_server.storage.repositories.audit import AuditRepository

CUSTOMERS_TABLE = "customers"


@dataclass(frozen=True, slots=True)
class Erasure:
    counts: dict[str, int]
    audit: AuditEntry


@dataclass(frozen=True, slots=True)
class AuditPage:
    records: list[AuditEntry]
    next_page_token: str


def restore_order() -> tuple[str, ...]:
    """customers first, then the data tables parents first."""
    return (CUSTOMERS_TABLE, *(t.name for t in TENANT_DATA_TABLES))


class PrivacyService:
    def __init__(
        self,
        db: Database,
        platform_db: Database | None,
        hasher: SubjectHasher,
        tokens: PageTokens,
    ) -> None:
        self._db = db
        self._platform_db = platform_db
        self._hasher = hasher
        self._tokens = tokens

    @property
    def platform_db(self) -> Database:
        if self._platform_db is None:
            raise FailedPrecondition(PLATFORM_NOT_CONFIGURED)
        return self._platform_db

    # ------------------------------------------------------------------ one caller (tenant)

    async def export_user(self, customer_id: int, user_id: str) -> list[tuple[str, dict[str, Any]]]:
        """Every row of the caller, table by table, read and audited in one transaction."""
        rows: list[tuple[str, dict[str, Any]]] = []
        counts: dict[str, int] = {}
        async with self._db.tenant(customer_id) as uow:
            repository = uow.privacy
            for table in caller_tables():
                before = len(rows)
                rows.extend([(table.name, row) async for row in repository.rows(table, user_id)])
                counts[table.name] = len(rows) - before
            await uow.audit.add(
                NewAuditEntry(
                    customer_id,
                    privacy.EXPORT_USER_DATA,
                    privacy.tenant_actor(customer_id),
                    self._hasher(user_id),
                    counts,
                )
            )
        return rows

    async def erase_user(self, customer_id: int, user_id: str) -> Erasure:
        """Every row of the caller, in one transaction, children before parents."""
        async with self._db.tenant(customer_id) as uow:
            repository = uow.privacy
            counts = {t.name: await repository.erase(t, user_id) for t in reversed(caller_tables())}
            audit = await uow.audit.add(
                NewAuditEntry(
                    customer_id,
                    privacy.DELETE_USER_DATA,
                    privacy.tenant_actor(customer_id),
                    self._hasher(user_id),
                    counts,
                )
            )
        return Erasure(_in_table_order(counts), audit)

    async def my_audit(self, customer_id: int, requested_size: int, token: str) -> AuditPage:
        async with self._db.tenant(customer_id) as uow:
            return await self._audit_page(uow.audit, customer_id, requested_size, token)

    # ------------------------------------------------------------------ whole customers

    async def export_customer(
        self, customer_id: int, actor: str, *, db: Database | None = None
    ) -> AsyncIterator[ExportHeader | tuple[str, dict[str, Any]]]:
        """The header, then every row: the customers row first, tables parents first.

        `db` is the platform role's pool by default (alice-admin passes the owner's).
        """
        privacy.check_customer_id(customer_id)
        database = db or self.platform_db
        counts: dict[str, int] = {}
        try:
            async with database.tenant(customer_id) as uow:
                repository = uow.privacy
                customer = await repository.customer_row()
                if customer is None:
                    raise NotFound(f"customer {customer_id} does not exist")
                revision = await uow.schema.revision()
                yield ExportHeader(
                    customer_id, str(revision), dt.datetime.now(dt.UTC), restore_order()
                )
                yield CUSTOMERS_TABLE, customer
                counts[CUSTOMERS_TABLE] = 1
                for table in TENANT_DATA_TABLES:
                    counts[table.name] = 0
                    async for row in repository.rows(table):
                        yield table.name, row
                        counts[table.name] += 1
        finally:
            if counts:
                await self._audit_alone(
                    database, customer_id, privacy.EXPORT_CUSTOMER_DATA, actor, counts
                )

    async def erase_customer(
        self, customer_id: int, actor: str, *, db: Database | None = None
    ) -> Erasure:
        """All the customer's rows and the customer itself, in one transaction."""
        privacy.check_customer_id(customer_id)
        database = db or self.platform_db
        async with database.tenant(customer_id) as uow:
            repository = uow.privacy
            if await repository.customer_row() is None:
                raise NotFound(f"customer {customer_id} does not exist")
            counts = {t.name: await repository.erase(t) for t in reversed(TENANT_DATA_TABLES)}
            counts[CUSTOMERS_TABLE] = await repository.erase_customer_row()
            audit = await uow.audit.add(
                NewAuditEntry(customer_id, privacy.DELETE_CUSTOMER_DATA, actor, "", counts)
            )
        return Erasure(_in_table_order(counts), audit)

    async def restore_customer(
        self,
        db: Database,
        header: ExportHeader,
        rows: Iterable[tuple[str, dict[str, Any]]],
    ) -> dict[str, int]:
        """Load an export into `db` (the schema owner's) in one transaction.

        Refused when the schema revision differs or the customer exists there.
        """
        customer_id = privacy.check_customer_id(header.customer_id)
        if header.format != privacy.EXPORT_FORMAT or header.version != privacy.EXPORT_VERSION:
            raise InvalidArgument(
                f"not an Alice customer export (format {header.format!r} v{header.version})"
            )
        grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in restore_order()}
        for table, row in rows:
            if table not in grouped:
                raise InvalidArgument(f"the export holds rows of an unknown table {table!r}")
            grouped[table].append(row)
        if len(grouped[CUSTOMERS_TABLE]) != 1:
            raise InvalidArgument("the export must hold exactly one customers row")
        async with db.tenant(customer_id) as uow:
            revision = await uow.schema.revision()
            if revision != header.schema_revision:
                raise FailedPrecondition(
                    f"the export is of schema revision {header.schema_revision}, the database "
                    f"is at {revision}: migrate the database to that revision first"
                )
            if await uow.privacy.customer_row() is not None:
                raise FailedPrecondition(
                    f"customer {customer_id} exists in this database: restore into a fresh "
                    "database, or erase the customer first (alice-admin erase-customer)"
                )
            repository = uow.privacy
            counts: dict[str, int] = {}
            for table in restore_order():
                if table != CUSTOMERS_TABLE and by_name(table) is None:
                    continue
                counts[table] = await repository.insert(table, grouped[table])
            await uow.audit.add(
                NewAuditEntry(
                    customer_id, privacy.RESTORE_CUSTOMER_DATA, privacy.ADMIN_ACTOR, "", counts
                )
            )
        return counts

    async def audit(self, customer_id: int | None, requested_size: int, token: str) -> AuditPage:
        async with self.platform_db.admin() as uow:
            return await self._audit_page(uow.audit, customer_id, requested_size, token)

    # ------------------------------------------------------------------ helpers

    async def _audit_page(
        self, repository: AuditRepository, customer_id: int | None, requested_size: int, token: str
    ) -> AuditPage:
        size = page_size(requested_size)
        scope = [customer_id or 0]
        position = self._tokens.decode(token, "audit", scope)
        before = None
        if position:
            before = (dt.datetime.fromisoformat(str(position[0])), int(position[1]))
        records = await repository.page(customer_id, before, size + 1)
        more = len(records) > size
        records = records[:size]
        next_token = ""
        if more:
            last = records[-1]
            next_token = self._tokens.encode("audit", scope, [last.created_at.isoformat(), last.id])
        return AuditPage(records, next_token)

    async def _audit_alone(
        self, db: Database, customer_id: int, action: str, actor: str, counts: dict[str, int]
    ) -> None:
        async with db.tenant(customer_id) as uow:
            await uow.audit.add(NewAuditEntry(customer_id, action, actor, "", counts))


def _in_table_order(counts: dict[str, int]) -> dict[str, int]:
    order = restore_order()
    return {name: counts[name] for name in order if name in counts}
