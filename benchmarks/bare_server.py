#!/usr/bin/env python3
"""The ceiling and the floor of the call start, for bench_scale.py.

* bare (the ceiling): a grpc.aio ContextService answering an empty
  GetEnrichedContextResponse. No interceptors, no database: what Python gRPC
  alone costs on this machine.
* floor (`--floor DATABASE_URL`): the same servicer plus ONE asyncpg round trip:
  the statement Alice's call start sends (`alice_call_start_context`, migration
  0003/0004, same arguments, as the role of the URL), its JSON document returned
  as the response's `context`. The tenant comes from the `x-customer-id` header
  (no token check): what any Python gRPC service costs that reads the same
  caller's data in one statement and does nothing else with it.

`--processes N` runs N processes on one port with SO_REUSEPORT, as alice-server's
ALICE_WORKERS does, so that the comparison uses the same number of cores.
Prints `bare listening on 127.0.0.1:PORT` (or `floor listening on ...`) once
every process serves; SIGTERM stops all.

    python benchmarks/bare_server.py [--listen 127.0.0.1:0] [--processes N] [--floor URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from typing import Any

import asyncpg
import grpc

from alice_server.die_with_parent import die_with_parent
from alice_server.domain.context import (
    AGENT_SETTING_KEYS,
    DEFAULT_MEMORIES,
    DEFAULT_SUMMARIES,
    SETTINGS_TYPE,
    TRANSCRIPT_TYPES,
)
from alice_server.domain.follow_ups import DEFAULT_CONTEXT_FOLLOW_UPS
from alice_server.storage.repositories.context import CALL_START
from alice_server.workers import pick_port
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc


class BareContextServicer(context_service_pb2_grpc.ContextServiceServicer):
    async def GetEnrichedContext(
        self, request: ctx.GetEnrichedContextRequest, context: Any
    ) -> ctx.GetEnrichedContextResponse:
        return ctx.GetEnrichedContextResponse()


# What Alice sends for a call start without a query (storage/repositories/context.py,
# services/context.py): 5 summaries, 10 memories, transcripts and the agent's settings
# left out, the open follow-ups.
EXCLUDED_TYPES = list(TRANSCRIPT_TYPES)
HIDDEN_SETTINGS = (SETTINGS_TYPE, list(AGENT_SETTING_KEYS))


class FloorContextServicer(context_service_pb2_grpc.ContextServiceServicer):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def GetEnrichedContext(
        self, request: ctx.GetEnrichedContextRequest, context: Any
    ) -> ctx.GetEnrichedContextResponse:
        customer_id = int(dict(context.invocation_metadata())["x-customer-id"])
        async with self._pool.acquire() as connection:
            document = await connection.fetchval(
                CALL_START,
                customer_id,
                request.user_id,
                DEFAULT_SUMMARIES,
                DEFAULT_MEMORIES,
                EXCLUDED_TYPES,
                *HIDDEN_SETTINGS,
                DEFAULT_CONTEXT_FOLLOW_UPS,
            )
        return ctx.GetEnrichedContextResponse(
            customer_id=customer_id, user_id=request.user_id, context=document
        )


async def serve_one(address: str, floor_url: str | None) -> None:
    server = grpc.aio.server(options=[("grpc.so_reuseport", 1)])
    pool = None
    servicer: context_service_pb2_grpc.ContextServiceServicer = BareContextServicer()
    if floor_url:  # Alice's default pool: 10 connections, up to 10 more
        pool = await asyncpg.create_pool(floor_url, min_size=10, max_size=20)
        servicer = FloorContextServicer(pool)
    context_service_pb2_grpc.add_ContextServiceServicer_to_server(  # type: ignore[no-untyped-call]
        servicer, server
    )
    if server.add_insecure_port(address) == 0:
        raise OSError(f"cannot listen on {address}")
    await server.start()
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(0)
    if pool is not None:
        await pool.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--floor", metavar="DATABASE_URL", help="serve the floor (see above)")
    parser.add_argument("--child-of", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_of:
        die_with_parent(args.child_of)
        asyncio.run(serve_one(args.listen, args.floor))
        return 0
    host = args.listen.rsplit(":", 1)[0]
    address = f"{host}:{pick_port(args.listen)}"
    children = [
        subprocess.Popen(  # noqa: S603 - this very script
            [sys.executable, __file__, "--listen", address, "--child-of", str(os.getpid())]
            + (["--floor", args.floor] if args.floor else []),
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(args.processes)
    ]
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    try:
        for child in children:
            assert child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                print("bare_server: a process did not start", file=sys.stderr)
                return 1
        print(f"{'floor' if args.floor else 'bare'} listening on {address}", flush=True)
        while not stopping and all(c.poll() is None for c in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            child.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
