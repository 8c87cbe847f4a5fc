"""ALICE_WORKERS: several server processes on one port, started and stopped together.

One Python process runs one event loop on one core. With `ALICE_WORKERS=N`
(default: the cores this process may use) `alice-server` becomes a small
supervisor that starts N worker processes. Each binds the same address with
SO_REUSEPORT (the kernel spreads incoming *connections* over them) and has its
own event loop, connection pool, caches, rate-limit buckets and summariser.

* Start: the supervisor opens the database once (starting the embedded one if
  there is no DATABASE_URL), checks the role and schema, picks the port (a free
  one for port 0), then starts the workers. It logs `Alice listening on ...`
  only when every worker serves.
* Stop: SIGTERM or SIGINT to the supervisor stops every worker gracefully
  (each gets ALICE_SHUTDOWN_GRACE_SECONDS for running calls), then it exits 0.
* The supervisor dies (even `kill -9`): the kernel sends each worker SIGTERM
  (PR_SET_PDEATHSIG on Linux; a watcher thread elsewhere), and it stops
  gracefully. No worker outlives its supervisor: summaries still running after
  the grace period are abandoned and the summariser's processes killed, so a
  backlog of long calls never holds a worker's exit.
* Metrics (ALICE_METRICS_ADDRESS): one endpoint, the supervisor's. The workers
  write their series to a private directory the supervisor creates and removes
  (prometheus-client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR); the
  supervisor serves them summed, and drops a dead worker's gauges.
* A worker dies unexpectedly: the supervisor logs which one and how, stops the
  others and exits 1. We do not restart workers: a crash is a bug or a broken
  environment, the process manager (systemd, Kubernetes) restarts the whole
  server, and a half-size server that keeps running hides the failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import multiprocessing
import os
import signal
import socket
import sys
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from alice_server import logs, metrics
from alice_server.cli_errors import explain
from alice_server.config import Settings
from alice_server.die_with_parent import die_with_parent
from alice_server.runtime import open_runtime
from alice_server.serve import database_origin, serve
from alice_server.storage.database import Database

logger = logging.getLogger("alice.workers")

# A worker that ignores SIGTERM this long after its grace period is killed.
KILL_AFTER_GRACE_SECONDS = 10.0


def run(settings: Settings, secret: str) -> int:
    """`alice-server` with `settings.workers` > 1: supervise the workers until stopped."""
    runtime = open_runtime(settings)
    try:
        app_url = runtime.require_app_url()
        asyncio.run(_verify(settings, app_url))
        # The workers reach the platform role where the supervisor found it (the
        # embedded database's, or ALICE_PLATFORM_DATABASE_URL).
        settings = dataclasses.replace(settings, platform_database_url=runtime.platform_url)
        return asyncio.run(_Supervisor(settings, app_url, secret).run())
    finally:
        runtime.close()


async def _verify(settings: Settings, app_url: str) -> None:
    """Refuse a role that bypasses RLS or an old schema once, before any worker starts."""
    database = Database.from_settings(app_url, settings, size=1)
    try:
        await database.verify()
    finally:
        await database.close()


def split_address(address: str) -> tuple[str, int]:
    """'127.0.0.1:50051' -> ('127.0.0.1', 50051); '[::]:0' -> ('::', 0)."""
    host, _, port = address.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise OSError(f"cannot listen on {address}: the port is not a number") from None
    return host.strip("[]"), number


def pick_port(address: str) -> int:
    """The port the workers will share: the given one if it is free, else OSError.

    Binding without SO_REUSEPORT fails if anything listens there, including
    another Alice whose workers set SO_REUSEPORT: two servers never silently
    share a port. Port 0 picks a free port.
    """
    host, port = split_address(address)
    try:
        family, kind, proto, _, sockaddr = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC does
            probe.bind(sockaddr)
            return int(probe.getsockname()[1])
    except OSError as exc:
        raise OSError(
            f"cannot listen on {address} (in use, or not a local address): {exc}"
        ) from None


class _Worker:
    def __init__(self, index: int, process: BaseProcess, ready: Connection) -> None:
        self.index = index
        self.process = process
        self.ready = ready
        self.port: int | None = None

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def describe_exit(self) -> str:
        code = self.process.exitcode
        if code is not None and code < 0:
            return f"was killed by {signal.Signals(-code).name}"
        return f"exited with code {code}"


class _Supervisor:
    def __init__(self, settings: Settings, app_url: str, secret: str) -> None:
        self.settings = settings
        self.app_url = app_url
        self.secret = secret
        self.workers: list[_Worker] = []
        self.metrics: metrics.SupervisorMetrics | None = None

    async def run(self) -> int:
        """The workers' metrics, if any, go through one endpoint of this process."""
        if self.settings.metrics_address:
            self.metrics = metrics.SupervisorMetrics()
        try:
            if self.metrics is not None and self.settings.metrics_address:
                endpoint = self.metrics.serve(self.settings.metrics_address)
                host = self.settings.metrics_address.rpartition(":")[0]
                logger.info(
                    "metrics on http://%s:%d/metrics (every worker's, summed)", host, endpoint.port
                )
            return await self._run()
        finally:
            if self.metrics is not None:
                self.metrics.close()

    async def _run(self) -> int:
        loop = asyncio.get_running_loop()
        stop_requested = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop_requested.set)
        host, _ = split_address(self.settings.listen_address)
        port = pick_port(self.settings.listen_address)
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        settings = dataclasses.replace(self.settings, listen_address=address)
        context = multiprocessing.get_context("spawn")
        # Started from this (the main) thread: PR_SET_PDEATHSIG fires when the
        # thread that started the child ends, not only when the process does.
        for index in range(settings.workers):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=worker_main,
                args=(index, settings, self.app_url, self.secret, os.getpid(), send),
                name=f"alice-worker-{index}",
            )
            process.start()
            send.close()
            self.workers.append(_Worker(index, process, receive))
        try:
            died = await self._supervise(stop_requested, host, port, settings)
        finally:
            await self._stop_all()
        if died is not None:
            logger.error(
                "worker %d (pid %d) %s; the other workers were stopped",
                died.index,
                died.pid,
                died.describe_exit(),
            )
            return 1
        return 0

    async def _supervise(
        self, stop_requested: asyncio.Event, host: str, port: int, settings: Settings
    ) -> _Worker | None:
        """Announce the address once every worker reported ready; return the first
        worker that dies, or None when a stop is requested."""
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[tuple[str, _Worker]] = asyncio.Queue()
        watched: list[int] = []

        def watch(fd: int, what: str, worker: _Worker) -> None:
            def readable() -> None:
                loop.remove_reader(fd)
                events.put_nowait((what, worker))

            loop.add_reader(fd, readable)
            watched.append(fd)

        for worker in self.workers:
            watch(worker.process.sentinel, "died", worker)
            watch(worker.ready.fileno(), "ready", worker)
        stop = asyncio.ensure_future(stop_requested.wait())
        waiting = len(self.workers)
        try:
            while True:
                event = asyncio.ensure_future(events.get())
                await asyncio.wait([stop, event], return_when=asyncio.FIRST_COMPLETED)
                if stop.done():
                    event.cancel()
                    return None
                what, worker = event.result()
                if what == "ready":
                    try:
                        worker.port = int(worker.ready.recv())
                    except EOFError:  # closed without a port: it is exiting
                        continue  # its sentinel reports it
                    waiting -= 1
                    if waiting == 0:
                        logger.info(
                            "Alice listening on %s:%d (%d workers, pids %s; %s)",
                            host,
                            port,
                            len(self.workers),
                            ", ".join(str(w.pid) for w in self.workers),
                            database_origin(settings),
                        )
                else:
                    await asyncio.to_thread(worker.process.join)
                    if self.metrics is not None:
                        self.metrics.worker_exited(worker.pid)
                    return worker
        finally:
            stop.cancel()
            for fd in watched:
                loop.remove_reader(fd)

    async def _stop_all(self) -> None:
        alive = [w for w in self.workers if w.process.is_alive()]
        if alive:
            logger.info(
                "stopping %d workers: letting running calls finish (up to %.0fs)",
                len(alive),
                self.settings.shutdown_grace_seconds,
            )
        for worker in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGTERM)
        deadline = self.settings.shutdown_grace_seconds + KILL_AFTER_GRACE_SECONDS
        for worker in self.workers:
            await asyncio.to_thread(worker.process.join, deadline)
            if worker.process.is_alive():
                logger.error("worker %d (pid %d) did not stop: killed", worker.index, worker.pid)
                worker.process.kill()
                await asyncio.to_thread(worker.process.join)
            worker.ready.close()
            if self.metrics is not None:
                self.metrics.worker_exited(worker.pid)


# --------------------------------------------------------------------------- in the worker


def worker_main(
    index: int,
    settings: Settings,
    app_url: str,
    secret: str,
    supervisor_pid: int,
    ready: Connection,
) -> None:
    """A worker process: serve until SIGTERM/SIGINT or until the supervisor is gone."""
    die_with_parent(supervisor_pid)
    logs.configure(settings.log_level, settings.log_format)
    if settings.metrics_address:  # the supervisor serves them (SupervisorMetrics)
        metrics.served_by_supervisor()
    started = False

    def serving(port: int) -> None:
        nonlocal started
        started = True
        ready.send(port)

    try:
        asyncio.run(serve(settings, secret, app_url=app_url, ready=serving))
    except KeyboardInterrupt:  # SIGINT before serve() installed its handler
        pass
    except Exception as exc:
        if started:
            raise  # a bug while serving or stopping: with its traceback
        # Could not start (a database refusing the login, a port in use, ...): one
        # line, as the README promises; the supervisor stops the others.
        logger.error("worker %d could not serve: %s", index, explain(exc) or _first_line(exc))
        sys.exit(1)
    finally:
        ready.close()


def _first_line(exc: BaseException) -> str:
    """The exception's type and the first line of its message (no traceback)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
