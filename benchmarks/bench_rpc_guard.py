#!/usr/bin/env python3
"""Server CPU per RPC of what runs around every call, without a database.

Three grpc.aio servers, each in a process of its own, answer an empty
GetEnrichedContextResponse:

* bare: the servicer alone (bench_scale.py's ceiling);
* bare+metadata: the servicer sending one initial-metadata entry first, as the
  RPC guard does with `x-request-id` (one more batch through grpc's completion
  queue per call);
* guard: the servicer registered through Alice's `RpcGuard` (token check with a
  cached token, rate limit on, customer status from the directory's cache,
  access line, metrics).

One client drives them in turn (`--rounds` interleaved rounds of `--calls`
calls at `--concurrency`); the figure is the server process's CPU (user+system,
/proc) per call. It prints figures and asserts nothing. A figure measured while
other work loads the machine is only comparable within the same run.

    python benchmarks/bench_rpc_guard.py [--calls 4000] [--rounds 5] [--concurrency 10]

`--modes bare,guard,old --old CHECKOUT` adds the three grpc interceptors of a
checkout from before the guard (e.g. `git worktree add /tmp/old 4d0cebb`), in the
same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import time
from typing import Any

import grpc

from alice_server.auth import TokenVerifier, mint_token
from alice_server.domain.customers import ACTIVE
from alice_server.domain.ratelimit import RateLimiter
from alice_server.rpc_scopes import METHOD_SCOPES, PLATFORM_METHOD_SCOPES
from alice_server.services.customers import CustomerDirectory
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc

# Shared by the client and its server processes (they inherit it).
SECRET = os.environ.setdefault("BENCH_RPC_GUARD_SECRET", secrets.token_urlsafe(32))
CUSTOMER_ID = 7
MODES = ("bare", "bare+metadata", "guard", "old")


class Bare(context_service_pb2_grpc.ContextServiceServicer):
    async def GetEnrichedContext(
        self, request: ctx.GetEnrichedContextRequest, context: Any
    ) -> ctx.GetEnrichedContextResponse:
        return ctx.GetEnrichedContextResponse()


class BareWithMetadata(context_service_pb2_grpc.ContextServiceServicer):
    async def GetEnrichedContext(
        self, request: ctx.GetEnrichedContextRequest, context: Any
    ) -> ctx.GetEnrichedContextResponse:
        await context.send_initial_metadata((("x-request-id", "0123456789abcdef"),))
        return ctx.GetEnrichedContextResponse()


def _directory() -> CustomerDirectory:
    """The customer directory with the benchmark's customer already cached
    (active): no database is read during the run."""
    directory = CustomerDirectory(None, 3600.0)  # type: ignore[arg-type]
    directory._cache[CUSTOMER_ID] = (ACTIVE, float("inf"))
    return directory


async def serve(mode: str) -> None:
    servicer: Any = BareWithMetadata() if mode == "bare+metadata" else Bare()
    limiter = RateLimiter(1_000_000.0, 1_000_000)
    verifier = TokenVerifier(SECRET)
    target: Any
    if mode == "guard":
        from alice_server.interceptors import RpcGuard

        server = grpc.aio.server()
        guard = RpcGuard(verifier, _directory(), limiter, METHOD_SCOPES, PLATFORM_METHOD_SCOPES)
        target = guard.registrar(server)
    elif mode == "old":  # code from before the guard (PYTHONPATH=<old checkout>)
        import alice_server.interceptors as old
        import alice_server.malformed as old_malformed

        server = grpc.aio.server(
            interceptors=[
                old_malformed.MalformedRequestInterceptor(),  # type: ignore[attr-defined]
                old.StatusInterceptor("DEBUG", None),  # type: ignore[attr-defined]
                old.AuthInterceptor(  # type: ignore[attr-defined]
                    verifier, _directory(), limiter, METHOD_SCOPES, PLATFORM_METHOD_SCOPES
                ),
            ]
        )
        target = server
    else:
        server = grpc.aio.server()
        target = server
    context_service_pb2_grpc.add_ContextServiceServicer_to_server(servicer, target)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(port, flush=True)
    await server.wait_for_termination()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(port: int, calls: int, concurrency: int) -> float:
    metadata = (("authorization", f"Bearer {mint_token(SECRET, CUSTOMER_ID, ttl_seconds=3600)}"),)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = context_service_pb2_grpc.ContextServiceStub(channel)  # type: ignore[no-untyped-call]
        request = ctx.GetEnrichedContextRequest(user_id="+15550000001")
        left = calls

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await stub.GetEnrichedContext(request, metadata=metadata)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


async def compare(args: argparse.Namespace, servers: dict[str, tuple[int, int]]) -> None:
    """`servers`: mode -> (process id, port)."""
    for _, port in servers.values():
        await drive(port, 1000, args.concurrency)  # warm-up
    figures: dict[str, list[float]] = {mode: [] for mode in servers}
    for _ in range(args.rounds):
        for mode, (pid, port) in servers.items():
            before = cpu_seconds(pid)
            await drive(port, args.calls, args.concurrency)
            figures[mode].append((cpu_seconds(pid) - before) / args.calls * 1e6)
    print(
        f"server CPU µs per call ({args.rounds} rounds of {args.calls} calls, "
        f"concurrency {args.concurrency}; load average {os.getloadavg()[0]:.1f}):"
    )
    for mode, values in figures.items():
        print(
            f"  {mode:14s} median {statistics.median(values):6.0f}   "
            + " ".join(f"{v:.0f}" for v in values)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument(
        "--modes",
        type=lambda v: v.split(","),
        default=["bare", "bare+metadata", "guard"],
        help="comma-separated, of " + ", ".join(MODES),
    )
    parser.add_argument(
        "--old",
        metavar="CHECKOUT",
        help="the checkout whose alice_server the 'old' mode imports (its interceptors)",
    )
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve))
        return
    processes: list[subprocess.Popen[str]] = []
    servers: dict[str, tuple[int, int]] = {}
    try:
        for mode in args.modes:
            env = dict(os.environ)
            if mode == "old" and args.old:
                env["PYTHONPATH"] = args.old
            process = subprocess.Popen(  # noqa: S603 - this script, a fixed mode
                [sys.executable, __file__, "--serve", mode],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            processes.append(process)
            assert process.stdout is not None
            servers[mode] = (process.pid, int(process.stdout.readline()))
        asyncio.run(compare(args, servers))
    finally:
        for process in processes:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
