"""Console users: the log-ins of alice-console (ConsoleService; alice-admin
create-console-user), on the platform role's pool (or the schema owner's).

Alice stores the argon2id hash the console computed and checks its format
only; verifying a password is the console's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from alice_server.domain.console_users import ConsoleUser, ConsoleUserChanges, NewConsoleUser
from alice_server.domain.errors import FailedPrecondition, NotFound
from alice_server.domain.paging import PageTokens, page_size
from alice_server.services.tenants import PLATFORM_NOT_CONFIGURED
from alice_server.storage.database import Database


@dataclass(frozen=True, slots=True)
class ConsoleUserPage:
    users: list[ConsoleUser]
    next_page_token: str


class ConsoleUsers:
    def __init__(self, platform_db: Database | None, tokens: PageTokens) -> None:
        self._platform_db = platform_db
        self._tokens = tokens

    @property
    def db(self) -> Database:
        if self._platform_db is None:
            raise FailedPrecondition(PLATFORM_NOT_CONFIGURED)
        return self._platform_db

    async def create(self, user: NewConsoleUser) -> ConsoleUser:
        async with self.db.admin() as uow:
            return await uow.console_users.create(user)

    async def by_login(self, login: str) -> ConsoleUser:
        async with self.db.admin() as uow:
            user = await uow.console_users.by_login(login)
        if user is None:
            raise NotFound(f"no console user is named {login!r}")
        return user

    async def page(
        self, customer_id: int | None, requested_size: int, token: str
    ) -> ConsoleUserPage:
        size = page_size(requested_size)
        scope = [customer_id or 0]
        position = self._tokens.decode(token, "console_users", scope)
        after_id = int(position[0]) if position else 0
        async with self.db.admin() as uow:
            users = await uow.console_users.page(after_id, size + 1, customer_id)
        more = len(users) > size
        users = users[:size]
        next_token = self._tokens.encode("console_users", scope, [users[-1].id]) if more else ""
        return ConsoleUserPage(users, next_token)

    async def update(self, user_id: int, changes: ConsoleUserChanges) -> ConsoleUser:
        async with self.db.admin() as uow:
            user = await uow.console_users.update(user_id, changes)
        if user is None:
            raise NotFound(f"console user {user_id} does not exist")
        return user
