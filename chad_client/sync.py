"""The synchronous twin, for Flask-style code.

    alice = SyncAliceClient("alice.internal:50051", secret=JWT_SECRET_KEY)
    context = alice.for_customer(customer_id).get_context_or_empty("+15551234567")
    ...
    alice.close()

It runs an `AliceClient` on a private event loop in a daemon thread; every
method blocks the calling thread until the call is done (deadlines, retries
and exceptions are exactly the async client's). It is thread-safe: any number
of request threads can share one instance.

`SyncTenantClient` and `SyncPlatformClient` are generated from the async
classes' signatures (chad_client/sync_twins.py, by scripts/generate_protos.py).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

from chad_client.channel import Target
from chad_client.client import AliceClient
from chad_client.sync_twins import SyncPlatformClient, SyncTenantClient

__all__ = ["SyncAliceClient", "SyncPlatformClient", "SyncTenantClient"]

T = TypeVar("T")


class SyncAliceClient:
    """Blocking client of Alice; takes the same arguments as `AliceClient`."""

    def __init__(self, target: Target, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="chad-client-loop", daemon=True
        )
        self._thread.start()
        self._closed = False

        async def create() -> AliceClient:
            return AliceClient(target, **kwargs)

        try:
            self.client = self._run(create())
        except BaseException:
            self._stop_loop()
            raise

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coroutine.close()
            raise RuntimeError("the client is closed")
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result()

    def _iterate(self, iterator: AsyncIterator[T]) -> Iterator[T]:
        while True:
            try:
                yield self._run(anext(iterator))  # type: ignore[arg-type]
            except StopAsyncIteration:
                return

    def for_customer(self, customer_id: int) -> SyncTenantClient:
        return SyncTenantClient(self, self.client.for_customer(customer_id))

    def platform(
        self, *, token: str | None = None, secret: str | None = None, scope: str = ""
    ) -> SyncPlatformClient:
        return SyncPlatformClient(
            self, self.client.platform(token=token, secret=secret, scope=scope)
        )

    def health(self, service: str = "", *, timeout: float | None = None) -> bool:
        return self._run(self.client.health(service, timeout=timeout))

    def close(self, grace: float | None = None) -> None:
        if self._closed:
            return
        self._run(self.client.close(grace))
        self._closed = True
        self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> SyncAliceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
