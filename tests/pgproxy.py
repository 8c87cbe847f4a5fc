"""A TCP proxy between the server and PostgreSQL that a test can cut or slow
down: a real network fault for a real server, instead of a mock.

It also reads the frontend (client to server) side of the PostgreSQL wire
protocol and counts round trips: every message after which the client waits
for the server's answer, i.e. a simple Query ('Q'), an extended-protocol Sync
('S') or Flush ('H'; asyncpg prepares a statement with Parse, Describe,
Flush). `statements` lists the SQL text of every Query and Parse.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
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
    round_trips: int = 0
    statements: list[str] = field(default_factory=list)

    def reset_counts(self) -> None:
        self.round_trips = 0
        self.statements.clear()

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

        frontend = _FrontendReader(self)

        async def pump_counted(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    frontend.feed(data)
                    if self.delay:
                        await asyncio.sleep(self.delay)
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pump_counted(reader, target_writer), pump(target_reader, writer))
        self._links.difference_update((writer, target_writer))

    def cut(self) -> None:
        """Refuse new connections and drop the open ones (the database 'goes away')."""
        self.up = False
        for writer in list(self._links):
            writer.close()
        self._links.clear()

    def restore(self) -> None:
        self.up = True


class _FrontendReader:
    """Splits the client's byte stream into protocol messages and counts them."""

    def __init__(self, proxy: PgProxy) -> None:
        self._proxy = proxy
        self._buffer = bytearray()
        self._started = False  # past the untyped start-up messages

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while True:
            if not self._started:
                if len(self._buffer) < 8:
                    return
                (length,) = struct.unpack("!I", self._buffer[:4])
                (code,) = struct.unpack("!I", self._buffer[4:8])
                if len(self._buffer) < length:
                    return
                del self._buffer[:length]
                # SSLRequest / GSSENCRequest are followed by another untyped message.
                if code not in (80877103, 80877104):
                    self._started = True
                continue
            if len(self._buffer) < 5:
                return
            kind = chr(self._buffer[0])
            (length,) = struct.unpack("!I", self._buffer[1:5])
            if len(self._buffer) < 1 + length:
                return
            body = bytes(self._buffer[5 : 1 + length])
            del self._buffer[: 1 + length]
            if kind in ("Q", "S", "H"):
                self._proxy.round_trips += 1
            if kind == "Q":
                self._proxy.statements.append(body.rstrip(b"\0").decode())
            elif kind == "P":  # Parse: statement name, then the query text
                name_end = body.index(b"\0")
                query_end = body.index(b"\0", name_end + 1)
                self._proxy.statements.append(body[name_end + 1 : query_end].decode())


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
