"""Draining: a stopping server refuses the calls that have not started, with
UNAVAILABLE (reason SERVER_DRAINING: nothing was done, retry), and lets the
running ones finish within the grace period.

grpc.aio's own stop cancels every call it has accepted but not yet handed to a
handler: CANCELLED, which no client retries (298 of 300 StoreMemory calls in
flight at the stop, tests/test_draining.py). So `AliceServer.stop` drains
first: the RPC guard (interceptors.py) admits each call through `Drain.admitted()`,
which refuses new ones once draining; the stop waits until no call runs and
none arrived for QUIET_SECONDS (grpc has handed over what it had queued), or no
call has run for MAX_REFUSING_SECONDS while refused ones keep coming (steady
traffic), or the grace period ends, and only then stops the gRPC server, whose
GOAWAY sends the clients' connections elsewhere. chad_client retries a
SERVER_DRAINING refusal at once, on the next replica.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from alice_server.domain.errors import ServerDraining

MESSAGE = "the server is shutting down and did not start this call; retry"
QUIET_SECONDS = 0.1
MAX_REFUSING_SECONDS = 1.0


class Drain:
    """The calls of one server: how many run, whether new ones are refused."""

    def __init__(self) -> None:
        self.draining = False
        self.running = 0
        self.arrived = 0

    @contextmanager
    def admitted(self) -> Iterator[None]:
        """Around one call: refused (ServerDraining) once the server drains."""
        self.arrived += 1
        if self.draining:
            raise ServerDraining(MESSAGE)
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1

    async def drain(self, seconds: float) -> None:
        """Refuse new calls from now on; return once no call has run and none has
        arrived for QUIET_SECONDS (grpc has handed over, and we refused, what it had
        queued), or, under steady traffic that keeps arriving to be refused, once no
        call has run for MAX_REFUSING_SECONDS; at the latest after `seconds`. Then
        the gRPC server's stop sends GOAWAY, which moves clients elsewhere."""
        self.draining = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        idle_since = None
        seen = -1
        while loop.time() < deadline:
            now = loop.time()
            if self.running:
                idle_since = None
            elif idle_since is None:
                idle_since = now
            elif self.arrived == seen or now - idle_since >= MAX_REFUSING_SECONDS:
                return
            seen = self.arrived
            await asyncio.sleep(min(QUIET_SECONDS, max(0.0, deadline - now)))
