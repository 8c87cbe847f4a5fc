"""A TCP proxy between the server and PostgreSQL that a test can cut or slow
down: a real network fault for a real server, instead of a mock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

from alice_server.storage.urls import libpq_url


@dataclass
class PgProxy:
    target_url: str
    delay: float = 0.0
    up: bool = True
    port: int = 0
    _server: asyncio.Server | None = None
    _links: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        """The target URL, reached through the proxy."""
        parsed = make_url(self.target_url)
        query = {k: v for k, v in parsed.query.items() if k not in ("host", "port")}
        return libpq_url(parsed.set(host="127.0.0.1", port=self.port, query=query))

    async def _connect_target(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        parsed = make_url(self.target_url)
        host = str(parsed.query.get("host") or parsed.host or "127.0.0.1")
        port = parsed.port or 5432
        if host.startswith("/"):  # a Unix socket directory (the embedded database)
            return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        return await asyncio.open_connection(host, port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        target_reader, target_writer = await self._connect_target()
        self._links.update((writer, target_writer))

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    if self.delay:
                        await asyncio.sleep(self.delay)
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pump(reader, target_writer), pump(target_reader, writer))
        self._links.difference_update((writer, target_writer))

    def cut(self) -> None:
        """Refuse new connections and drop the open ones (the database 'goes away')."""
        self.up = False
        for writer in list(self._links):
            writer.close()
        self._links.clear()

    def restore(self) -> None:
        self.up = True


@asynccontextmanager
async def pg_proxy(target_url: str) -> AsyncIterator[PgProxy]:
    proxy = PgProxy(target_url)
    proxy._server = await asyncio.start_server(proxy._handle, "127.0.0.1", 0)
    proxy.port = proxy._server.sockets[0].getsockname()[1]
    try:
        yield proxy
    finally:
        proxy.cut()
        proxy._server.close()
        await proxy._server.wait_closed()
