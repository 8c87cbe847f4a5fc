"""Customers of the test database, and the credentials of their calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from alice_server.auth import mint_token


@dataclass(frozen=True)
class TenantHandle:
    """A customer of the test database and the credentials of its calls."""

    id: int
    name: str
    secret: str

    def token(self, **kwargs: Any) -> str:
        return mint_token(self.secret, self.id, **kwargs)

    def metadata(self, **kwargs: Any) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token(**kwargs)}"),)


async def create_customer(owner_url: str, name: str, status: str = "active") -> int:
    connection = await asyncpg.connect(owner_url)
    try:
        return int(
            await connection.fetchval(
                "INSERT INTO customers (business_name, status) VALUES ($1, $2) RETURNING id",
                name,
                status,
            )
        )
    finally:
        await connection.close()
