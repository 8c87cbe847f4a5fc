"""console_users (migration 0008): the console's log-ins.

Runs without a tenant, as the platform role (its policy shows it every row)
or the schema owner (alice-admin create-console-user).
"""

from __future__ import annotations

import asyncpg

from alice_server.domain.console_users import ConsoleUser, ConsoleUserChanges, NewConsoleUser
from alice_server.domain.errors import AlreadyExists, NotFound

COLUMNS = (
    "id, login, role, customer_id, disabled, password_hash, last_login_at, created_at, updated_at"
)
_CREATE = f"""
INSERT INTO console_users (login, password_hash, role, customer_id)
VALUES ($1, $2, $3, $4)
RETURNING {COLUMNS}
"""
_BY_LOGIN = f"SELECT {COLUMNS} FROM console_users WHERE login = $1"
_PAGE = f"""
SELECT {COLUMNS} FROM console_users
WHERE id > $1 AND ($2::bigint IS NULL OR customer_id = $2)
ORDER BY id
LIMIT $3
"""
_UPDATE = f"""
UPDATE console_users SET
    disabled = coalesce($2, disabled),
    password_hash = coalesce($3, password_hash),
    last_login_at = CASE WHEN $4 THEN now() ELSE last_login_at END,
    updated_at = now()
WHERE id = $1
RETURNING {COLUMNS}
"""


def console_user_of(row: asyncpg.Record) -> ConsoleUser:
    return ConsoleUser(
        id=row["id"],
        login=row["login"],
        role=row["role"],
        customer_id=row["customer_id"],
        disabled=row["disabled"],
        password_hash=row["password_hash"],
        last_login_at=row["last_login_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class ConsoleUserRepository:
    __slots__ = ("_connection",)

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def create(self, user: NewConsoleUser) -> ConsoleUser:
        try:
            row = await self._connection.fetchrow(
                _CREATE, user.login, user.password_hash, user.role, user.customer_id
            )
        except asyncpg.exceptions.UniqueViolationError:
            raise AlreadyExists(f"a console user named {user.login!r} exists already") from None
        except asyncpg.exceptions.ForeignKeyViolationError:
            raise NotFound(f"customer {user.customer_id} does not exist") from None
        assert row is not None
        return console_user_of(row)

    async def by_login(self, login: str) -> ConsoleUser | None:
        row = await self._connection.fetchrow(_BY_LOGIN, login)
        return None if row is None else console_user_of(row)

    async def page(self, after_id: int, limit: int, customer_id: int | None) -> list[ConsoleUser]:
        rows = await self._connection.fetch(_PAGE, after_id, customer_id, limit)
        return [console_user_of(row) for row in rows]

    async def update(self, user_id: int, changes: ConsoleUserChanges) -> ConsoleUser | None:
        row = await self._connection.fetchrow(
            _UPDATE, user_id, changes.disabled, changes.password_hash, changes.record_login
        )
        return None if row is None else console_user_of(row)
