"""Log-in rate limiting: failed attempts per login name and per client address
in a sliding window (ALICE_CONSOLE_LOGIN_ATTEMPTS per name,
ALICE_CONSOLE_ADDRESS_ATTEMPTS per address, within
ALICE_CONSOLE_LOGIN_WINDOW_SECONDS). Kept in the console process's memory:
with several console replicas each counts its own."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 100_000


class LoginLimiter:
    def __init__(
        self,
        per_login: int,
        per_address: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {"login": per_login, "address": per_address}
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def retry_after(self, login: str, address: str) -> float:
        """Seconds until another attempt is allowed; 0 when it is allowed now."""
        now = self._clock()
        wait = 0.0
        for kind, key in (("login", login), ("address", address)):
            failures = self._recent((kind, key), now)
            if len(failures) >= self._limits[kind]:
                wait = max(wait, failures[0] + self._window - now)
        return wait

    def failed(self, login: str, address: str) -> None:
        now = self._clock()
        if len(self._failures) > MAX_KEYS:  # bounded memory under a flood of names
            self._failures.clear()
        for key in (("login", login), ("address", address)):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, login: str) -> None:
        self._failures.pop(("login", login), None)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures
