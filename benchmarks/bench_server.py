#!/usr/bin/env python3
"""Alice benchmark: hot-path latency, a 10-tenant load test, JWT cost, memory.

Prints figures; asserts nothing about speed (the project's rule: speed targets are
checked by a benchmark that prints figures, never by timed assertions in tests).
The exit status is non-zero only for correctness failures seen on the way: RPC
errors, unexpected responses or tenant-isolation mismatches.

What it does, in one run (see benchmarks/README.md for the meaning of every figure):

1. creates a throw-away migrated database with its own service role
   (alice_server.testing.temporary_database) and 10 tenants "Tenant 1".."Tenant 10";
2. starts the real `alice-server` as a separate process on a free port
   (ALICE_RATE_LIMIT_PER_SECOND=0), and seeds it over gRPC: per tenant, one
   returning caller with 20 processed calls and 30 memories (20 own, 5 running
   transcripts of type thread_recap, 5 shared), plus background callers;
3. measures GetEnrichedContext (returning and new caller; sequential and at
   --concurrency) over real gRPC;
4. measures TokenVerifier.verify;
5. runs the load test (per simulated phone call: GetEnrichedContext, 3x StoreMemory,
   SearchMemories, ProcessCall) from --concurrency workers spread over the tenants,
   then checks that every tenant sees exactly its own data;
6. reads the server process's peak and current RSS before and after the load.

Everything it creates (database, role, server process) is removed at the end, also
on failure, Ctrl-C or SIGTERM.

    python benchmarks/bench_server.py [--database-url URL] [--duration S | --calls N]
                                      [--concurrency N] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import itertools
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import grpc
from google.protobuf import struct_pb2, timestamp_pb2

from alice_server.auth import TokenVerifier, mint_token
from alice_server.testing import temporary_database
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LISTENING = re.compile(r"Alice listening on [\d.]+:(\d+)")
RPC_TIMEOUT = 30.0  # seconds; a deadline on every RPC so that nothing can hang
Metadata = tuple[tuple[str, str], ...]

# Fictional caller numbers (+1 555 ...). The pool numbers are the same for every
# tenant on purpose: one person calls several businesses, and each must see only
# its own record of them.
POOL_BASE = 1_000_000  # +1555100xxxx: every tenant's regular callers
NEW_BASE = 2_000_000  # +15552tnnnnn: callers first seen during the load, unique per tenant
PROBE_BASE = 9_000_000  # +15559nnnnnn: numbers never stored (the "new caller" probes)
MAX_TENANTS = 50  # NEW_BASE + 50 * 100_000 stays below the probe numbers


def phone(number: int) -> str:
    return f"+1555{number:07d}"


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Stats:
    count: int
    mean: float
    p50: float
    p90: float
    p99: float
    max: float

    @staticmethod
    def of(values: Iterable[float]) -> Stats:
        data = sorted(values)
        if not data:
            nan = math.nan
            return Stats(0, nan, nan, nan, nan, nan)
        return Stats(
            len(data),
            statistics.fmean(data),
            percentile(data, 50),
            percentile(data, 90),
            percentile(data, 99),
            data[-1],
        )

    def as_dict(self) -> dict[str, float | int]:
        return {
            "count": self.count,
            "mean_ms": round(self.mean, 4),
            "p50_ms": round(self.p50, 4),
            "p90_ms": round(self.p90, 4),
            "p99_ms": round(self.p99, 4),
            "max_ms": round(self.max, 4),
        }


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


# --------------------------------------------------------------------------- output


def out(text: str = "") -> None:
    print(text, flush=True)


def progress(text: str) -> None:
    print(f"  .. {text}", file=sys.stderr, flush=True)


def fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.2f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        first = values[0].ljust(widths[0])
        rest = (v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in cells)])


def section(title: str) -> None:
    out()
    out(f"== {title}")


STATS_HEADERS = ("count", "p50 ms", "p90 ms", "p99 ms", "max ms")


def stats_row(name: str, s: Stats, *extra: object) -> list[object]:
    return [name, s.count, s.p50, s.p90, s.p99, s.max, *extra]


# --------------------------------------------------------------------------- test data

FIRST_NAMES = ("Jordan", "Alex", "Morgan", "Casey", "Riley", "Taylor", "Jamie", "Avery")

# (caller, agent) exchanges; {name} is the caller's first name, {n} a number.
SCENARIOS: tuple[tuple[str, ...], ...] = (
    (
        "Hi, this is {name}. I need to add my daughter to my auto policy, she just got "
        "her license.",
        "Congratulations to her! What is her date of birth?",
        "March 3rd, 2008. How much will the premium go up?",
        "Let me check. It will be about {n} dollars more per month.",
        "That is more than I expected, but okay, please go ahead.",
        "Done. The updated documents will arrive by email today.",
        "Great, thank you so much, that was quick.",
        "You're welcome. Is there anything else I can help with?",
        "No, that's all. Have a nice day.",
    ),
    (
        "Hello, my name is {name}. I was charged twice for my policy this month and I am "
        "really frustrated.",
        "I'm sorry about that. Can you confirm the last four digits of the card?",
        "It ends in {n}. This is the second time this happened!",
        "I see both charges. I will refund the duplicate right away.",
        "How long will that take? I need the money back before Friday.",
        "Refunds usually take three to five business days.",
        "Fine. Please make sure it does not happen again.",
        "I've added a note to your account to prevent it.",
    ),
    (
        "Hi, it's {name}. A rock cracked my windshield on the highway this morning.",
        "Oh no, is everyone okay?",
        "Yes, we're fine, but I need it fixed soon because I drive for work.",
        "Your comprehensive coverage includes glass. The deductible is {n} dollars.",
        "Okay. Can someone come to my office tomorrow?",
        "I can book a mobile repair for tomorrow between nine and noon.",
        "Perfect, please book it. Thank you.",
        "Booked. You'll get a confirmation text shortly.",
    ),
    (
        "Good afternoon, this is {name}. I'm moving next month and need to update my address.",
        "Of course. What is the new address?",
        "It's {n} Oak Street, apartment 4B. Will my rate change?",
        "It might change slightly; the new area has a different rating.",
        "Could you tell me the new rate before I confirm?",
        "It will go down by about eight dollars a month.",
        "Oh, that's good news. Please update it effective the first.",
        "Done. Anything else?",
        "No, thanks for your help.",
    ),
    (
        "Hi, {name} here. I'd like a quote for renters insurance for my new place.",
        "Happy to help. How much is your personal property worth, roughly?",
        "Maybe {n} thousand dollars, mostly electronics and furniture.",
        "Would you like to bundle it with your auto policy for a discount?",
        "Yes, if it's cheaper. What would the total be?",
        "With the bundle discount it would be about fourteen dollars a month.",
        "Sounds reasonable. Can you email me the details?",
        "Sent. You can sign online whenever you're ready.",
    ),
    (
        "Hello, it's {name} again. I need to reschedule my appointment on Thursday.",
        "No problem. When would suit you better?",
        "Any morning next week, ideally Tuesday at {n}.",
        "Tuesday at {n} works. I've moved it.",
        "Thanks. Also, can you remind me what documents I should bring?",
        "Your driver's license and the vehicle registration.",
        "Got it. Thank you, bye.",
    ),
)

# The returning caller's own memories: (type, key, text).
OWN_MEMORIES: tuple[tuple[str, str, str], ...] = (
    ("person", "name", "Prefers to be called by first name"),
    ("person", "spouse", "Spouse is also on the auto policy"),
    ("person", "daughter", "Daughter, 17, newly licensed driver"),
    ("person", "occupation", "Works as a field technician, drives for work"),
    ("preference", "contact_time", "Mornings before 10, never after 6 pm"),
    ("preference", "channel", "Text message for confirmations, email for documents"),
    ("preference", "language", "English"),
    ("preference", "payment", "Autopay on the first of the month"),
    ("fact", "vehicle", "2019 blue hatchback, about 40,000 miles"),
    ("fact", "vehicle_2", "2015 pickup truck, mostly weekends"),
    ("fact", "address_city", "Springfield, moving next month"),
    ("fact", "policy_renewal", "Auto policy renews on June 1"),
    ("fact", "deductible", "Comprehensive deductible 250 dollars"),
    ("fact", "home", "Rents an apartment, interested in renters insurance"),
    ("fact", "discounts", "Has the safe-driver and paperless discounts"),
    ("moment", "last_claim", "Windshield chip repaired in March"),
    ("moment", "complaint", "Was double-charged in January, refund took a week"),
    ("moment", "praise", "Thanked the agent for the quick glass repair booking"),
    ("rule", "verify_identity", "Always confirm the last four digits of the card"),
    ("fact", "pet", "Has a dog, asked about pet coverage once"),
)
SHARED_MEMORIES: tuple[tuple[str, str, str], ...] = (
    ("admin_setting", "office_hours", "Monday to Friday 8:30 to 17:30, Saturday 9 to 12"),
    ("admin_setting", "agent_tone", "Friendly, short answers, confirm every change"),
    ("rule", "escalation", "Transfer claims above 5,000 dollars to a human adjuster"),
    ("rule", "no_binding_quotes", "Quotes by phone are estimates until signed"),
    ("fact", "office_address", "123 Main Street, Springfield"),
)
TRANSCRIPTS = 5  # thread_recap memories of the returning caller
SEED_CALLS = 20  # processed calls of the returning caller
BACKGROUND_CALLS = 2  # processed calls of every other pool caller
BACKGROUND_MEMORIES = 4  # memories of every other pool caller

# StoreMemory keys used during the load (3 of them per simulated phone call).
LOAD_KEYS: tuple[tuple[str, str], ...] = (
    ("preference", "contact_time"),
    ("fact", "vehicle"),
    ("moment", "last_request"),
    ("thread_recap", "current_call"),
    ("person", "name"),
)
SEARCHES = (
    "best time to call",
    "windshield repair deductible",
    "daughter driver license",
    "refund double charge",
    "renters insurance quote",
)


def struct(**values: Any) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def stamp(value: dt.datetime) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(value)
    return message


def transcript(rng: random.Random, name: str) -> list[res.Turn]:
    lines = rng.choice(SCENARIOS)
    number = str(rng.randint(10, 99))
    return [
        res.Turn(
            role=res.ROLE_CALLER if i % 2 == 0 else res.ROLE_AGENT,
            content=text.format(name=name, n=number),
        )
        for i, text in enumerate(lines)
    ]


def recap_text(rng: random.Random, name: str) -> str:
    turns = transcript(rng, name)
    who = {res.ROLE_CALLER: "Caller", res.ROLE_AGENT: "Agent"}
    return "\n".join(f"{who[t.role]}: {t.content}" for t in turns)


# --------------------------------------------------------------------------- tenants


@dataclass
class Tenant:
    """A customer of the benchmark database, its token and what it is expected to hold."""

    index: int  # 1-based
    id: int
    name: str
    metadata: Metadata
    callers: list[str] = field(default_factory=list)  # every caller used, pool first
    memories: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    calls: Counter[str] = field(default_factory=Counter)
    shared: set[tuple[str, str]] = field(default_factory=set)
    new_callers: int = 0

    @property
    def returning(self) -> str:
        return self.callers[0]

    def next_new_caller(self) -> str:
        self.new_callers += 1
        number = phone(NEW_BASE + self.index * 100_000 + self.new_callers)
        self.callers.append(number)
        return number


async def create_tenants(owner_url: str, count: int, secret: str, pool: int) -> list[Tenant]:
    connection = await asyncpg.connect(owner_url)
    tenants = []
    try:
        for index in range(1, count + 1):
            name = f"Tenant {index}"
            customer_id = int(
                await connection.fetchval(
                    "INSERT INTO customers (business_name, agent_name) VALUES ($1, $2) "
                    "RETURNING id",
                    name,
                    f"Agent {index}",
                )
            )
            token = mint_token(secret, customer_id, ttl_seconds=3 * 3600)
            tenant = Tenant(index, customer_id, name, (("authorization", f"Bearer {token}"),))
            tenant.callers = [phone(POOL_BASE + i) for i in range(pool)]
            tenants.append(tenant)
    finally:
        await connection.close()
    return tenants


# --------------------------------------------------------------------------- RPC plumbing


class Stubs:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.memories = memory_service_pb2_grpc.MemoryServiceStub(channel)  # type: ignore[no-untyped-call]
        self.contexts = context_service_pb2_grpc.ContextServiceStub(channel)  # type: ignore[no-untyped-call]


@dataclass
class Recorder:
    """Latency (ms) of successful RPCs and status codes of failed ones, by RPC name."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    error_samples: list[str] = field(default_factory=list)

    async def call(self, name: str, rpc: Callable[[], Awaitable[Any]]) -> Any | None:
        started = time.perf_counter()
        try:
            response = await rpc()
        except grpc.aio.AioRpcError as exc:
            self.errors[name][exc.code().name] += 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{name}: {exc.code().name}: {exc.details()}")
            return None
        self.latencies[name].append((time.perf_counter() - started) * 1000)
        return response

    @property
    def total_errors(self) -> int:
        return sum(sum(c.values()) for c in self.errors.values())

    @property
    def total_ok(self) -> int:
        return sum(len(v) for v in self.latencies.values())


async def must(call: Awaitable[Any], what: str) -> Any:
    """An RPC of the set-up or the checks: a failure stops the benchmark."""
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        raise BenchmarkError(f"{what} failed: {exc.code().name}: {exc.details()}") from None


class BenchmarkError(RuntimeError):
    pass


# --------------------------------------------------------------------------- the server process


@dataclass
class ServerProcess:
    process: asyncio.subprocess.Process
    port: int
    log: list[str]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def _server_script() -> str:
    local = Path(sys.executable).parent / "alice-server"
    found = str(local) if local.exists() else shutil.which("alice-server")
    if not found:
        raise BenchmarkError("alice-server is not installed (pip install -e . in the venv)")
    return found


@asynccontextmanager
async def server_process(app_url: str, secret: str) -> AsyncIterator[ServerProcess]:
    """`alice-server` in a process (and session) of its own; SIGTERM, then SIGKILL, at the end."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ALICE_") and k not in ("DATABASE_URL", "JWT_SECRET_KEY")
    }
    env.update(
        DATABASE_URL=app_url,
        JWT_SECRET_KEY=secret,
        ALICE_RATE_LIMIT_PER_SECOND="0",
        ALICE_SHUTDOWN_GRACE_SECONDS="2",
        ALICE_LOG_LEVEL="INFO",
    )
    # A session of its own: a Ctrl-C in the terminal reaches only the benchmark,
    # which then stops the server itself (and waits for it) before dropping the database.
    process = await asyncio.create_subprocess_exec(
        _server_script(),
        "--listen",
        "127.0.0.1:0",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    log: list[str] = []
    drainer: asyncio.Task[None] | None = None
    try:
        assert process.stderr is not None
        stderr = process.stderr
        port = None
        deadline = time.monotonic() + 60
        while port is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BenchmarkError("alice-server did not start within 60 s:\n" + "".join(log))
            line = (await asyncio.wait_for(stderr.readline(), remaining)).decode()
            if not line:
                raise BenchmarkError("alice-server exited early:\n" + "".join(log))
            log.append(line)
            match = LISTENING.search(line)
            port = int(match.group(1)) if match else None

        async def drain() -> None:
            while line := await stderr.readline():
                log.append(line.decode())

        drainer = asyncio.create_task(drain())
        yield ServerProcess(process, port, log)
    finally:
        if process.returncode is None:
            with suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                with suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if drainer is not None:
            with suppress(asyncio.CancelledError):
                await asyncio.wait_for(drainer, 5)


def memory_of(pid: int) -> dict[str, float]:
    """VmHWM (peak resident set) and VmRSS of a process, in MiB."""
    figures: dict[str, float] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return figures
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            figures[name] = round(int(rest.split()[0]) / 1024, 1)
    return figures


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (/proc/<pid>/stat), in seconds."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # fields[0] is field 3 (state)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_name(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


@dataclass(frozen=True)
class CpuUsage:
    """CPU seconds spent during `wall` seconds, per party; None where it cannot be read."""

    wall: float
    server: float | None
    postgres: float | None
    client: float

    def share(self, seconds: float | None) -> float:
        """As a fraction of one core."""
        return seconds / self.wall if seconds is not None and self.wall else math.nan

    def server_ms_per(self, rpcs: int) -> float:
        return self.server / rpcs * 1000 if self.server is not None and rpcs else math.nan

    def as_dict(self) -> dict[str, float | None]:
        return {
            "wall_s": round(self.wall, 3),
            "server_cpu_s": None if self.server is None else round(self.server, 3),
            "postgres_cpu_s": None if self.postgres is None else round(self.postgres, 3),
            "client_cpu_s": round(self.client, 3),
        }


@dataclass(frozen=True)
class CpuSnapshot:
    at: float
    server: float | None
    postgres: dict[int, float]
    client: float


class CpuMeter:
    """CPU time of the server process, of the PostgreSQL backends serving the benchmark's
    database (only when PostgreSQL runs on this machine) and of the benchmark itself."""

    def __init__(self, connection: asyncpg.Connection, database: str, server_pid: int) -> None:
        self._connection = connection
        self._database = database
        self._server_pid = server_pid

    async def snapshot(self) -> CpuSnapshot:
        pids = await self._connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", self._database
        )
        backends = {}
        for row in pids:
            pid = int(row["pid"])
            if process_name(pid) not in ("postgres", None):
                continue
            seconds = cpu_seconds(pid)
            if seconds is not None:
                backends[pid] = seconds
        return CpuSnapshot(
            time.perf_counter(), cpu_seconds(self._server_pid), backends, time.process_time()
        )

    async def since(self, start: CpuSnapshot) -> CpuUsage:
        end = await self.snapshot()
        server = None
        if end.server is not None and start.server is not None:
            server = end.server - start.server
        # A backend that appeared in between (pool overflow) counts from zero.
        postgres = sum(end.postgres[p] - start.postgres.get(p, 0.0) for p in end.postgres)
        return CpuUsage(
            end.at - start.at, server, postgres if end.postgres else None, end.client - start.client
        )


@asynccontextmanager
async def cpu_meter(
    superuser_url: str, database: str, server_pid: int
) -> AsyncIterator[CpuMeter | None]:
    host = urlsplit(superuser_url).hostname
    if host not in (None, "", "localhost", "127.0.0.1", "::1"):
        yield None  # the backends' pids would not be processes of this machine
        return
    connection = await asyncpg.connect(superuser_url)
    try:
        yield CpuMeter(connection, database, server_pid)
    finally:
        await connection.close()


async def metered(meter: CpuMeter | None, work: Awaitable[Any]) -> tuple[Any, CpuUsage | None]:
    start = await meter.snapshot() if meter else None
    result = await work
    usage = await meter.since(start) if meter and start else None
    return result, usage


def cpu_columns(usage: CpuUsage | None) -> list[object]:
    if usage is None:
        return [math.nan, math.nan, math.nan]
    return [
        f"{usage.share(usage.server):.0%}",
        f"{usage.share(usage.postgres):.0%}",
        f"{usage.share(usage.client):.0%}",
    ]


CPU_HEADERS = ("server CPU", "PG CPU", "client CPU")


# --------------------------------------------------------------------------- seeding


async def seed_tenant(stubs: Stubs, tenant: Tenant, rng: random.Random) -> int:
    """The returning caller's 20 calls and 30 memories, the background callers, shared memories."""
    md = tenant.metadata
    rpcs = 0
    now = dt.datetime.now(dt.UTC)

    async def process_call(user_id: str, call_id: str, days_ago: float, name: str) -> None:
        started = now - dt.timedelta(days=days_ago)
        request = ctx.ProcessCallRequest(
            user_id=user_id,
            call_id=call_id,
            turns=transcript(rng, name),
            started_at=stamp(started),
            ended_at=stamp(started + dt.timedelta(minutes=rng.randint(2, 9))),
        )
        await must(
            stubs.contexts.ProcessCall(request, metadata=md, timeout=RPC_TIMEOUT), "ProcessCall"
        )
        tenant.calls[user_id] += 1

    async def store(user_id: str, kind: str, key: str, value: dict[str, Any]) -> None:
        scope = res.SCOPE_SHARED if not user_id else res.SCOPE_USER
        request = mem.StoreMemoryRequest(
            user_id=user_id,
            scope=scope,
            type=kind,
            key=key,
            value=struct(tenant=tenant.name, **value),
            source="benchmark",
        )
        await must(
            stubs.memories.StoreMemory(request, metadata=md, timeout=RPC_TIMEOUT), "StoreMemory"
        )
        if user_id:
            tenant.memories[user_id].add((kind, key))
        else:
            tenant.shared.add((kind, key))

    returning = tenant.returning
    name = FIRST_NAMES[tenant.index % len(FIRST_NAMES)]
    for i in range(SEED_CALLS):
        await process_call(returning, f"seed-{returning}-{i:03d}", 3 * (SEED_CALLS - i), name)
        rpcs += 1
    for kind, key, text in OWN_MEMORIES:
        await store(returning, kind, key, {"text": text})
        rpcs += 1
    for i in range(TRANSCRIPTS):
        recap = recap_text(rng, name)
        await store(returning, "thread_recap", f"call-{i:03d}", {"transcript": recap})
        rpcs += 1
    for kind, key, text in SHARED_MEMORIES:
        await store("", kind, key, {"text": text})
        rpcs += 1
    for number in tenant.callers[1:]:
        caller_name = rng.choice(FIRST_NAMES)
        for i in range(BACKGROUND_CALLS):
            await process_call(number, f"seed-{number}-{i:03d}", rng.uniform(1, 90), caller_name)
            rpcs += 1
        for kind, key, text in OWN_MEMORIES[:BACKGROUND_MEMORIES]:
            await store(number, kind, key, {"text": text})
            rpcs += 1
    return rpcs


# --------------------------------------------------------------------------- 1. hot path


@dataclass
class Series:
    latencies: list[float]
    errors: Counter[str]
    unexpected: int
    elapsed: float
    cpu: CpuUsage | None = None

    @property
    def stats(self) -> Stats:
        return Stats.of(self.latencies)


async def run_series(
    total: int, concurrency: int, one: Callable[[int, int], Awaitable[tuple[float, bool]]]
) -> Series:
    """`total` calls of `one(worker, i)` from `concurrency` workers.

    `one` returns (milliseconds, whether the response was as expected)."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    unexpected = 0
    counter = itertools.count()

    async def worker(w: int) -> None:
        nonlocal unexpected
        while (i := next(counter)) < total:
            try:
                ms, ok = await one(w, i)
            except grpc.aio.AioRpcError as exc:
                errors[exc.code().name] += 1
                continue
            latencies.append(ms)
            unexpected += not ok

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return Series(latencies, errors, unexpected, time.perf_counter() - started)


def context_call(
    stubs: Stubs, tenants: Sequence[Tenant], returning: bool, probe: Iterable[int]
) -> Callable[[int, int], Awaitable[tuple[float, bool]]]:
    probes = iter(probe)

    async def one(w: int, i: int) -> tuple[float, bool]:
        tenant = tenants[w % len(tenants)]
        user_id = tenant.returning if returning else phone(PROBE_BASE + next(probes))
        request = ctx.GetEnrichedContextRequest(user_id=user_id)
        started = time.perf_counter()
        response = await stubs.contexts.GetEnrichedContext(
            request, metadata=tenant.metadata, timeout=RPC_TIMEOUT
        )
        ms = (time.perf_counter() - started) * 1000
        if returning:
            ok = (
                not response.is_new_caller
                and len(response.summaries) == 5
                and len(response.memories) == 10
                and response.profile.total_calls >= SEED_CALLS
                and all(m.type != "thread_recap" for m in response.memories)
            )
        else:
            # A new caller gets the tenant's shared memories only.
            ok = (
                response.is_new_caller
                and not response.summaries
                and all(not m.user_id for m in response.memories)
            )
        return ms, ok

    return one


async def measure_hot_path(
    stubs: Stubs,
    address: str,
    tenants: Sequence[Tenant],
    samples: int,
    concurrency: int,
    meter: CpuMeter | None,
) -> dict[str, Any]:
    probes = itertools.count()
    results: dict[str, Series] = {}
    for returning in (True, False):
        kind = "returning" if returning else "new"
        one = context_call(stubs, tenants, returning, probes)
        # Warm-up (not measured): pooled connections, prepared statements, every
        # tenant's customer check.
        await run_series(max(20, 2 * concurrency), concurrency, one)
        for workers, key in ((1, "sequential"), (concurrency, "concurrent")):
            progress(f"GetEnrichedContext, {kind} caller, {workers} at a time x{samples}")
            series, usage = await metered(meter, run_series(samples, workers, one))
            series.cpu = usage
            results[f"{kind}_{key}"] = series

    # A cold call start: a new channel (TCP + HTTP/2 set-up) and its first RPC.
    cold: list[float] = []
    tenant = tenants[0]
    for _ in range(20):
        started = time.perf_counter()
        async with grpc.aio.insecure_channel(address) as channel:
            await must(
                Stubs(channel).contexts.GetEnrichedContext(
                    ctx.GetEnrichedContextRequest(user_id=tenant.returning),
                    metadata=tenant.metadata,
                    timeout=RPC_TIMEOUT,
                ),
                "GetEnrichedContext",
            )
        cold.append((time.perf_counter() - started) * 1000)

    labels = {
        "returning_sequential": "returning caller, sequential",
        "returning_concurrent": f"returning caller, concurrency {concurrency}",
        "new_sequential": "new caller, sequential",
        "new_concurrent": f"new caller, concurrency {concurrency}",
    }
    rows = []
    figures: dict[str, Any] = {}
    for key, series in results.items():
        s = series.stats
        rate = len(series.latencies) / series.elapsed if series.elapsed else math.nan
        errors = sum(series.errors.values())
        rows.append(
            stats_row(labels[key], s, rate, errors + series.unexpected, *cpu_columns(series.cpu))
        )
        figures[key] = {
            **s.as_dict(),
            "rpc_per_second": round(rate, 1),
            "errors": dict(series.errors),
            "unexpected_responses": series.unexpected,
            "cpu": series.cpu.as_dict() if series.cpu else None,
            "server_cpu_ms_per_rpc": (
                round(series.cpu.server_ms_per(len(series.latencies)), 3) if series.cpu else None
            ),
        }
    cold_stats = Stats.of(cold)
    rows.append(
        stats_row("cold start: new channel + 1st RPC", cold_stats, math.nan, 0, *cpu_columns(None))
    )
    figures["cold_new_channel"] = cold_stats.as_dict()
    out(table(("GetEnrichedContext", *STATS_HEADERS, "RPC/s", "errors", *CPU_HEADERS), rows))
    out(
        "  returning caller: 20 processed calls, 30 memories (20 own, 5 thread_recap, 5 shared);"
        " response checked: 5 summaries, 10 memories, no thread_recap."
    )
    out(
        f"  concurrency {concurrency}: worker i uses tenant i mod {len(tenants)} and its returning"
        " caller; new caller: a never-seen number per request."
    )
    out(
        "  CPU columns: CPU time during the series as a share of one core (server process,"
        " PostgreSQL backends of the benchmark database, this benchmark process as the client)."
    )
    per_rpc = ", ".join(
        f"{labels[k]} {v['server_cpu_ms_per_rpc']:.2f}"
        for k, v in figures.items()
        if k in labels and v["server_cpu_ms_per_rpc"] is not None
    )
    if per_rpc:
        out(f"  server CPU ms per RPC: {per_rpc}")
    return figures


# --------------------------------------------------------------------------- 2. JWT


def measure_jwt(secret: str, customer_id: int, iterations: int) -> dict[str, float]:
    verifier = TokenVerifier(secret)
    token = mint_token(secret, customer_id)
    header = [f"Bearer {token}"]
    for _ in range(200):
        verifier.verify(token)
    figures: dict[str, float] = {}
    runs: list[tuple[str, Callable[[], object]]] = [
        ("verify", lambda: verifier.verify(token)),
        ("verify_header", lambda: verifier.verify_header(header)),
    ]
    for name, run in runs:
        started = time.perf_counter()
        for _ in range(iterations):
            run()
        figures[f"{name}_mean_us"] = (time.perf_counter() - started) / iterations * 1e6
    return figures


# -------------------------------------------------------------------- 4. load test, 5. isolation


@dataclass
class LoadResult:
    recorder: Recorder
    elapsed: float
    phone_calls: int
    new_callers: int
    cpu: CpuUsage | None = None


async def run_load(
    stubs: Stubs,
    tenants: Sequence[Tenant],
    concurrency: int,
    duration: float | None,
    calls: int | None,
    rng: random.Random,
    server_alive: Callable[[], bool],
) -> LoadResult:
    recorder = Recorder()
    counter = itertools.count()
    deadline = time.monotonic() + duration if duration is not None else math.inf
    done = 0
    new_callers = 0

    async def phone_call(w: int, seq: int) -> None:
        nonlocal new_callers
        tenant = tenants[w % len(tenants)]
        md = tenant.metadata
        pool = len(tenant.callers) - tenant.new_callers
        if rng.random() < 0.2:
            user_id = tenant.next_new_caller()
            new_callers += 1
        else:
            user_id = tenant.callers[rng.randrange(pool)]
        name = rng.choice(FIRST_NAMES)
        await recorder.call(
            "GetEnrichedContext",
            lambda: stubs.contexts.GetEnrichedContext(
                ctx.GetEnrichedContextRequest(user_id=user_id), metadata=md, timeout=RPC_TIMEOUT
            ),
        )
        for kind, key in rng.sample(LOAD_KEYS, 3):
            value = struct(tenant=tenant.name, text=f"noted during call {seq}", caller=name)
            request = mem.StoreMemoryRequest(
                user_id=user_id, type=kind, key=key, value=value, source="call"
            )
            stored = await recorder.call(
                "StoreMemory",
                functools.partial(
                    stubs.memories.StoreMemory, request, metadata=md, timeout=RPC_TIMEOUT
                ),
            )
            if stored is not None:
                tenant.memories[user_id].add((kind, key))
        query = rng.choice(SEARCHES)
        await recorder.call(
            "SearchMemories",
            lambda: stubs.memories.SearchMemories(
                mem.SearchMemoriesRequest(user_id=user_id, query=query, include_shared=True),
                metadata=md,
                timeout=RPC_TIMEOUT,
            ),
        )
        call_id = f"load-{tenant.index}-{w}-{seq}"
        processed = await recorder.call(
            "ProcessCall",
            lambda: stubs.contexts.ProcessCall(
                ctx.ProcessCallRequest(
                    user_id=user_id, call_id=call_id, turns=transcript(rng, name)
                ),
                metadata=md,
                timeout=RPC_TIMEOUT,
            ),
        )
        if processed is not None:
            tenant.calls[user_id] += 1

    async def worker(w: int) -> None:
        nonlocal done
        while time.monotonic() < deadline and server_alive():
            seq = next(counter)
            if calls is not None and seq >= calls:
                return
            await phone_call(w, seq)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return LoadResult(recorder, time.perf_counter() - started, done, new_callers)


async def list_all(rpc: Any, request: Any, items: str, md: Metadata) -> list[Any]:
    """Every page of a List RPC (`request` is updated with each next_page_token)."""
    results: list[Any] = []
    while True:
        response = await must(
            rpc(request, metadata=md, timeout=RPC_TIMEOUT), type(request).__name__
        )
        results.extend(getattr(response, items))
        if not response.next_page_token:
            return results
        request.page_token = response.next_page_token


async def verify_isolation(stubs: Stubs, tenants: Sequence[Tenant]) -> tuple[int, int, list[str]]:
    """Every tenant sees exactly its own memories, calls and profiles; returns
    (checks, mismatches, descriptions of the first mismatches)."""
    mismatches: list[str] = []
    checks = 0

    async def check_tenant(tenant: Tenant, other: Tenant) -> None:
        nonlocal checks
        md = tenant.metadata

        def problem(text: str) -> None:
            mismatches.append(f"{tenant.name}: {text}")

        shared = await list_all(
            stubs.memories.ListMemories,
            mem.ListMemoriesRequest(include_shared=True, page_size=500),
            "memories",
            md,
        )
        checks += 1
        if {(m.type, m.key) for m in shared} != tenant.shared:
            problem(f"shared memories: {len(shared)} listed, {len(tenant.shared)} expected")
        for caller in tenant.callers:
            checks += 3
            listed = await list_all(
                stubs.memories.ListMemories,
                mem.ListMemoriesRequest(user_id=caller, page_size=500),
                "memories",
                md,
            )
            # The facts ProcessCall's call notes found (source process_call) are the
            # caller's own too; they carry no "tenant" field, the stored ones do.
            extracted = [m for m in listed if m.source == "process_call"]
            listed = [m for m in listed if m.source != "process_call"]
            foreign = [
                m
                for m in listed
                if m.user_id != caller or m.value.fields["tenant"].string_value != tenant.name
            ] + [m for m in extracted if m.user_id != caller]
            if foreign:
                problem(f"{caller}: {len(foreign)} memories of another caller or tenant")
            if {(m.type, m.key) for m in listed} != tenant.memories[caller]:
                problem(
                    f"{caller}: {len(listed)} memories listed, "
                    f"{len(tenant.memories[caller])} expected"
                )
            summaries = await list_all(
                stubs.contexts.ListCallSummaries,
                ctx.ListCallSummariesRequest(user_id=caller, page_size=500),
                "summaries",
                md,
            )
            if len(summaries) != tenant.calls[caller]:
                problem(
                    f"{caller}: {len(summaries)} call summaries, {tenant.calls[caller]} expected"
                )
            try:
                profile = await stubs.contexts.GetCallerProfile(
                    ctx.GetCallerProfileRequest(user_id=caller), metadata=md, timeout=RPC_TIMEOUT
                )
                total = profile.profile.total_calls
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                total = 0
            if total != tenant.calls[caller]:
                problem(f"{caller}: profile says {total} calls, {tenant.calls[caller]} expected")
        # Probes: callers only the other tenant has must be unknown here.
        for caller in other.callers[len(other.callers) - other.new_callers :][:5]:
            checks += 2
            listed = await must(
                stubs.memories.ListMemories(
                    mem.ListMemoriesRequest(user_id=caller, include_shared=False),
                    metadata=md,
                    timeout=RPC_TIMEOUT,
                ),
                "ListMemories",
            )
            context = await must(
                stubs.contexts.GetEnrichedContext(
                    ctx.GetEnrichedContextRequest(user_id=caller), metadata=md, timeout=RPC_TIMEOUT
                ),
                "GetEnrichedContext",
            )
            if listed.memories or not context.is_new_caller or context.summaries:
                problem(f"sees {other.name}'s caller {caller}")

    await asyncio.gather(
        *(check_tenant(t, tenants[(i + 1) % len(tenants)]) for i, t in enumerate(tenants))
    )
    return checks, len(mismatches), mismatches


def report_load(load: LoadResult, concurrency: int, tenants: int) -> dict[str, Any]:
    recorder = load.recorder
    total = recorder.total_ok + recorder.total_errors
    rate = total / load.elapsed if load.elapsed else math.nan
    rows = []
    figures: dict[str, Any] = {"per_rpc": {}}
    for name in ("GetEnrichedContext", "StoreMemory", "SearchMemories", "ProcessCall"):
        s = Stats.of(recorder.latencies.get(name, []))
        errors = recorder.errors.get(name, Counter())
        rows.append(stats_row(name, s, sum(errors.values())))
        figures["per_rpc"][name] = {**s.as_dict(), "errors": dict(errors)}
    all_stats = Stats.of(v for values in recorder.latencies.values() for v in values)
    rows.append(stats_row("all RPCs", all_stats, recorder.total_errors))
    out(
        f"{tenants} tenants, {concurrency} concurrent workers (worker i -> tenant i mod "
        f"{tenants}), {load.phone_calls} simulated phone calls in {load.elapsed:.1f} s "
        f"({load.new_callers} by new callers)"
    )
    out(table(("RPC", *STATS_HEADERS, "errors"), rows))
    codes: Counter[str] = Counter()
    for errors in recorder.errors.values():
        codes.update(errors)
    out(
        f"total RPCs {total}, throughput {rate:.1f} RPC/s "
        f"({load.phone_calls / load.elapsed:.1f} phone calls/s); errors by status code: "
        + (", ".join(f"{c} {n}" for c, n in sorted(codes.items())) or "none")
    )
    for sample in recorder.error_samples:
        out(f"  error: {sample}")
    if load.cpu is not None:
        cpu = load.cpu

        def share(seconds: float | None) -> str:
            if seconds is None:
                return "unknown"
            return f"{seconds:.2f} s = {cpu.share(seconds):.0%} of one core"

        out(
            f"CPU during the load ({cpu.wall:.1f} s wall, {os.cpu_count()} cores): server process "
            f"{share(cpu.server)} ({fmt(cpu.server_ms_per(total))} ms per RPC); PostgreSQL "
            f"backends {share(cpu.postgres)}; benchmark client {share(cpu.client)}"
        )
        figures["cpu"] = {
            **cpu.as_dict(),
            "server_cpu_ms_per_rpc": round(cpu.server_ms_per(total), 3),
        }
    figures.update(
        {
            "tenants": tenants,
            "concurrency": concurrency,
            "elapsed_s": round(load.elapsed, 2),
            "phone_calls": load.phone_calls,
            "new_callers": load.new_callers,
            "total_rpcs": total,
            "rpc_per_second": round(rate, 1),
            "phone_calls_per_second": round(load.phone_calls / load.elapsed, 2),
            "errors_by_code": dict(codes),
            "all": all_stats.as_dict(),
        }
    )
    return figures


# --------------------------------------------------------------------------- main


async def postgres_version(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


async def leftovers(superuser_url: str, database: str, role: str) -> list[str]:
    connection = await asyncpg.connect(superuser_url)
    try:
        found = []
        if await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            found.append(f"database {database}")
        if await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
            found.append(f"role {role}")
        return found
    finally:
        await connection.close()


def version_of(package: str) -> str:
    try:
        return importlib_metadata.version(package)
    except importlib_metadata.PackageNotFoundError:
        return "?"


async def benchmark(args: argparse.Namespace, figures: dict[str, Any]) -> int:
    started = time.perf_counter()
    rng = random.Random(args.seed)  # noqa: S311 - test data, not security
    secret = secrets.token_urlsafe(48)
    pg_version = await postgres_version(args.database_url)
    load_mode = f"{args.calls} phone calls" if args.calls else f"{args.duration:g} s"
    out(f"Alice benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    out(
        f"machine: {platform.node()}, {os.cpu_count()} CPUs, Linux {platform.release()}; "
        f"Python {platform.python_version()}, grpcio {version_of('grpcio')}, "
        f"SQLAlchemy {version_of('sqlalchemy')}, asyncpg {version_of('asyncpg')}, "
        f"PostgreSQL {pg_version}"
    )
    out(
        "setup: alice-server in a separate process (own event loop) on 127.0.0.1:<free port>, "
        "DATABASE_URL = the service role of a fresh migrated database, pool 10 (+10 overflow), "
        "ALICE_RATE_LIMIT_PER_SECOND=0; client: one grpc.aio channel in the benchmark process."
    )
    out(
        f"options: tenants {args.tenants}, callers per tenant {args.callers}, concurrency "
        f"{args.concurrency}, samples {args.samples}, load {load_mode}, seed {args.seed}"
    )
    figures["setup"] = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "server": "alice-server subprocess, pool 10, rate limit off",
        "tenants": args.tenants,
        "callers_per_tenant": args.callers,
        "concurrency": args.concurrency,
        "samples": args.samples,
        "load": load_mode,
        "command": " ".join(["python", *sys.argv]),
    }
    failures = 0
    progress("creating and migrating a temporary database")
    async with temporary_database(args.database_url) as db:
        database_name = urlsplit(db.owner_url).path.lstrip("/")
        figures["_cleanup"] = (database_name, db.app_role)
        tenants = await create_tenants(db.owner_url, args.tenants, secret, args.callers)
        progress("starting alice-server")
        async with server_process(db.app_url, secret) as server:
            memory: dict[str, dict[str, float]] = {"idle": memory_of(server.pid)}
            async with (
                cpu_meter(args.database_url, database_name, server.pid) as meter,
                grpc.aio.insecure_channel(server.address) as channel,
            ):
                await asyncio.wait_for(channel.channel_ready(), 30)
                stubs = Stubs(channel)
                progress(f"seeding {len(tenants)} tenants over gRPC")
                seed_started = time.perf_counter()
                seeded = await asyncio.gather(*(seed_tenant(stubs, t, rng) for t in tenants))
                seed_s = time.perf_counter() - seed_started
                memory["after_seeding"] = memory_of(server.pid)
                out(
                    f"seeded {sum(seeded)} RPCs in {seed_s:.1f} s: per tenant 1 returning caller "
                    f"({SEED_CALLS} calls; memories: {len(OWN_MEMORIES)} own, {TRANSCRIPTS} "
                    f"thread_recap transcripts, {len(SHARED_MEMORIES)} shared) and "
                    f"{args.callers - 1} background callers ({BACKGROUND_CALLS} calls, "
                    f"{BACKGROUND_MEMORIES} memories each)"
                )

                section(
                    "1. GetEnrichedContext: the call-start hot path (real gRPC, server process)"
                )
                hot = await measure_hot_path(
                    stubs, server.address, tenants, args.samples, args.concurrency, meter
                )
                figures["get_enriched_context"] = hot
                failures += sum(
                    v["unexpected_responses"] + sum(v["errors"].values())
                    for k, v in hot.items()
                    if k != "cold_new_channel"
                )

                section("2. JWT validation (TokenVerifier, in the benchmark process)")
                progress(f"TokenVerifier.verify x{args.jwt_iterations}")
                jwt = measure_jwt(secret, tenants[0].id, args.jwt_iterations)
                context_p50 = hot["returning_sequential"]["p50_ms"]
                share = jwt["verify_mean_us"] / 1000 / context_p50 if context_p50 else math.nan
                out(
                    table(
                        ("JWT", "mean µs/call", "target", "share of context p50"),
                        [
                            [
                                "TokenVerifier.verify",
                                jwt["verify_mean_us"],
                                "<10 ms",
                                f"{share:.1%}",
                            ],
                            [
                                "TokenVerifier.verify_header",
                                jwt["verify_header_mean_us"],
                                "",
                                "",
                            ],
                        ],
                    )
                )
                out(
                    f"  {args.jwt_iterations} iterations each, HS256 token of a real tenant; "
                    f"ratio = verify mean / GetEnrichedContext p50 ({context_p50:.2f} ms, "
                    "returning caller, sequential, this run)"
                )
                figures["jwt"] = {
                    **{k: round(v, 2) for k, v in jwt.items()},
                    "iterations": args.jwt_iterations,
                    "ratio_to_context_p50": round(share, 4),
                }

                memory["before_load"] = memory_of(server.pid)
                section(f"4. Load test ({load_mode}, server process)")
                progress(f"load test: {load_mode}, {args.concurrency} workers")
                load, load_cpu = await metered(
                    meter,
                    run_load(
                        stubs,
                        tenants,
                        args.concurrency,
                        args.duration,
                        args.calls,
                        rng,
                        lambda: server.process.returncode is None,
                    ),
                )
                load.cpu = load_cpu
                if server.process.returncode is not None:
                    report_load(load, args.concurrency, len(tenants))
                    raise BenchmarkError(
                        f"alice-server exited during the load (exit code "
                        f"{server.process.returncode}); its last log lines:\n"
                        + "".join(server.log[-10:])
                    )
                memory["after_load"] = memory_of(server.pid)
                figures["load"] = report_load(load, args.concurrency, len(tenants))
                failures += load.recorder.total_errors

                section("5. Tenant isolation after the load")
                progress("verifying tenant isolation")
                checks, mismatched, details = await verify_isolation(stubs, tenants)
                callers = sum(len(t.callers) for t in tenants)
                out(
                    f"isolation: {checks} checks over {callers} (tenant, caller) pairs "
                    f"(ListMemories, ListCallSummaries, GetCallerProfile, shared memories, and "
                    f"5 of the next tenant's callers per tenant): {mismatched} mismatches"
                )
                for line in details[:20]:
                    out(f"  mismatch: {line}")
                figures["isolation"] = {
                    "checks": checks,
                    "caller_pairs": callers,
                    "mismatches": mismatched,
                    "details": details[:100],
                }
                failures += mismatched
                memory["end"] = memory_of(server.pid)

            section("6. Server process memory (/proc/<pid>/status, MiB)")
            rows = []
            peak = 0.0
            for when, m in memory.items():
                # Linux updates VmHWM lazily: an earlier VmRSS can exceed a later VmHWM.
                peak = max(peak, m.get("VmHWM", 0.0), m.get("VmRSS", 0.0))
                m["peak_so_far"] = peak
                rows.append([when, m.get("VmHWM", math.nan), m.get("VmRSS", math.nan), peak])
            out(table(("when", "VmHWM", "VmRSS", "peak so far"), rows))
            figures["memory_mib"] = memory
            log_levels = Counter(
                match.group(1)
                for line in server.log
                if (match := re.search(r" (DEBUG|INFO|WARNING|ERROR|CRITICAL) ", line))
            )
            problems = [line.rstrip() for line in server.log if " alice.rpc " in line]
            problems += [
                line.rstrip()
                for line in server.log
                if re.search(r" (WARNING|ERROR|CRITICAL) ", line) and " alice.rpc " not in line
            ]
            out(
                f"server log: {len(server.log)} lines ("
                + ", ".join(f"{k} {v}" for k, v in sorted(log_levels.items()))
                + f"); failed-RPC or warning lines: {len(problems)}"
            )
            for line in problems[:10]:
                out(f"  {line}")
            figures["server_log"] = {"levels": dict(log_levels), "problem_lines": problems[:50]}
            server_pid = server.pid
        exit_code = server.process.returncode
        out(f"server process {server_pid} stopped (exit code {exit_code})")
        figures["server_exit_code"] = exit_code
    elapsed = time.perf_counter() - started
    figures["elapsed_s"] = round(elapsed, 1)
    print_summary(figures, args, elapsed)
    return 1 if failures else 0


def print_summary(figures: dict[str, Any], args: argparse.Namespace, elapsed: float) -> None:
    hot = figures["get_enriched_context"]
    jwt = figures["jwt"]
    load = figures["load"]
    memory = figures["memory_mib"]
    c = args.concurrency
    r_seq, r_con = hot["returning_sequential"], hot["returning_concurrent"]
    n_seq, n_con = hot["new_sequential"], hot["new_concurrent"]
    section("Summary")
    lines = [
        ("server", "alice-server subprocess, real gRPC over 127.0.0.1, PostgreSQL on loopback"),
        (
            "call start, returning",
            f"p50 {r_seq['p50_ms']:.2f} ms, p99 {r_seq['p99_ms']:.2f} ms sequential; "
            f"p50 {r_con['p50_ms']:.2f} ms, p99 {r_con['p99_ms']:.2f} ms at concurrency {c} "
            "(target: a handful of ms)",
        ),
        (
            "call start, new caller",
            f"p50 {n_seq['p50_ms']:.2f} ms, p99 {n_seq['p99_ms']:.2f} ms sequential; "
            f"p50 {n_con['p50_ms']:.2f} ms, p99 {n_con['p99_ms']:.2f} ms at concurrency {c}",
        ),
        (
            "JWT validation",
            f"{jwt['verify_mean_us']:.1f} µs per verify = {jwt['ratio_to_context_p50']:.1%} of "
            "the context p50 (target <10 ms)",
        ),
        (
            "load",
            f"{load['total_rpcs']} RPCs in {load['elapsed_s']:.1f} s = "
            f"{load['rpc_per_second']:.1f} RPC/s from {load['concurrency']} workers / "
            f"{load['tenants']} tenants; errors {sum(load['errors_by_code'].values())}; "
            f"isolation mismatches {figures['isolation']['mismatches']}",
        ),
        (
            "load latency p50/p99",
            ", ".join(
                f"{name} {v['p50_ms']:.1f}/{v['p99_ms']:.1f} ms"
                for name, v in load["per_rpc"].items()
            ),
        ),
        (
            "server memory",
            f"peak RSS {memory['before_load'].get('peak_so_far', math.nan):.1f} MiB before the "
            f"load, {memory['after_load'].get('peak_so_far', math.nan):.1f} MiB after "
            f"(RSS now {memory['after_load'].get('VmRSS', math.nan):.1f} MiB)",
        ),
        ("wall time", f"{elapsed:.0f} s"),
    ]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        out(f"{key.ljust(width)}  {value}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark Alice: hot-path latency, a multi-tenant load test, JWT "
        "cost, server memory. Prints figures; asserts nothing about speed.",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("ALICE_TEST_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="superuser URL of a PostgreSQL server; a database and role of its own are created "
        "there and dropped at the end (default: $ALICE_TEST_DATABASE_URL or %(default)s)",
    )
    length = parser.add_mutually_exclusive_group()
    length.add_argument(
        "--duration",
        type=float,
        default=None,
        help="length of the load test in seconds (default 30)",
    )
    length.add_argument(
        "--calls", type=int, help="run the load test for this many simulated phone calls instead"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=10,
        help="concurrent clients for the hot path and the load test (default %(default)s)",
    )
    parser.add_argument(
        "--tenants",
        type=int,
        default=10,
        help=f"tenants (customers), 1-{MAX_TENANTS} (default %(default)s)",
    )
    parser.add_argument(
        "--callers", type=int, default=20, help="regular callers per tenant (default %(default)s)"
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=500,
        help="GetEnrichedContext requests per hot-path series (default %(default)s)",
    )
    parser.add_argument(
        "--jwt-iterations",
        type=int,
        default=20_000,
        help="TokenVerifier.verify calls (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the test data")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.calls is None and args.duration is None:
        args.duration = 30.0
    if args.calls is not None and args.calls < 1:
        parser.error("--calls must be at least 1")
    if args.duration is not None and args.duration <= 0:
        parser.error("--duration must be positive")
    if not 1 <= args.tenants <= MAX_TENANTS:
        parser.error(f"--tenants must be 1 to {MAX_TENANTS}")
    for name in ("concurrency", "callers", "samples", "jwt_iterations"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


async def main_async(args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    stopping: list[str] = []

    def on_signal(name: str) -> None:
        if not stopping:
            print(
                f"\n{name}: stopping; removing the server, database and role ...", file=sys.stderr
            )
            task.cancel()
        else:
            print(f"{name}: still cleaning up, please wait", file=sys.stderr)
        stopping.append(name)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, on_signal, sig.name)
    figures: dict[str, Any] = {}
    code = 1
    try:
        code = await benchmark(args, figures)
    except asyncio.CancelledError:
        if not stopping:
            raise
        code = 130
    except (BenchmarkError, OSError, asyncpg.PostgresError) as exc:
        print(f"bench_server: {exc}", file=sys.stderr)
        code = 2
    finally:
        cleanup = figures.pop("_cleanup", None)
        if cleanup is not None:
            try:
                left = await leftovers(args.database_url, *cleanup)
                result = f"LEFT BEHIND {', '.join(left)}" if left else "dropped"
            except (OSError, asyncpg.PostgresError) as exc:
                result = f"could not check ({exc})"
            print(
                f"cleanup: database {cleanup[0]} and role {cleanup[1]}: {result}", file=sys.stderr
            )
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)
    if args.json and "load" in figures:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
        print(f"figures written to {args.json}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return asyncio.run(main_async(args))
    except KeyboardInterrupt:  # before the signal handlers were installed
        return 130


if __name__ == "__main__":
    sys.exit(main())
