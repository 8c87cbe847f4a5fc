"""The platform (operator) side of the client: customers, call routing, backups.

    alice = AliceClient(target, secret=JWT_SECRET_KEY)
    router = alice.platform(token=PLATFORM_LOOKUP_TOKEN)   # from alice-admin
    customer = await router.lookup_customer_by_number(dialled_number)
    tenant = alice.for_customer(customer.id)

Platform tokens carry `platform: true` and platform scopes, never a
customer_id: they reach only these RPCs, never a tenant's memories.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from google.protobuf import json_format

from chad_client import console, models, tenants
from chad_client.console import ConsoleRole, ConsoleUser, DailyUsage
from chad_client.models import Page
from chad_client.rpcs import PlatformMethods, PlatformRpcs
from chad_client.tenants import AuditRecord, Customer, CustomerStatus, Erasure, ExportedRow
from chad_client.transport import Credentials
from chad_client.transport import TokenSource as TokenSource  # re-exported (its old home)
from chad_client.v1 import console_service_pb2 as con_pb
from chad_client.v1 import privacy_service_pb2 as priv_pb
from chad_client.v1 import tenant_service_pb2 as ten_pb

if TYPE_CHECKING:
    from chad_client.client import AliceClient


class PlatformTokenMinter:
    """Mints platform tokens from the shared secret; one cached, renewed early."""

    def __init__(
        self, secret: str, *, scope: str = "platform:lookup", ttl_seconds: int = 3600
    ) -> None:
        if len(secret.encode()) < 32:
            raise ValueError("the JWT secret must be at least 32 bytes")
        self._secret = secret
        self._scope = scope
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._cached: tuple[str, float] | None = None

    async def token(self) -> str:
        now = time.time()
        with self._lock:
            if self._cached is not None and now < self._cached[1]:
                return self._cached[0]
            issued = int(now)
            value = jwt.encode(
                {"platform": True, "scope": self._scope, "iat": issued, "exp": issued + self._ttl},
                self._secret,
                algorithm="HS256",
            )
            self._cached = (value, issued + self._ttl * 0.9)
            return value


@dataclass(frozen=True)
class CustomerChanges:
    """Fields to change with `update_customer`; None leaves a field as it is."""

    business_name: str | None = None
    agent_name: str | None = None
    greeting_template: str | None = None
    voice: str | None = None
    twilio_number: str | None = None
    time_zone: str | None = None
    status: CustomerStatus | None = None
    rate_limit_per_second: float | None = None
    clear_rate_limit: bool = False


class PlatformClient(PlatformMethods):
    """Platform calls. Get it from `AliceClient.platform(token=... | secret=...)`."""

    def __init__(self, client: AliceClient, token_source: TokenSource) -> None:
        self.client = client
        # The platform RPCs through the client's public transport, with these tokens.
        self.rpc = PlatformRpcs(client.transport, Credentials(token_source))

    async def lookup_customer_by_number(
        self, phone_number: str, *, timeout: float | None = None
    ) -> Customer:
        """The customer whose number was dialled (call start; cached by the server)."""
        response = await self.rpc.lookup_customer_by_number(
            ten_pb.LookupCustomerByNumberRequest(phone_number=phone_number), timeout=timeout
        )
        return tenants.customer(response.customer)

    async def create_customer(
        self,
        business_name: str,
        *,
        agent_name: str = "",
        greeting_template: str = "",
        voice: str = "",
        twilio_number: str = "",
        time_zone: str = "",
        rate_limit_per_second: float | None = None,
        timeout: float | None = None,
    ) -> Customer:
        """Not retried automatically: a repeat would create a second customer."""
        request = ten_pb.CreateCustomerRequest(
            business_name=business_name,
            agent_name=agent_name,
            greeting_template=greeting_template,
            voice=voice,
            twilio_number=twilio_number,
            time_zone=time_zone,
            rate_limit_per_second=rate_limit_per_second,
        )
        response = await self.rpc.create_customer(request, timeout=timeout)
        return tenants.customer(response.customer)

    async def get_customer(self, customer_id: int, *, timeout: float | None = None) -> Customer:
        response = await self.rpc.get_customer(
            ten_pb.GetCustomerRequest(customer_id=customer_id), timeout=timeout
        )
        return tenants.customer(response.customer)

    async def list_customers(
        self,
        *,
        status: CustomerStatus | None = None,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[Customer]:
        request = ten_pb.ListCustomersRequest(
            page_size=page_size,
            page_token=page_token,
            status=tenants.status_enum(status) if status else ten_pb.CUSTOMER_STATUS_UNSPECIFIED,
        )
        response = await self.rpc.list_customers(request, timeout=timeout)
        return models.page(
            [tenants.customer(c) for c in response.customers], response.next_page_token
        )

    async def iter_customers(
        self,
        *,
        status: CustomerStatus | None = None,
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[Customer]:
        """Every customer, page after page (each page has its own deadline)."""
        token = ""
        while True:
            page = await self.list_customers(
                status=status, page_size=page_size, page_token=token, timeout=timeout
            )
            for item in page.items:
                yield item
            token = page.next_page_token
            if not token:
                return

    async def update_customer(
        self, customer_id: int, changes: CustomerChanges, *, timeout: float | None = None
    ) -> Customer:
        request = ten_pb.UpdateCustomerRequest(
            customer_id=customer_id,
            business_name=changes.business_name,
            agent_name=changes.agent_name,
            greeting_template=changes.greeting_template,
            voice=changes.voice,
            twilio_number=changes.twilio_number,
            time_zone=changes.time_zone,
            status=tenants.status_enum(changes.status) if changes.status else None,
            rate_limit_per_second=changes.rate_limit_per_second,
            clear_rate_limit=changes.clear_rate_limit,
        )
        response = await self.rpc.update_customer(request, timeout=timeout)
        return tenants.customer(response.customer)

    async def suspend_customer(self, customer_id: int, *, timeout: float | None = None) -> Customer:
        return await self.update_customer(
            customer_id, CustomerChanges(status="suspended"), timeout=timeout
        )

    async def iter_customer_data(
        self, customer_id: int, *, timeout: float | None = None
    ) -> AsyncIterator[ExportedRow]:
        """Every row of a customer (the backup stream), header skipped; `timeout`
        bounds the whole stream."""
        stream = self.rpc.export_customer_data(
            priv_pb.ExportCustomerDataRequest(customer_id=customer_id), timeout=timeout
        )
        async for response in stream:
            if response.HasField("record"):
                yield tenants.exported_row(response.record)

    async def delete_customer_data(
        self, customer_id: int, *, timeout: float | None = None
    ) -> Erasure:
        """Erase a whole customer; its audit records stay."""
        response = await self.rpc.delete_customer_data(
            priv_pb.DeleteCustomerDataRequest(
                customer_id=customer_id, confirm_customer_id=customer_id
            ),
            timeout=timeout,
        )
        return tenants.erasure(response)

    async def list_audit_records(
        self,
        customer_id: int = 0,
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[AuditRecord]:
        response = await self.rpc.list_audit_records(
            priv_pb.ListAuditRecordsRequest(
                customer_id=customer_id, page_size=page_size, page_token=page_token
            ),
            timeout=timeout,
        )
        return models.page(
            [tenants.audit_record(r) for r in response.records], response.next_page_token
        )

    # ------------------------------------------------------------------ the web console

    async def create_console_user(
        self,
        login: str,
        password_hash: str,
        *,
        role: ConsoleRole,
        customer_id: int = 0,
        timeout: float | None = None,
    ) -> ConsoleUser:
        """A console user; `password_hash` is argon2id (PHC form). Not retried."""
        request = con_pb.CreateConsoleUserRequest(
            login=login,
            password_hash=password_hash,
            role=console.ROLE_ENUMS[role],  # type: ignore[arg-type]
            customer_id=customer_id,
        )
        response = await self.rpc.create_console_user(request, timeout=timeout)
        return console.console_user(response.user)

    async def get_console_user(self, login: str, *, timeout: float | None = None) -> ConsoleUser:
        """One user by login, with its password hash; NotFound when there is none."""
        response = await self.rpc.get_console_user(
            con_pb.GetConsoleUserRequest(login=login), timeout=timeout
        )
        return console.console_user(response.user)

    async def list_console_users(
        self,
        customer_id: int = 0,
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[ConsoleUser]:
        response = await self.rpc.list_console_users(
            con_pb.ListConsoleUsersRequest(
                customer_id=customer_id, page_size=page_size, page_token=page_token
            ),
            timeout=timeout,
        )
        return models.page(
            [console.console_user(u) for u in response.users], response.next_page_token
        )

    async def update_console_user(
        self,
        user_id: int,
        *,
        disabled: bool | None = None,
        password_hash: str | None = None,
        record_login: bool = False,
        timeout: float | None = None,
    ) -> ConsoleUser:
        response = await self.rpc.update_console_user(
            con_pb.UpdateConsoleUserRequest(
                id=user_id,
                disabled=disabled,
                password_hash=password_hash,
                record_login=record_login,
            ),
            timeout=timeout,
        )
        return console.console_user(response.user)

    async def get_tenant_usage(
        self, customer_id: int, *, days: int = 0, timeout: float | None = None
    ) -> list[DailyUsage]:
        """A customer's usage per UTC day, oldest first (`days` 0 = 30, at most 366)."""
        response = await self.rpc.get_tenant_usage(
            con_pb.GetTenantUsageRequest(customer_id=customer_id, days=days), timeout=timeout
        )
        return [console.daily_usage(d) for d in response.days]

    async def iter_customer_export(
        self, customer_id: int, *, timeout: float | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """A customer's backup as the JSON lines of `alice-admin backup`: first
        {"header": {...}}, then {"table": ..., "row": {...}} per row (integral
        numbers as integers). `timeout` bounds the whole stream."""
        stream = self.rpc.export_customer_data(
            priv_pb.ExportCustomerDataRequest(customer_id=customer_id), timeout=timeout
        )
        async for response in stream:
            if response.HasField("header"):
                header = response.header
                yield {
                    "header": {
                        "format": header.format,
                        "version": header.version,
                        "customer_id": header.customer_id,
                        "schema_revision": header.schema_revision,
                        "exported_at": header.exported_at.ToDatetime(tzinfo=dt.UTC).isoformat(),
                        "tables": list(header.tables),
                    }
                }
            else:
                row = console.integral(json_format.MessageToDict(response.record.row))
                yield {"table": response.record.table, "row": row}
