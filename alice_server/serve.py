"""One server process: `alice-server` itself (ALICE_WORKERS=1), or one worker of
alice_server.workers. It opens the databases (the embedded one if there is no
DATABASE_URL), checks the roles and the schema, starts the gRPC server, and
stops it gracefully on SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

from alice_server.config import ConfigError, Settings
from alice_server.heap import freeze_startup_heap
from alice_server.read_your_writes import attach_read_replica
from alice_server.runtime import open_runtime
from alice_server.server import start_server
from alice_server.storage.database import Database

logger = logging.getLogger("alice.cli")  # the name alice-server's own lines have always had


async def serve(
    settings: Settings,
    secret: str,
    *,
    app_url: str | None = None,
    ready: Callable[[int], None] | None = None,
) -> None:
    """Run until SIGINT or SIGTERM, then stop gracefully.

    A worker of ALICE_WORKERS (alice_server.workers) gets `app_url` from its
    supervisor, which runs the embedded database if any and announces the
    address once every worker called `ready(port)`.
    """
    runtime = None
    if app_url is None:
        runtime = await asyncio.to_thread(open_runtime, settings)
        try:
            app_url = runtime.require_app_url()
        except ConfigError:
            await asyncio.to_thread(runtime.close)
            raise
    database = Database.from_settings(app_url, settings)
    # t-tenants: the platform role's own small pool, for the platform RPCs.
    platform_url = runtime.platform_url if runtime is not None else settings.platform_database_url
    platform = Database.from_settings(platform_url, settings, size=2) if platform_url else None
    try:
        await database.verify()
        if platform is not None:
            await platform.verify()
        await attach_read_replica(settings, database)  # ALICE_READ_DATABASE_URL
        server = await start_server(settings, database, secret, platform_database=platform)
        freeze_startup_heap()  # before the first call: full collections stay short
        if ready is not None:
            ready(server.port)
        else:
            host = settings.listen_address.rsplit(":", 1)[0]
            origin = database_origin(settings)
            logger.info("Alice listening on %s:%d (%s)", host, server.port, origin)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        await stopping.wait()
        logger.info(
            "stopping: letting running calls finish (up to %.0fs)",
            settings.shutdown_grace_seconds,
        )
        await server.stop()
    finally:
        await database.close()
        if platform is not None:
            await platform.close()
        if runtime is not None:
            await asyncio.to_thread(runtime.close)


def database_origin(settings: Settings) -> str:
    return f"embedded database in {settings.data_dir}" if settings.embedded else "DATABASE_URL"
