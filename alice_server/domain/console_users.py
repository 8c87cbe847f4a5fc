"""Console users (alice-console's log-ins) and a customer's usage over time: the
values, and the rules a request must meet. Pure: no storage, no gRPC."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from alice_server.domain.errors import InvalidArgument

ConsoleRole = Literal["operator", "tenant_admin"]
OPERATOR: ConsoleRole = "operator"
TENANT_ADMIN: ConsoleRole = "tenant_admin"
ROLES: tuple[ConsoleRole, ...] = (OPERATOR, TENANT_ADMIN)

_LOGIN = re.compile(r"[a-z0-9][a-z0-9._@-]{1,62}")
# argon2id in PHC form, as argon2-cffi writes it (migration 0008 checks the same).
_ARGON2ID = re.compile(
    r"\$argon2id\$v=19\$m=[0-9]{1,9},t=[0-9]{1,6},p=[0-9]{1,4}\$[A-Za-z0-9+/]{8,128}\$[A-Za-z0-9+/]{16,256}"
)
DEFAULT_USAGE_DAYS = 30
MAX_USAGE_DAYS = 366


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    id: int
    login: str
    role: ConsoleRole
    customer_id: int | None
    disabled: bool
    password_hash: str
    last_login_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewConsoleUser:
    login: str
    password_hash: str
    role: ConsoleRole
    customer_id: int | None


@dataclass(frozen=True, slots=True)
class ConsoleUserChanges:
    disabled: bool | None = None
    password_hash: str | None = None
    record_login: bool = False

    def __bool__(self) -> bool:
        return self.disabled is not None or self.password_hash is not None or self.record_login


@dataclass(frozen=True, slots=True)
class DailyUsage:
    """One UTC day of a customer's usage (GetTenantUsage)."""

    day: dt.date
    calls: int
    callers: int
    new_callers: int
    memories: int
    rpc_count: int
    error_count: int


def check_login(value: str) -> str:
    login = value.strip().lower()
    if not _LOGIN.fullmatch(login):
        raise InvalidArgument(
            "login must be 2-63 characters: lower-case letters, digits and . _ @ -, "
            "starting with a letter or a digit"
        )
    return login


def check_password_hash(value: str) -> str:
    """The PHC string of an argon2id hash; the message never repeats the value."""
    if not _ARGON2ID.fullmatch(value):
        raise InvalidArgument(
            "password_hash must be an argon2id hash in PHC form "
            "($argon2id$v=19$m=...,t=...,p=...$salt$hash), computed by the console"
        )
    return value


def new_console_user(
    login: str, password_hash: str, role: ConsoleRole | None, customer_id: int
) -> NewConsoleUser:
    if role is None:
        raise InvalidArgument("role must be CONSOLE_ROLE_OPERATOR or CONSOLE_ROLE_TENANT_ADMIN")
    if role == OPERATOR and customer_id != 0:
        raise InvalidArgument("an operator belongs to no customer: leave customer_id 0")
    if role == TENANT_ADMIN and customer_id <= 0:
        raise InvalidArgument("a tenant admin needs the customer_id of its customer")
    return NewConsoleUser(
        check_login(login),
        check_password_hash(password_hash),
        role,
        customer_id if role == TENANT_ADMIN else None,
    )


def usage_days(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument("days must not be negative (0 means 30)")
    if requested == 0:
        return DEFAULT_USAGE_DAYS
    return min(requested, MAX_USAGE_DAYS)
