"""Where the per-tenant tokens come from.

Every RPC carries a JWT naming its tenant. `SecretTokenProvider` mints them
from the JWT_SECRET_KEY shared with Alice (HS256, claims customer_id, scope,
iat, exp), keeps one per customer and renews it shortly before it expires.
Anything with an async `token_for(customer_id)` method can replace it (a
token service, a vault); add `invalidate(customer_id)` to let the client
drop a token the server refused as expired.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import jwt

SCOPE_READ = "memory:read"
SCOPE_WRITE = "memory:write"
MIN_SECRET_BYTES = 32


@runtime_checkable
class TokenProvider(Protocol):
    """Supplies the bearer token for a customer's calls."""

    async def token_for(self, customer_id: int) -> str: ...


@dataclass(frozen=True, slots=True)
class _Cached:
    value: str
    renew_at: float


class SecretTokenProvider:
    """Mints HS256 tokens from the shared secret, cached per customer.

    A token lives `ttl_seconds` and is replaced once less than
    `renew_before_seconds` of it remain, so no call goes out with a token
    about to expire. Safe to share between tasks and threads.
    """

    def __init__(
        self,
        secret: str,
        *,
        scope: str = f"{SCOPE_READ} {SCOPE_WRITE}",
        ttl_seconds: int = 3600,
        renew_before_seconds: int = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes")
        if not 0 <= renew_before_seconds < ttl_seconds:
            raise ValueError("renew_before_seconds must be between 0 and ttl_seconds")
        self._secret = secret
        self._scope = scope
        self._ttl = ttl_seconds
        self._renew_before = renew_before_seconds
        self._clock = clock
        self._cache: dict[int, _Cached] = {}
        self._lock = threading.Lock()

    async def token_for(self, customer_id: int) -> str:
        return self.token_for_sync(customer_id)

    def token_for_sync(self, customer_id: int) -> str:
        if type(customer_id) is not int or customer_id <= 0:
            raise ValueError("customer_id must be a positive integer")
        now = self._clock()
        with self._lock:
            cached = self._cache.get(customer_id)
            if cached is not None and now < cached.renew_at:
                return cached.value
            issued = int(now)
            value = jwt.encode(
                {
                    "customer_id": customer_id,
                    "scope": self._scope,
                    "iat": issued,
                    "exp": issued + self._ttl,
                },
                self._secret,
                algorithm="HS256",
            )
            self._cache[customer_id] = _Cached(value, issued + self._ttl - self._renew_before)
            return value

    def invalidate(self, customer_id: int) -> None:
        """Forget the customer's token (the server refused it): the next call mints anew."""
        with self._lock:
            self._cache.pop(customer_id, None)


class StaticTokenProvider:
    """Fixed tokens, for example minted elsewhere: {customer_id: token}."""

    def __init__(self, tokens: dict[int, str]) -> None:
        self._tokens = dict(tokens)

    async def token_for(self, customer_id: int) -> str:
        try:
            return self._tokens[customer_id]
        except KeyError:
            raise LookupError(f"no token for customer {customer_id}") from None
