"""Health that tells the truth, and the probe the container's HEALTHCHECK runs.

`HealthMonitor` asks the database every `period` seconds (ALICE_HEALTH_CHECK_SECONDS),
and at once when an RPC found the database unavailable, whether it answers
and whether its schema is at the revision this code needs. The gRPC health
service reports NOT_SERVING while either is false and SERVING again when both
hold (while not serving it looks again every second). RPCs never wait for a
health check: the check runs beside them, one query per period.
Shutting down (AliceServer.stop) stops the monitor and turns every service
NOT_SERVING before anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from alice_server import metrics
from alice_server.domain.errors import ServerBusy

logger = logging.getLogger("alice.health")

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
RECHECK_SECONDS = 1.0


class HealthMonitor:
    def __init__(
        self,
        servicer: health.aio.HealthServicer,
        services: Sequence[str],
        ping: Callable[[], Awaitable[str | None]],
        head: str,
        period: float,
        timeout: float = 5.0,
    ) -> None:
        self._servicer = servicer
        self._services = ("", *services)
        self._ping = ping
        self._head = head
        self._period = period
        self._timeout = timeout
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.serving: bool | None = None
        self.problem: str | None = None

    async def start(self) -> None:
        """Check once (so the first answer is already true), then keep checking."""
        await self.check()
        self._task = asyncio.create_task(self._run(), name="alice-health")

    def poke(self) -> None:
        """An RPC saw the database fail: check now rather than at the next period."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            # While not serving, look again every second at most: recovery shows soon.
            period = self._period if self.serving else min(self._period, RECHECK_SECONDS)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(period):
                    await self._wake.wait()
            self._wake.clear()
            await self.check()

    async def check(self) -> bool:
        problem = None
        try:
            async with asyncio.timeout(self._timeout):
                revision = await self._ping()
            metrics.DB_UP.set(1)
            if revision != self._head:
                problem = f"schema at {revision or 'no revision'}, this server needs {self._head}"
        except asyncio.CancelledError:
            raise
        except ServerBusy:
            # Every connection is in use: the database answers, the server is
            # busy. Busy is not down; the state stays as it was.
            return bool(self.serving)
        except Exception as exc:  # noqa: BLE001 - any failure of the probe means "not serving"
            metrics.DB_UP.set(0)
            problem = f"database unreachable ({type(exc).__name__})"
        await self._report(problem)
        return problem is None

    async def _report(self, problem: str | None) -> None:
        serving = problem is None
        if serving != self.serving:
            if serving:
                logger.info("health: SERVING" + (" again" if self.serving is False else ""))
            else:
                logger.warning("health: NOT_SERVING: %s", problem)
        self.serving, self.problem = serving, problem
        status = SERVING if serving else NOT_SERVING
        for service in self._services:
            await self._servicer.set(service, status)
        metrics.HEALTH_SERVING.set(1 if serving else 0)


async def probe(
    address: str,
    deadline_seconds: float = 3.0,
    service: str = "",
    root_certificate: bytes | None = None,
) -> str:
    """Ask a server's health service; returns the status name (SERVING, NOT_SERVING...)."""
    channel = (
        grpc.aio.secure_channel(address, grpc.ssl_channel_credentials(root_certificate))
        if root_certificate is not None
        else grpc.aio.insecure_channel(address)
    )
    async with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest(service=service)
        reply = await stub.Check(request, timeout=deadline_seconds)
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
