"""ProcessCall of two versions of Alice side by side: RPC/s and latency percentiles.

    python benchmarks/bench_process_call.py --before /path/to/older/checkout [--after .]
        [--concurrency 10] [--rounds 3] [--duration 15] [--workers 1] [--calls labelled]

Each side is a checkout with its own `.venv` (`./dev setup` there; e.g.
`git worktree add --detach ../alice-before <commit> && (cd ../alice-before && ./dev setup)`).
For each side the script creates a throw-away migrated database with that side's own
migrations (its `alice_server.testing.temporary_database`, run in its own virtualenv),
starts that side's real `alice-server` on a free port (rate limit off, `--workers`
processes, built-in summariser) and one tenant, then sends ProcessCall at
`--concurrency` from one client: every call is one of the labelled calls of
data/eval/calls.jsonl (real wording, 6 to 40 turns), with a new call id, for one of 200
callers. The sides take turns (before, after, before, after, ...) for `--rounds`
rounds of `--duration` seconds, so a change of the machine's speed touches both; each
side's rounds are pooled. Prints RPC/s, p50/p95/p99 and after/before ratios.
`--calls synthetic` sends bench_server.py's load-test transcripts instead (its eight
insurance scenarios of 8-9 turns, with a caller name and a number varied per call):
the ProcessCall of the older, mixed benchmark.

Asserts nothing about speed. Exit status 1 if any ProcessCall failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import grpc

from alice_server.auth import mint_token
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc
from chad_client.v1 import resources_pb2 as res

ROOT = Path(__file__).resolve().parents[1]
CALLS = ROOT / "data" / "eval" / "calls.jsonl"
ROLES = {"agent": res.ROLE_AGENT, "caller": res.ROLE_CALLER}

# Run by each side's own python: a database migrated by that side's code, kept until
# stdin closes; prints its URLs as one JSON line.
DATABASE_HOLDER = """
import asyncio, json, sys
from alice_server.testing import temporary_database

async def main():
    async with temporary_database(sys.argv[1]) as db:
        print(json.dumps({"owner": db.owner_url, "app": db.app_url}), flush=True)
        await asyncio.to_thread(sys.stdin.read)

asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def synthetic_calls() -> list[list[res.Turn]]:
    """bench_server.py's load-test transcripts, 200 of them (names and numbers vary)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_server import transcript

    rng = random.Random(7)  # noqa: S311 - test data, not security
    names = ("Maria Lopez", "James Chen", "Aisha Khan", "Tom Becker", "Ana Silva")
    return [transcript(rng, rng.choice(names)) for _ in range(200)]


def load_calls() -> list[list[res.Turn]]:
    calls = []
    for line in CALLS.read_text().splitlines():
        if line.strip():
            turns = json.loads(line)["turns"]
            calls.append([res.Turn(role=ROLES[t["speaker"]], content=t["text"]) for t in turns])
    return calls


class Side:
    def __init__(self, name: str, checkout: Path, superuser_url: str, workers: int) -> None:
        self.name = name
        self.checkout = checkout
        self.superuser_url = superuser_url
        self.workers = workers
        self.python = checkout / ".venv" / "bin" / "python"
        self.secret = secrets.token_urlsafe(48)
        self.latencies: list[float] = []
        self.calls = 0
        self.errors = 0
        self.seconds = 0.0
        self.holder: asyncio.subprocess.Process | None = None
        self.server: asyncio.subprocess.Process | None = None

    def revision(self) -> str:
        return subprocess.run(  # noqa: S603 - our own arguments
            ["git", "-C", str(self.checkout), "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    async def start(self) -> None:
        self.holder = await asyncio.create_subprocess_exec(
            str(self.python),
            "-c",
            DATABASE_HOLDER,
            self.superuser_url,
            cwd=self.checkout,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.holder.stdout is not None
        urls = json.loads(await self.holder.stdout.readline())
        owner = await asyncpg.connect(urls["owner"])
        try:
            self.customer_id = int(
                await owner.fetchval(
                    "INSERT INTO customers (business_name) VALUES ($1) RETURNING id",
                    f"Bench {self.name}",
                )
            )
        finally:
            await owner.close()
        self.address = f"127.0.0.1:{free_port()}"
        env = {
            **os.environ,
            "DATABASE_URL": urls["app"],
            "JWT_SECRET_KEY": self.secret,
            "ALICE_LISTEN_ADDRESS": self.address,
            "ALICE_WORKERS": str(self.workers),
            "ALICE_RATE_LIMIT_PER_SECOND": "0",
            "ALICE_SUMMARIZER": "builtin",
            "ALICE_LOG_LEVEL": "WARNING",
        }
        env.pop("ALICE_METRICS_ADDRESS", None)
        self.server = await asyncio.create_subprocess_exec(
            str(self.checkout / ".venv" / "bin" / "alice-server"),
            cwd=self.checkout,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
        )
        self.channel = grpc.aio.insecure_channel(self.address)
        await asyncio.wait_for(self.channel.channel_ready(), 60)
        self.stub = context_service_pb2_grpc.ContextServiceStub(self.channel)  # type: ignore[no-untyped-call]
        token = mint_token(self.secret, self.customer_id, ttl_seconds=3600 * 6)
        self.metadata = (("authorization", f"Bearer {token}"),)

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.channel.close()
        if self.server is not None:
            self.server.terminate()
            await asyncio.wait_for(self.server.wait(), 30)
        if self.holder is not None and self.holder.stdin is not None:
            self.holder.stdin.close()  # the holder drops its database
            await asyncio.wait_for(self.holder.wait(), 60)

    async def phase(
        self, calls: list[list[res.Turn]], concurrency: int, seconds: float, measure: bool
    ) -> None:
        rng = random.Random()  # noqa: S311 - test data, not security
        deadline = time.perf_counter() + seconds
        started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)

        async def one_client() -> None:
            while time.perf_counter() < deadline:
                request = ctx.ProcessCallRequest(
                    user_id=f"+1555{rng.randrange(200):07d}",
                    call_id=f"bench-{secrets.token_hex(8)}",
                    turns=rng.choice(calls),
                )
                request.started_at.FromDatetime(started)
                began = time.perf_counter()
                try:
                    await self.stub.ProcessCall(request, metadata=self.metadata, timeout=30)
                except grpc.aio.AioRpcError as exc:
                    if measure:
                        self.errors += 1
                        print(f"{self.name}: {exc.code().name} {exc.details()}", file=sys.stderr)
                    continue
                if measure:
                    self.latencies.append((time.perf_counter() - began) * 1000)
                    self.calls += 1

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        if measure:
            self.seconds += time.perf_counter() - began


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(args: argparse.Namespace) -> int:
    calls = synthetic_calls() if args.calls == "synthetic" else load_calls()
    sides = [
        Side("before", args.before, args.database_url, args.workers),
        Side("after", args.after, args.database_url, args.workers),
    ]
    try:
        for side in sides:
            await side.start()
            print(f"{side.name}: {side.checkout} at {side.revision()}", file=sys.stderr)
        for side in sides:  # warm-up: models loaded, pools and caches filled
            await side.phase(calls, args.concurrency, 3, measure=False)
        for round_ in range(args.rounds):
            for side in sides if round_ % 2 == 0 else reversed(sides):
                await side.phase(calls, args.concurrency, args.duration, measure=True)
                print(f"round {round_ + 1}: {side.name} done", file=sys.stderr)
    finally:
        for side in sides:
            await side.stop()
    turns = [len(c) for c in calls]
    print(
        f"ProcessCall, concurrency {args.concurrency}, {args.rounds} rounds x {args.duration:g} s "
        f"per side, interleaved; {len(calls)} {args.calls} calls of {min(turns)}-{max(turns)} "
        f"turns (median {statistics.median(turns):g}); ALICE_WORKERS={args.workers}; "
        f"{os.cpu_count()} cores"
    )
    print("| side | revision | calls | errors | RPC/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|")
    figures = {}
    for side in sides:
        if not side.latencies:
            print(f"| {side.name} | {side.revision()} | 0 | {side.errors} | - | - | - | - |")
            continue
        rate = side.calls / side.seconds
        p50, p95, p99 = (percentile(side.latencies, q) for q in (0.5, 0.95, 0.99))
        figures[side.name] = (rate, p50, p95, p99)
        print(
            f"| {side.name} | {side.revision()} | {side.calls} | {side.errors} | {rate:,.0f} "
            f"| {p50:.1f} | {p95:.1f} | {p99:.1f} |"
        )
    if len(figures) == 2:
        (r0, a0, b0, c0), (r1, a1, b1, c1) = figures["before"], figures["after"]
        print(
            f"after / before: RPC/s {r1 / r0:.2f}, p50 {a1 / a0:.2f}, p95 {b1 / b0:.2f}, "
            f"p99 {c1 / c0:.2f} (p99 {100 * (c1 / c0 - 1):+.0f}%)"
        )
    return 1 if any(side.errors for side in sides) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="checkout of the older version")
    parser.add_argument("--after", default=str(ROOT), help="checkout of the newer (this one)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "ALICE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a superuser URL",
    )
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per phase")
    parser.add_argument("--workers", type=int, default=1, help="ALICE_WORKERS of both servers")
    parser.add_argument(
        "--calls",
        choices=("labelled", "synthetic"),
        default="labelled",
        help="data/eval/calls.jsonl (default) or bench_server.py's load-test transcripts",
    )
    args = parser.parse_args()
    args.before, args.after = Path(args.before).resolve(), Path(args.after).resolve()
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
