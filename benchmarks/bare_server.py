#!/usr/bin/env python3
"""The ceiling: a bare grpc.aio ContextService answering an empty GetEnrichedContextResponse.

No interceptors, no database: what Python gRPC alone costs on this machine.
`--processes N` runs N processes on one port with SO_REUSEPORT, as alice-server's
ALICE_WORKERS does, so that the comparison uses the same number of cores.
Prints `bare listening on 127.0.0.1:PORT` once every process serves; SIGTERM
stops all. Used by bench_scale.py.

    python benchmarks/bare_server.py [--listen 127.0.0.1:0] [--processes N]
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

import grpc

from alice_server.die_with_parent import die_with_parent
from alice_server.workers import pick_port
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc


class BareContextServicer(context_service_pb2_grpc.ContextServiceServicer):
    async def GetEnrichedContext(
        self, request: ctx.GetEnrichedContextRequest, context: Any
    ) -> ctx.GetEnrichedContextResponse:
        return ctx.GetEnrichedContextResponse()


async def serve_one(address: str) -> None:
    server = grpc.aio.server(options=[("grpc.so_reuseport", 1)])
    context_service_pb2_grpc.add_ContextServiceServicer_to_server(  # type: ignore[no-untyped-call]
        BareContextServicer(), server
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--child-of", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_of:
        die_with_parent(args.child_of)
        asyncio.run(serve_one(args.listen))
        return 0
    host = args.listen.rsplit(":", 1)[0]
    address = f"{host}:{pick_port(args.listen)}"
    children = [
        subprocess.Popen(  # noqa: S603 - this very script
            [sys.executable, __file__, "--listen", address, "--child-of", str(os.getpid())],
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
        print(f"bare listening on {address}", flush=True)
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
