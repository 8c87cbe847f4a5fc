"""The console's platform calls (ConsoleService): its users and a customer's
usage over time: the values `PlatformClient`'s console methods return
(`create_console_user`, `get_console_user`, `list_console_users`,
`update_console_user`, `get_tenant_usage`, `iter_customer_export`).

    platform = alice.platform(secret=JWT_SECRET_KEY, scope="platform:admin")
    user = await platform.get_console_user("maria")        # with its argon2id hash
    days = await platform.get_tenant_usage(customer_id, days=30)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from chad_client.v1 import console_service_pb2 as con_pb

ConsoleRole = Literal["operator", "tenant_admin"]
_ROLES: dict[int, ConsoleRole] = {
    con_pb.CONSOLE_ROLE_OPERATOR: "operator",
    con_pb.CONSOLE_ROLE_TENANT_ADMIN: "tenant_admin",
}
ROLE_ENUMS = {name: number for number, name in _ROLES.items()}


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


def integral(value: Any) -> Any:
    """protobuf Struct numbers are doubles: ids come back as 7.0. Make them 7 again."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value
