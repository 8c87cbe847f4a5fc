"""The console's platform calls (ConsoleService): its users and a customer's
usage over time. `PlatformClient` and `SyncPlatformClient` get these methods
from the two classes below.

    platform = alice.platform(secret=JWT_SECRET_KEY, scope="platform:admin")
    user = await platform.get_console_user("maria")        # with its argon2id hash
    days = await platform.get_tenant_usage(customer_id, days=30)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from google.protobuf import json_format

from chad_client import models
from chad_client.models import Page
from chad_client.v1 import console_service_pb2 as con_pb
from chad_client.v1 import privacy_service_pb2 as priv_pb

if TYPE_CHECKING:
    from chad_client.client import AliceClient
    from chad_client.platform import PlatformClient
    from chad_client.sync import SyncAliceClient

ConsoleRole = Literal["operator", "tenant_admin"]
_ROLES: dict[int, ConsoleRole] = {
    con_pb.CONSOLE_ROLE_OPERATOR: "operator",
    con_pb.CONSOLE_ROLE_TENANT_ADMIN: "tenant_admin",
}
_ROLE_ENUMS = {name: number for number, name in _ROLES.items()}


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    id: int
    login: str
    role: ConsoleRole
    customer_id: int | None  # None for an operator
    disabled: bool
    password_hash: str  # get_console_user only; "" elsewhere
    last_login_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class DailyUsage:
    """One UTC day of a customer's usage."""

    date: dt.date
    calls: int
    callers: int
    new_callers: int
    memories: int
    rpc_count: int
    error_count: int


def console_user(message: con_pb.ConsoleUser) -> ConsoleUser:
    return ConsoleUser(
        id=message.id,
        login=message.login,
        role=_ROLES.get(message.role, "operator"),
        customer_id=message.customer_id or None,
        disabled=message.disabled,
        password_hash=message.password_hash,
        last_login_at=(
            message.last_login_at.ToDatetime(tzinfo=dt.UTC)
            if message.HasField("last_login_at")
            else None
        ),
        created_at=message.created_at.ToDatetime(tzinfo=dt.UTC),
        updated_at=message.updated_at.ToDatetime(tzinfo=dt.UTC),
    )


def daily_usage(message: con_pb.DailyUsage) -> DailyUsage:
    return DailyUsage(
        date=dt.date.fromisoformat(message.date),
        calls=message.calls,
        callers=message.callers,
        new_callers=message.new_callers,
        memories=message.memories,
        rpc_count=message.rpc_count,
        error_count=message.error_count,
    )


class ConsolePlatformCalls:
    """ConsoleService methods of `PlatformClient`."""

    client: AliceClient
    _rpc: Callable[..., Awaitable[Any]]
    _token: Callable[[], Awaitable[str]]

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
            role=_ROLE_ENUMS[role],  # type: ignore[arg-type]
            customer_id=customer_id,
        )
        response = await self._rpc(
            self.client._console.CreateConsoleUser,
            request,
            timeout,
            "CreateConsoleUser",
            idempotent=False,
        )
        return console_user(response.user)

    async def get_console_user(self, login: str, *, timeout: float | None = None) -> ConsoleUser:
        """One user by login, with its password hash; NotFound when there is none."""
        response = await self._rpc(
            self.client._console.GetConsoleUser,
            con_pb.GetConsoleUserRequest(login=login),
            timeout,
            "GetConsoleUser",
            idempotent=True,
        )
        return console_user(response.user)

    async def list_console_users(
        self,
        customer_id: int = 0,
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[ConsoleUser]:
        response = await self._rpc(
            self.client._console.ListConsoleUsers,
            con_pb.ListConsoleUsersRequest(
                customer_id=customer_id, page_size=page_size, page_token=page_token
            ),
            timeout,
            "ListConsoleUsers",
            idempotent=True,
        )
        return models.page([console_user(u) for u in response.users], response.next_page_token)

    async def update_console_user(
        self,
        user_id: int,
        *,
        disabled: bool | None = None,
        password_hash: str | None = None,
        record_login: bool = False,
        timeout: float | None = None,
    ) -> ConsoleUser:
        response = await self._rpc(
            self.client._console.UpdateConsoleUser,
            con_pb.UpdateConsoleUserRequest(
                id=user_id,
                disabled=disabled,
                password_hash=password_hash,
                record_login=record_login,
            ),
            timeout,
            "UpdateConsoleUser",
            idempotent=True,
        )
        return console_user(response.user)

    async def get_tenant_usage(
        self, customer_id: int, *, days: int = 0, timeout: float | None = None
    ) -> list[DailyUsage]:
        """A customer's usage per UTC day, oldest first (`days` 0 = 30, at most 366)."""
        response = await self._rpc(
            self.client._console.GetTenantUsage,
            con_pb.GetTenantUsageRequest(customer_id=customer_id, days=days),
            timeout,
            "GetTenantUsage",
            idempotent=True,
        )
        return [daily_usage(d) for d in response.days]

    async def iter_customer_export(
        self, customer_id: int, *, timeout: float | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """A customer's backup as the JSON lines of `alice-admin backup`: first
        {"header": {...}}, then {"table": ..., "row": {...}} per row (integral
        numbers as integers). `timeout` bounds the whole stream."""
        stream = self.client._stream(
            self._token,
            self.client._privacy.ExportCustomerData,
            priv_pb.ExportCustomerDataRequest(customer_id=customer_id),
            timeout=self.client.timeouts.of("ExportCustomerData") if timeout is None else timeout,
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
                row = _integral(json_format.MessageToDict(response.record.row))
                yield {"table": response.record.table, "row": row}


def _integral(value: Any) -> Any:
    """protobuf Struct numbers are doubles: ids come back as 7.0. Make them 7 again."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


class SyncConsolePlatformCalls:
    """The blocking twins of `ConsolePlatformCalls` (for `SyncPlatformClient`)."""

    _owner: SyncAliceClient
    _platform: PlatformClient

    def create_console_user(
        self,
        login: str,
        password_hash: str,
        *,
        role: ConsoleRole,
        customer_id: int = 0,
        timeout: float | None = None,
    ) -> ConsoleUser:
        return self._owner._run(
            self._platform.create_console_user(
                login, password_hash, role=role, customer_id=customer_id, timeout=timeout
            )
        )

    def get_console_user(self, login: str, *, timeout: float | None = None) -> ConsoleUser:
        return self._owner._run(self._platform.get_console_user(login, timeout=timeout))

    def list_console_users(
        self,
        customer_id: int = 0,
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Page[ConsoleUser]:
        return self._owner._run(
            self._platform.list_console_users(
                customer_id, page_size=page_size, page_token=page_token, timeout=timeout
            )
        )

    def update_console_user(
        self,
        user_id: int,
        *,
        disabled: bool | None = None,
        password_hash: str | None = None,
        record_login: bool = False,
        timeout: float | None = None,
    ) -> ConsoleUser:
        return self._owner._run(
            self._platform.update_console_user(
                user_id,
                disabled=disabled,
                password_hash=password_hash,
                record_login=record_login,
                timeout=timeout,
            )
        )

    def get_tenant_usage(
        self, customer_id: int, *, days: int = 0, timeout: float | None = None
    ) -> list[DailyUsage]:
        return self._owner._run(
            self._platform.get_tenant_usage(customer_id, days=days, timeout=timeout)
        )

    def iter_customer_export(
        self, customer_id: int, *, timeout: float | None = None
    ) -> Iterator[dict[str, Any]]:
        return self._owner._iterate(
            self._platform.iter_customer_export(customer_id, timeout=timeout)
        )
