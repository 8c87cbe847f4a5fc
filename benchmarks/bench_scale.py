#!/usr/bin/env python3
"""Alice at realistic scale, side by side with the bare gRPC ceiling.

Prints figures; asserts nothing about speed. Exit status: 0 the run completed
with no unexpected RPC error, 1 some RPC of the measured tenants failed (the
flooding tenant's own RESOURCE_EXHAUSTED are expected and not counted), 2 the
benchmark could not run. See benchmarks/README.md ("bench_scale.py").

1. Data, loaded once with COPY as the database owner into the real tables and
   kept in the database `--database` (default alice_bench) for later runs:
   10 tenants x 1,000 callers, each with a profile, personality averages, 20
   call summaries (the last 3 with personality scores) and 50 memories.
2. The bare grpc.aio servicer (benchmarks/bare_server.py, an empty
   GetEnrichedContextResponse, as many processes as Alice has workers) and
   `alice-server` (ALICE_WORKERS), driven by the same client: one process,
   `--channels` HTTP/2 connections, `--concurrency` tasks.
3. Scenarios at each concurrency: the ceiling; (1) call start only, random
   callers of random tenants; (2) whole calls (context, three upserts, a
   search, ProcessCall); (3) noisy neighbour: nine tenants run call starts,
   first alone ("idle"), then while tenant 1 floods (long searches, large
   ProcessCalls, at its rate limit). Then token verification, and call-start
   p50 at concurrency 1 on an empty database vs the full one.

    python benchmarks/bench_scale.py [--quick] [--json PATH] [--drop]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_server import (
    BenchmarkError,
    _server_script,
    percentile,
    phone,
    struct,
    table,
    transcript,
)

from alice_server.auth import TokenVerifier, mint_token
from alice_server.storage import migrate
from alice_server.storage.urls import libpq_url, with_database, with_user
from alice_server.testing import temporary_database
from chad_client import AliceClient, Timeouts
from chad_client.errors import AliceError
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LISTENING = re.compile(r"(?:Alice|bare|floor) listening on [\d.]+:(\d+)")
RPC_TIMEOUT = 30.0
FLOOD_TENANT = 0  # index of the noisy neighbour
SMALL_CALLERS = 10  # callers per tenant of the small database
MEMORY_TYPES = ("preference", "fact", "person", "moment", "rule")
WORDS = [
    "policy",
    "premium",
    "claim",
    "windshield",
    "renters",
    "auto",
    "bundle",
    "refund",
    "charge",
    "address",
    "quote",
    "deductible",
    "coverage",
    "daughter",
    "license",
    "email",
    "monday",
    "morning",
    "evening",
    "office",
    "payment",
    "discount",
    "vehicle",
    "accident",
    "glass",
    "repair",
    "renewal",
    "card",
    "invoice",
    "agent",
    "callback",
]
Metadata = tuple[tuple[str, str], ...]


def out(text: str = "") -> None:
    print(text, flush=True)


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Size:
    tenants: int
    callers: int
    memories: int
    summaries: int

    @property
    def label(self) -> str:
        return (
            f"{self.tenants} tenants x {self.callers} callers, {self.memories} memories and "
            f"{self.summaries} summaries per caller"
        )

    @property
    def marker(self) -> str:
        return (
            f"alice-bench v1 tenants={self.tenants} callers={self.callers} "
            f"memories={self.memories} summaries={self.summaries}"
        )


def caller_number(tenant: int, caller: int) -> str:
    # Caller i of every tenant has the same number: one person calling several businesses.
    return phone(1_000_000 + caller)


# --------------------------------------------------------------------------- loading


@dataclass
class BenchDatabase:
    name: str
    owner_url: str  # superuser on this database
    app_url: str  # the service role
    tenant_ids: list[int]


async def vacuum_dead_rows(owner: asyncpg.Connection) -> None:
    """VACUUM (ANALYZE) every table that holds dead row versions or changed since its
    last ANALYZE, before anything is measured. A reused database keeps what earlier
    runs wrote (the whole calls and the soak add follow-ups and update caller profiles
    and memories; a backfill rewrites every memory). With autovacuum off, as on this
    project's machine, nothing else cleans or re-analyzes them, and both cost the
    call start dearly (docs/PERFORMANCE.md, 2026-12-04): dead versions visited by its
    index scans, and statistics taken when follow_ups was empty, which let the
    planner read a tenant's open follow-ups through the tenant index (3,700 buffers
    for a caller's three). With autovacuum on this finds little to do."""
    tables = await owner.fetch(
        "SELECT relname, n_dead_tup, n_mod_since_analyze FROM pg_stat_user_tables "
        "WHERE n_dead_tup > 0 OR n_mod_since_analyze > 0 ORDER BY relname"
    )
    autovacuum = await owner.fetchval("SHOW autovacuum")
    if not tables:
        return
    dead = sum(r["n_dead_tup"] for r in tables)
    changed = sum(r["n_mod_since_analyze"] for r in tables)
    progress(
        f"VACUUM (ANALYZE) of {len(tables)} tables: {dead:,} dead row versions, {changed:,} "
        f"rows changed since their last ANALYZE (autovacuum is {autovacuum} on this server)"
    )
    started = time.perf_counter()
    for row in tables:
        await owner.execute(
            await owner.fetchval("SELECT format('VACUUM (ANALYZE) %I', $1::text)", row["relname"])
        )
    progress(f"VACUUM (ANALYZE) took {time.perf_counter() - started:.0f} s")


async def prepare_database(
    superuser_url: str, name: str, size: Size, reload: bool
) -> BenchDatabase:
    """Create and migrate `name` if needed; load the data unless it already holds `size`."""
    role = f"{name}_app"
    admin = await asyncpg.connect(libpq_url(superuser_url))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            progress(f"creating database {name}")
            await admin.execute(f'CREATE DATABASE "{name}"')
        marker = await admin.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            name,
        )
        owner_url = with_database(superuser_url, name)
        progress(f"migrating {name} (service role {role})")
        await asyncio.to_thread(migrate.upgrade, owner_url, role)
        password = secrets.token_urlsafe(18)
        await admin.execute(
            await admin.fetchval(
                "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", role, password
            )
        )
    finally:
        await admin.close()
    owner = await asyncpg.connect(libpq_url(owner_url))
    try:
        if marker != size.marker or reload:
            await load(owner, size)
            await owner.execute(f"COMMENT ON DATABASE \"{name}\" IS '{size.marker}'")
        else:
            progress(f"{name} already holds {size.label}: reusing it")
        await vacuum_dead_rows(owner)
        ids = [
            r["id"]
            for r in await owner.fetch(
                "SELECT id FROM customers WHERE business_name LIKE 'Bench tenant %' ORDER BY id"
            )
        ]
    finally:
        await owner.close()
    return BenchDatabase(
        name,
        libpq_url(owner_url),
        libpq_url(with_user(owner_url, role, password)),
        ids,
    )


async def columns_of(connection: asyncpg.Connection, table_name: str) -> dict[str, str]:
    rows = await connection.fetch(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = $1 AND table_schema = 'public' AND is_generated = 'NEVER' "
        "ORDER BY ordinal_position",
        table_name,
    )
    return {r["column_name"]: r["data_type"] for r in rows}


async def load(connection: asyncpg.Connection, size: Size) -> None:
    """COPY the data set into the real tables as the owner (a superuser here)."""
    started = time.perf_counter()
    rng = random.Random(1)  # noqa: S311 - test data, not security
    now = dt.datetime.now(dt.UTC)
    progress(f"loading {size.label} with COPY")
    await connection.execute("DELETE FROM customers WHERE business_name LIKE 'Bench tenant %'")
    ids = []
    for t in range(size.tenants):
        ids.append(
            await connection.fetchval(
                "INSERT INTO customers (business_name, agent_name) VALUES ($1, $2) RETURNING id",
                f"Bench tenant {t + 1}",
                f"Agent {t + 1}",
            )
        )
    # Score columns are whatever the schema has (double precision): 0-100.
    metric_cols = await columns_of(connection, "personality_metrics")
    average_cols = await columns_of(connection, "personality_averages")
    metric_scores = [c for c, kind in metric_cols.items() if kind == "double precision"]
    average_scores = [c for c, kind in average_cols.items() if kind == "double precision"]
    rows = Counter[str]()
    for t, customer_id in enumerate(ids):
        profiles, averages, summaries, metrics, memories = [], [], [], [], []
        for c in range(size.callers):
            user = caller_number(t, c)
            first = now - dt.timedelta(days=400 + rng.random() * 300)
            calls = sorted(
                (now - dt.timedelta(days=rng.random() * 365) for _ in range(size.summaries)),
            )
            last = calls[-1] if calls else first
            profiles.append(
                (customer_id, user, first, last, len(calls), rng.choice(("Jordan", "Alex", "")))
            )
            averages.append(
                (
                    customer_id,
                    user,
                    len(calls),
                    *(rng.uniform(10, 90) for _ in average_scores),
                    "stable",
                    "stable",
                )
            )
            for k, started_at in enumerate(calls):
                call_id = f"bench-{c}-{k}"
                summaries.append(
                    (
                        customer_id,
                        call_id,
                        user,
                        started_at,
                        started_at + dt.timedelta(minutes=4),
                        240,
                        " ".join(rng.choices(WORDS, k=30)).capitalize() + ".",
                        json.dumps(rng.sample(WORDS, 3)),
                        rng.choice(("positive", "neutral", "negative")),
                        8,
                    )
                )
                if k >= len(calls) - 3:
                    metrics.append(
                        (
                            customer_id,
                            user,
                            call_id,
                            started_at,
                            *(rng.uniform(10, 90) for _ in metric_scores),
                        )
                    )
            for m in range(size.memories):
                kind = MEMORY_TYPES[m % len(MEMORY_TYPES)]
                updated = now - dt.timedelta(days=rng.random() * 300)
                memories.append(
                    (
                        customer_id,
                        "user",
                        user,
                        kind,
                        f"{kind}_{m}",
                        json.dumps({"value": " ".join(rng.choices(WORDS, k=8))}),
                        "bench",
                        365,
                        updated,
                        updated,
                        updated + dt.timedelta(days=365),
                    )
                )
        for m in range(20):
            memories.append(
                (
                    customer_id,
                    "shared",
                    "",
                    "fact",
                    f"business_{m}",
                    json.dumps({"value": " ".join(rng.choices(WORDS, k=8))}),
                    "bench",
                    3650,
                    now,
                    now,
                    now + dt.timedelta(days=3650),
                )
            )
        copies: list[tuple[str, list[str], list[tuple[Any, ...]]]] = [
            (
                "caller_profiles",
                [
                    "customer_id",
                    "user_id",
                    "first_call_at",
                    "last_call_at",
                    "total_calls",
                    "preferred_name",
                ],
                profiles,
            ),
            (
                "personality_averages",
                [
                    "customer_id",
                    "user_id",
                    "call_count",
                    *average_scores,
                    "satisfaction_trend",
                    "frustration_trend",
                ],
                averages,
            ),
            (
                "call_summaries",
                [
                    "customer_id",
                    "call_id",
                    "user_id",
                    "started_at",
                    "ended_at",
                    "duration_seconds",
                    "summary",
                    "key_topics",
                    "sentiment",
                    "turn_count",
                ],
                summaries,
            ),
            (
                "personality_metrics",
                ["customer_id", "user_id", "call_id", "call_at", *metric_scores],
                metrics,
            ),
            (
                "memories",
                [
                    "customer_id",
                    "scope",
                    "user_id",
                    "type",
                    "key",
                    "value",
                    "source",
                    "ttl_days",
                    "created_at",
                    "updated_at",
                    "expires_at",
                ],
                memories,
            ),
        ]
        for table_name, columns, records in copies:
            await connection.copy_records_to_table(table_name, records=records, columns=columns)
            rows[table_name] += len(records)
        elapsed = time.perf_counter() - started
        total = sum(rows.values())
        progress(
            f"  tenant {t + 1}/{size.tenants}: {total:,} rows in {elapsed:.0f} s "
            f"({total / elapsed:,.0f} rows/s)"
        )
    progress("ANALYZE")
    await connection.execute("ANALYZE")
    progress(
        f"loaded in {time.perf_counter() - started:.0f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in rows.items())
    )


# --------------------------------------------------------------------------- processes and CPU


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            with suppress(OSError):
                for child in (task / "children").read_text().split():
                    if int(child) not in found:
                        found.add(int(child))
                        todo.append(int(child))
    return found


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: set[int]) -> dict[int, float]:
    """utime + stime (and reaped children's) of each live pid, from /proc/<pid>/stat."""
    result = {}
    for pid in pids:
        with suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            result[pid] = sum(int(v) for v in fields[11:15]) / TICK
    return result


@dataclass
class Server:
    process: asyncio.subprocess.Process
    port: int
    log_path: Path
    database: str | None  # for PostgreSQL's backends

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def pids(self) -> set[int]:
        return {self.process.pid} | descendants(self.process.pid)


@asynccontextmanager
async def start_server(
    command: list[str], env: dict[str, str], database: str | None
) -> AsyncIterator[Server]:
    """A server in a session of its own, its log in a file; SIGTERM (then SIGKILL) at the end."""
    with tempfile.NamedTemporaryFile(prefix="alice-bench-", suffix=".log") as log:
        path = Path(log.name)
        process = await asyncio.create_subprocess_exec(
            *command,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        try:
            for _ in range(1200):
                text = await asyncio.to_thread(path.read_text, errors="replace")
                if match := LISTENING.search(text):
                    break
                if process.returncode is not None:
                    raise BenchmarkError(f"{command[0]} exited early:\n{text[-3000:]}")
                await asyncio.sleep(0.1)
            else:
                raise BenchmarkError(f"{command[0]} did not start in 120 s:\n{text[-3000:]}")
            yield Server(process, int(match.group(1)), path, database)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    os.killpg(process.pid, signal.SIGKILL)
                    await process.wait()


# ALICE_SEMANTIC_SEARCH for the measured server (--semantic-search): "off" is the
# keyword-only service (no model, no embedding on store), the "before" of issue 10.
SEMANTIC_SEARCH: str | None = None
# ALICE_RATE_LIMIT_PER_SECOND of the noisy-neighbour server (--rate-limit; None: the
# server's default). --quick raises it: its three quiet tenants share a closed-loop
# load far above what a tenant's phone calls send, and must not meet their own limit.
RATE_LIMIT: float | None = None


def alice_env(app_url: str, secret: str, workers: int, rate_limit: bool) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ALICE_") and k not in ("DATABASE_URL", "JWT_SECRET_KEY")
    }
    env.update(
        DATABASE_URL=app_url,
        JWT_SECRET_KEY=secret,
        ALICE_WORKERS=str(workers),
        ALICE_SHUTDOWN_GRACE_SECONDS="2",
    )
    if not rate_limit:
        env["ALICE_RATE_LIMIT_PER_SECOND"] = "0"
    elif RATE_LIMIT is not None:
        env["ALICE_RATE_LIMIT_PER_SECOND"] = f"{RATE_LIMIT:g}"
    if SEMANTIC_SEARCH is not None:
        env["ALICE_SEMANTIC_SEARCH"] = SEMANTIC_SEARCH
    return env


async def backend_pids(owner_url: str, database: str) -> set[int]:
    connection = await asyncpg.connect(owner_url)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await connection.close()
    return {r["pid"] for r in rows}


class CpuMeter:
    """CPU seconds of the server's processes and of PostgreSQL's backends over a phase."""

    def __init__(self, server: Server, owner_url: str | None) -> None:
        self.server = server
        self.owner_url = owner_url
        self._server: dict[int, float] = {}
        self._pg: dict[int, float] = {}

    async def _pg_pids(self) -> set[int]:
        if self.owner_url is None or self.server.database is None:
            return set()
        return await backend_pids(self.owner_url, self.server.database)

    async def start(self) -> None:
        self._server = cpu_seconds(self.server.pids())
        self._pg = cpu_seconds(await self._pg_pids())

    async def stop(self) -> tuple[float, float]:
        server_now = cpu_seconds(self.server.pids())
        pg_now = cpu_seconds(await self._pg_pids() | set(self._pg))
        server = sum(v - self._server.get(p, 0.0) for p, v in server_now.items())
        pg = sum(v - self._pg.get(p, 0.0) for p, v in pg_now.items())
        return server, pg


# --------------------------------------------------------------------------- the client


class Client:
    """One process, `count` HTTP/2 connections (the kernel spreads connections over workers)."""

    def __init__(self, address: str, count: int) -> None:
        self.channels = [
            grpc.aio.insecure_channel(
                address,
                options=[
                    ("grpc.use_local_subchannel_pool", 1),
                    ("grpc.max_send_message_length", 8 << 20),
                ],
            )
            for _ in range(count)
        ]
        self.contexts = [context_service_pb2_grpc.ContextServiceStub(c) for c in self.channels]  # type: ignore[no-untyped-call]
        self.memories = [memory_service_pb2_grpc.MemoryServiceStub(c) for c in self.channels]  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    async def call(self, name: str, rpc: Callable[[], Awaitable[Any]]) -> Any | None:
        started = time.perf_counter()
        try:
            response = await rpc()
        except grpc.aio.AioRpcError as exc:
            self.errors[f"{name} {exc.code().name}"] += 1
            if len(self.samples) < 5:
                self.samples.append(f"{name}: {exc.code().name}: {exc.details()}")
            return None
        self.latencies[name].append((time.perf_counter() - started) * 1000)
        return response

    @property
    def ok(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


@dataclass
class Tenant:
    id: int
    metadata: Metadata

    @property
    def floor_metadata(self) -> Metadata:
        """The floor server checks no token: it takes the tenant from this header."""
        return (("x-customer-id", str(self.id)),)


Worker = Callable[[int, Recorder, asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class Phase:
    name: str
    concurrency: int
    seconds: float
    recorder: Recorder
    server_cpu_s: float
    pg_cpu_s: float

    def figures(self, ceiling: float | None = None, floor: float | None = None) -> dict[str, Any]:
        rpcs = self.recorder.ok + self.recorder.error_count
        rate = rpcs / self.seconds if self.seconds else math.nan
        per_rpc = {}
        for name, values in self.recorder.latencies.items():
            data = sorted(values)
            per_rpc[name] = {
                "count": len(data),
                "p50_ms": round(percentile(data, 50), 3),
                "p95_ms": round(percentile(data, 95), 3),
                "p99_ms": round(percentile(data, 99), 3),
            }
        result: dict[str, Any] = {
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 2),
            "rpcs": rpcs,
            "rpc_per_second": round(rate, 1),
            "errors": dict(self.recorder.errors),
            "error_samples": self.recorder.samples,
            "server_cpu_ms_per_rpc": round(self.server_cpu_s * 1000 / rpcs, 3) if rpcs else None,
            "server_cpu_share_of_one_core": round(self.server_cpu_s / self.seconds, 2),
            "pg_cpu_share_of_one_core": round(self.pg_cpu_s / self.seconds, 2),
            "pg_cpu_ms_per_rpc": round(self.pg_cpu_s * 1000 / rpcs, 3) if rpcs else None,
            "per_rpc": per_rpc,
        }
        if ceiling:
            result["ratio_to_ceiling"] = round(rate / ceiling, 3)
        if floor:
            result["ratio_to_floor"] = round(rate / floor, 3)
        return result


def merged(phases: Sequence[Phase]) -> Phase:
    """The interleaved rounds of one server as one phase: latencies pooled, times and
    CPU added up."""
    recorder = Recorder()
    for phase in phases:
        for name, values in phase.recorder.latencies.items():
            recorder.latencies[name].extend(values)
        recorder.errors.update(phase.recorder.errors)
        recorder.samples.extend(phase.recorder.samples[: 5 - len(recorder.samples)])
    return Phase(
        phases[0].name,
        phases[0].concurrency,
        sum(p.seconds for p in phases),
        recorder,
        sum(p.server_cpu_s for p in phases),
        sum(p.pg_cpu_s for p in phases),
    )


async def run_phase(
    name: str,
    meter: CpuMeter | None,
    concurrency: int,
    seconds: float,
    worker: Worker,
    background: Sequence[Worker] = (),
    background_recorder: Recorder | None = None,
) -> Phase:
    """`concurrency` copies of `worker` (plus `background` ones) for `seconds`."""
    progress(f"{name}: concurrency {concurrency}, {seconds:.0f} s")
    recorder = Recorder()
    stop = asyncio.Event()
    if meter:
        await meter.start()
    started = time.perf_counter()
    tasks: list[asyncio.Task[None]] = [
        asyncio.create_task(worker(i, recorder, stop)) for i in range(concurrency)
    ]
    tasks += [
        asyncio.create_task(w(i, background_recorder or Recorder(), stop))
        for i, w in enumerate(background)
    ]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    server_cpu, pg_cpu = await meter.stop() if meter else (math.nan, math.nan)
    return Phase(name, concurrency, elapsed, recorder, server_cpu, pg_cpu)


def call_start_once(
    client: Client,
    tenants: Sequence[Tenant],
    callers: int,
    rng: random.Random,
    floor: bool = False,
) -> Callable[[int, Recorder], Coroutine[Any, Any, None]]:
    """One GetEnrichedContext of a random caller of a random tenant (`floor`: with the
    floor server's header instead of the token), on connection `i`."""

    async def once(i: int, recorder: Recorder) -> None:
        stub = client.contexts[i % len(client.contexts)]
        tenant = rng.choice(tenants)
        request = ctx.GetEnrichedContextRequest(user_id=caller_number(0, rng.randrange(callers)))
        await recorder.call(
            "GetEnrichedContext",
            partial(
                stub.GetEnrichedContext,
                request,
                metadata=tenant.floor_metadata if floor else tenant.metadata,
                timeout=RPC_TIMEOUT,
            ),
        )

    return once


def call_start_worker(
    client: Client,
    tenants: Sequence[Tenant],
    callers: int,
    rng: random.Random,
    floor: bool = False,
) -> Worker:
    """Call starts one after the other (a closed loop: see call_start_once)."""
    once = call_start_once(client, tenants, callers, rng, floor)

    async def work(i: int, recorder: Recorder, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await once(i, recorder)

    return work


async def run_paced_phase(
    name: str,
    meter: CpuMeter | None,
    rate: float,
    seconds: float,
    once: Callable[[int, Recorder], Coroutine[Any, Any, None]],
) -> Phase:
    """An open loop: calls start `rate` times a second, evenly spaced, whatever the
    server's latency (as phone calls arrive), each as its own task, for `seconds`.
    A closed loop at concurrency 10 keeps a 2-core machine saturated, so its
    latencies are mostly queueing; this one measures them at a load the machine
    carries. Phase.concurrency is 0 (none is fixed)."""
    progress(f"{name}: {rate:g} calls/s, {seconds:.0f} s")
    recorder = Recorder()
    if meter:
        await meter.start()
    started = time.perf_counter()
    running: set[asyncio.Task[None]] = set()
    n = 0
    while n / rate < seconds:
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(once(n, recorder))
        running.add(task)
        task.add_done_callback(running.discard)
        n += 1
    await asyncio.gather(*running)
    elapsed = time.perf_counter() - started
    server_cpu, pg_cpu = await meter.stop() if meter else (math.nan, math.nan)
    return Phase(name, 0, elapsed, recorder, server_cpu, pg_cpu)


def whole_call_worker(
    client: Client, tenants: Sequence[Tenant], size: Size, rng: random.Random
) -> Worker:
    async def work(i: int, recorder: Recorder, stop: asyncio.Event) -> None:
        contexts = client.contexts[i % len(client.contexts)]
        memories = client.memories[i % len(client.memories)]
        while not stop.is_set():
            tenant = rng.choice(tenants)
            user = caller_number(0, rng.randrange(size.callers))
            md = tenant.metadata
            await recorder.call(
                "GetEnrichedContext",
                partial(
                    contexts.GetEnrichedContext,
                    ctx.GetEnrichedContextRequest(user_id=user),
                    metadata=md,
                    timeout=RPC_TIMEOUT,
                ),
            )
            for m in rng.sample(range(max(size.memories, 3)), 3):
                kind = MEMORY_TYPES[m % len(MEMORY_TYPES)]
                request = mem.StoreMemoryRequest(
                    user_id=user,
                    type=kind,
                    key=f"{kind}_{m}",
                    value=struct(value=" ".join(rng.choices(WORDS, k=8))),
                )
                await recorder.call(
                    "StoreMemory",
                    partial(memories.StoreMemory, request, metadata=md, timeout=RPC_TIMEOUT),
                )
            await recorder.call(
                "SearchMemories",
                partial(
                    memories.SearchMemories,
                    mem.SearchMemoriesRequest(
                        user_id=user, query=" ".join(rng.choices(WORDS, k=3)), include_shared=True
                    ),
                    metadata=md,
                    timeout=RPC_TIMEOUT,
                ),
            )
            await recorder.call(
                "ProcessCall",
                partial(
                    contexts.ProcessCall,
                    ctx.ProcessCallRequest(
                        user_id=user, call_id=uuid.uuid4().hex, turns=transcript(rng, "Jordan")
                    ),
                    metadata=md,
                    timeout=RPC_TIMEOUT,
                ),
            )

    return work


SEARCH_QUERIES = (
    "when does the caller want a callback",
    "which vehicle is on the policy",
    "the refund for the windshield repair",
    "what did they say about the renewal discount",
)


def search_once(
    client: Client, tenants: Sequence[Tenant], size: Size, rng: random.Random
) -> Callable[[int, Recorder], Coroutine[Any, Any, None]]:
    """A hybrid SearchMemories (with the shared memories) and a GetEnrichedContext with
    the same `query`, in turn, for a random caller of a random tenant, on connection `i`."""

    async def once(i: int, recorder: Recorder) -> None:
        contexts = client.contexts[i % len(client.contexts)]
        memories = client.memories[i % len(client.memories)]
        tenant = rng.choice(tenants)
        user = caller_number(0, rng.randrange(size.callers))
        query = rng.choice(SEARCH_QUERIES)
        await recorder.call(
            "SearchMemories",
            partial(
                memories.SearchMemories,
                mem.SearchMemoriesRequest(user_id=user, query=query, include_shared=True),
                metadata=tenant.metadata,
                timeout=RPC_TIMEOUT,
            ),
        )
        await recorder.call(
            "GetEnrichedContext with query",
            partial(
                contexts.GetEnrichedContext,
                ctx.GetEnrichedContextRequest(user_id=user, query=query),
                metadata=tenant.metadata,
                timeout=RPC_TIMEOUT,
            ),
        )

    return once


def search_worker(
    client: Client, tenants: Sequence[Tenant], size: Size, rng: random.Random
) -> Worker:
    """search_once, over and over (a closed loop)."""
    once = search_once(client, tenants, size, rng)

    async def work(i: int, recorder: Recorder, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await once(i, recorder)

    return work


def flood_workers(
    client: Client, tenant: Tenant, size: Size, rng: random.Random, searches: int, calls: int
) -> list[Worker]:
    """The noisy neighbour: long searches and large ProcessCalls, as fast as its limit allows."""
    long_query = " ".join(WORDS * 2)
    big_turns = [
        res.Turn(
            role=res.ROLE_CALLER if k % 2 == 0 else res.ROLE_AGENT,
            content=" ".join(rng.choices(WORDS, k=400)),
        )
        for k in range(300)
    ]  # about 0.8 MB

    async def backoff(recorder: Recorder, before: int) -> None:
        if recorder.error_count > before:  # rate limited: retry soon, as a client would
            await asyncio.sleep(0.05)

    async def search(i: int, recorder: Recorder, stop: asyncio.Event) -> None:
        stub = client.memories[i % len(client.memories)]
        while not stop.is_set():
            before = recorder.error_count
            await recorder.call(
                "flood SearchMemories",
                partial(
                    stub.SearchMemories,
                    mem.SearchMemoriesRequest(
                        user_id=caller_number(0, rng.randrange(size.callers)),
                        query=long_query,
                        include_shared=True,
                        limit=100,
                    ),
                    metadata=tenant.metadata,
                    timeout=RPC_TIMEOUT,
                ),
            )
            await backoff(recorder, before)

    async def process(i: int, recorder: Recorder, stop: asyncio.Event) -> None:
        stub = client.contexts[i % len(client.contexts)]
        while not stop.is_set():
            before = recorder.error_count
            await recorder.call(
                "flood ProcessCall",
                partial(
                    stub.ProcessCall,
                    ctx.ProcessCallRequest(
                        user_id=caller_number(0, rng.randrange(size.callers)),
                        call_id=uuid.uuid4().hex,
                        turns=big_turns,
                    ),
                    metadata=tenant.metadata,
                    timeout=RPC_TIMEOUT,
                ),
            )
            await backoff(recorder, before)

    workers: list[Worker] = [search] * searches
    return workers + [process] * calls


def bare_worker(client: Client, tenants: Sequence[Tenant]) -> Worker:
    async def work(i: int, recorder: Recorder, stop: asyncio.Event) -> None:
        stub = client.contexts[i % len(client.contexts)]
        request = ctx.GetEnrichedContextRequest(user_id=caller_number(0, 1))
        while not stop.is_set():
            md = tenants[i % len(tenants)].metadata
            await recorder.call(
                "GetEnrichedContext",
                partial(stub.GetEnrichedContext, request, metadata=md, timeout=RPC_TIMEOUT),
            )

    return work


# --------------------------------------------------------------------------- profiles

CATEGORIES = (
    ("grpc", ("grpc/", "grpc_", "cygrpc")),
    ("asyncpg", ("asyncpg/",)),
    ("protobuf", ("google/protobuf", "_pb2")),
    ("jwt", ("jwt/",)),
    ("sqlalchemy", ("sqlalchemy/",)),
    ("asyncio", ("asyncio/", "selectors.py", "uvloop")),
    ("alice_server", ("alice_server/",)),
    ("chad_client", ("chad_client/",)),
    ("logging", ("logging/",)),
)


def category(frame: str) -> str:
    if frame.startswith("Handle._run "):  # compiled callbacks: gRPC's and asyncpg's Cython
        return "C callbacks on the loop (gRPC/asyncpg Cython)"
    for name, needles in CATEGORIES:
        if any(n in frame for n in needles):
            return name
    return "other"


def summarise_profile(path: Path) -> dict[str, Any]:
    """py-spy's raw (collapsed) stacks: share of samples by the innermost known package,
    by the innermost alice_server frame on the stack, and the top leaf functions."""
    leaf_by_category: Counter[str] = Counter()
    alice_frames: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        # The innermost frame of a known package (native frames of the interpreter, libc
        # and the kernel belong to the caller that got there).
        owner = next((c for c in map(category, reversed(frames)) if c != "other"), "other")
        leaf_by_category[owner] += count
        leaves[re.sub(r":\d+\)$", ")", frames[-1])] += count
        inner = next((f for f in reversed(frames) if "alice_server/" in f), "")
        if not inner or any(
            name in inner for name in ("workers.py", "alice_server/cli.py", "alice_server/serve.py")
        ):
            inner = "(no request code on the stack: event loop, gRPC or driver callbacks)"
        alice_frames[re.sub(r":\d+\)$", ")", inner)] += count

    def shares(counter: Counter[str], n: int) -> list[tuple[str, float]]:
        return [(k, round(100 * v / total, 1)) for k, v in counter.most_common(n)] if total else []

    return {
        "samples": total,
        "leaf_package_pct": shares(leaf_by_category, 12),
        "innermost_alice_frame_pct": shares(alice_frames, 12),
        "top_leaf_functions_pct": shares(leaves, 12),
    }


async def profile_server(
    server: Server, seconds: float, directory: Path, label: str
) -> dict[str, Any]:
    """py-spy record (raw format, 200 Hz, only the thread holding the GIL) of every process of the
    server except the supervisor and multiprocessing's resource tracker."""
    targets = profile_targets(server.process.pid)
    spy = str(Path(sys.executable).parent / "py-spy")
    processes = []
    for pid, role in targets.items():
        output = directory / f"{label}-{role}-{pid}.txt"
        processes.append(
            (
                pid,
                role,
                output,
                await asyncio.create_subprocess_exec(
                    spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--output",
                    str(output),
                    "--nonblocking",
                    "--gil",  # only the thread holding the GIL: what keeps the loop busy
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                ),
            )
        )
    return {"processes": processes}


async def finish_profiles(started: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for pid, role, output, process in started["processes"]:
        await process.wait()
        if output.exists():
            result[f"{role} {pid}"] = {"file": str(output), **summarise_profile(output)}
    return result


def profile_targets(supervisor: int) -> dict[int, str]:
    """The server's Python processes by role, without multiprocessing's resource tracker."""
    workers = descendants_direct(supervisor)
    targets = {}
    for pid in sorted(descendants(supervisor)):
        with suppress(OSError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            if "resource_tracker" not in cmdline:
                targets[pid] = "worker" if pid in workers else "summariser"
    return targets


async def sample_backends(owner_url: str, database: str) -> dict[str, Any]:
    """pg_stat_activity 5 times a second until cancelled: what the backends are doing."""
    seen: Counter[str] = Counter()
    samples = 0
    connection = await asyncpg.connect(owner_url)
    try:
        while True:
            rows = await connection.fetch(
                "SELECT state, wait_event_type, wait_event, "
                "left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS query "
                "FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
            samples += 1
            for r in rows:
                what = r["state"] or "?"
                if r["wait_event_type"]:
                    what += f", waiting {r['wait_event_type']}:{r['wait_event']}"
                if r["state"] == "active":
                    what += f", {r['query']}"
                seen[what] += 1
            await asyncio.sleep(0.2)
    except asyncio.CancelledError:
        pass
    finally:
        await connection.close()
    return {
        "samples": samples,
        "mean_backends": [(k, round(v / max(samples, 1), 2)) for k, v in seen.most_common(12)],
    }


def descendants_direct(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            found.update(int(c) for c in (task / "children").read_text().split())
    return found


def print_profiles(title: str, profiles: dict[str, Any]) -> None:
    out()
    out(f"profile: {title} (py-spy, share of non-idle samples)")
    for name, p in profiles.items():
        if not p["samples"]:
            continue
        out(f"  {name}: {p['samples']} samples ({p['file']})")
        out(
            "    by innermost known package: "
            + ", ".join(f"{k} {v}%" for k, v in p["leaf_package_pct"])
        )
        out("    innermost alice_server frame: ")
        for k, v in p["innermost_alice_frame_pct"][:8]:
            out(f"      {v:5.1f}%  {k}")
        out("    top leaf functions: ")
        for k, v in p["top_leaf_functions_pct"][:8]:
            out(f"      {v:5.1f}%  {k}")


# --------------------------------------------------------------------------- report


def phase_rows(phases: Sequence[tuple[str, Phase, float | None, float | None]]) -> str:
    rows = []
    for label, phase, ceiling, floor in phases:
        f = phase.figures(ceiling, floor)
        for i, (name, rpc) in enumerate(sorted(f["per_rpc"].items())):
            first = i == 0
            rows.append(
                [
                    label if first else "",
                    (f["concurrency"] or "open") if first else "",
                    f["rpc_per_second"] if first else "",
                    name,
                    rpc["count"],
                    rpc["p50_ms"],
                    rpc["p95_ms"],
                    rpc["p99_ms"],
                    (sum(f["errors"].values()) if first else ""),
                    (f["server_cpu_ms_per_rpc"] if first else ""),
                    (f["pg_cpu_ms_per_rpc"] if first else ""),
                    (f.get("ratio_to_ceiling", "") if first else ""),
                    (f.get("ratio_to_floor", "") if first else ""),
                ]
            )
        if not f["per_rpc"]:
            rows.append(
                [
                    label,
                    f["concurrency"],
                    f["rpc_per_second"],
                    "-",
                    0,
                    "",
                    "",
                    "",
                    sum(f["errors"].values()),
                    "",
                    "",
                    "",
                    "",
                ]
            )
    return table(
        (
            "scenario",
            "conc",
            "RPC/s",
            "RPC",
            "count",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors",
            "srv CPU ms/RPC",
            "PG CPU ms/RPC",
            "x ceiling",
            "x floor",
        ),
        rows,
    )


def token_cost(secret: str, customer_id: int, iterations: int) -> dict[str, float]:
    """Median µs of TokenVerifier.verify on one token, as the server sees per RPC."""
    verifier = TokenVerifier(secret)
    token = mint_token(secret, customer_id)
    for _ in range(200):
        verifier.verify(token)
    samples = []
    for _ in range(iterations):
        started = time.perf_counter_ns()
        verifier.verify(token)
        samples.append((time.perf_counter_ns() - started) / 1000)
    fresh: list[float] = []
    for _ in range(min(iterations, 500)):
        other = mint_token(secret, customer_id, ttl_seconds=3600 + len(fresh))
        started = time.perf_counter_ns()
        verifier.verify(other)
        fresh.append((time.perf_counter_ns() - started) / 1000)
    return {
        "same_token_median_us": round(statistics.median(samples), 2),
        "new_token_median_us": round(statistics.median(fresh), 2),
        "iterations": iterations,
    }


def git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            # The results file this run appends to does not make the code dirty.
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs"],  # noqa: S607 - git from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


ROW_HEADERS = (
    "date",
    "commit",
    "cores",
    "workers",
    "tenants x callers",
    "ceiling RPC/s",
    "floor RPC/s",
    "call start RPC/s",
    "x ceiling",
    "x floor",
    "call start p99 ms (floor)",
    "server CPU ms/RPC (floor)",
    "whole calls RPC/s",
    "whole-call errors",
    "noisy p99 idle / flood (x idle)",
    "token µs",
    "p50 empty / small / full ms",
    "RSS MiB per worker: idle / soak start / end",
    "note",
)
# Rows before the floor was measured (issue 16) stay in their own, older table.
TABLE_TITLE = "## Runs: Alice, the floor and the ceiling"


def record_row(path: Path, figures: dict[str, Any], note: str) -> None:
    """Add one dated row at the end of the results table of docs/PERFORMANCE.md."""
    s = figures["scenarios"]

    def get(*keys: str) -> Any:
        value: Any = s
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                return "-"
            value = value[key]
        return value

    c = "10"
    whole_errors = get("whole_call", c, "errors")
    soak = figures.get("soak")
    rss = "-"
    if soak:
        workers = [k for k in soak["processes"] if k.startswith("worker")]
        rss = (
            "; ".join(
                f"{soak['processes'][k]['idle_before']} / {soak['processes'][k]['start']} / "
                f"{soak['processes'][k]['end']}"
                for k in workers
            )
            + f" ({soak['minutes']:g} min)"
        )
    row = [
        figures["date"],
        figures["commit"],
        str(figures["cores"]),
        str(figures["workers"]),
        f"{figures['size']['tenants']}x{figures['size']['callers']}",
        str(get("ceiling", c, "rpc_per_second")),
        str(get("floor", c, "rpc_per_second")),
        str(get("call_start", c, "rpc_per_second")),
        str(get("call_start", c, "ratio_to_ceiling")),
        str(get("call_start", c, "ratio_to_floor")),
        f"{get('call_start', c, 'per_rpc', 'GetEnrichedContext', 'p99_ms')} "
        f"({get('floor', c, 'per_rpc', 'GetEnrichedContext', 'p99_ms')})",
        f"{get('call_start', c, 'server_cpu_ms_per_rpc')} "
        f"({get('floor', c, 'server_cpu_ms_per_rpc')})",
        str(get("whole_call", c, "rpc_per_second")),
        str(sum(whole_errors.values()) if isinstance(whole_errors, dict) else "-"),
        f"{get('noisy', c, 'idle_p99_ms')} / {get('noisy', c, 'flood_p99_ms')} ms "
        f"({get('noisy', c, 'p99_ratio')}x), {get('noisy', c, 'flood_errors')} err",
        str(figures.get("token", {}).get("same_token_median_us", "-")),
        f"{figures.get('empty_vs_full', {}).get('empty_p50_ms', '-')} / "
        f"{figures.get('empty_vs_full', {}).get('small_p50_ms', '-')} / "
        f"{figures.get('empty_vs_full', {}).get('full_p50_ms', '-')}",
        rss,
        note,
    ]
    line = "| " + " | ".join(row) + " |"
    header_line = "| " + " | ".join(ROW_HEADERS) + " |"
    lines = path.read_text().splitlines() if path.exists() else []
    header = next((i for i, text in enumerate(lines) if text == header_line), None)
    if header is None:  # no table of this shape yet: start one at the end
        lines += ["", TABLE_TITLE, "", header_line, "|---" * len(ROW_HEADERS) + "|"]
        header = len(lines) - 2
    end = header + 1
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    lines.insert(end, line)
    path.write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------- memory over time


def rss_mib(pid: int) -> float | None:
    """VmRSS of a process in MiB (None once it has gone)."""
    with suppress(OSError):
        for text in Path(f"/proc/{pid}/status").read_text().splitlines():
            if text.startswith("VmRSS:"):
                return round(int(text.split()[1]) / 1024, 1)
    return None


def rss_by_process(server: Server) -> dict[str, float]:
    """RSS of the supervisor, each worker and each summariser, keyed 'role pid'."""
    found = {f"supervisor {server.process.pid}": rss_mib(server.process.pid)}
    for pid, role in profile_targets(server.process.pid).items():
        found[f"{role} {pid}"] = rss_mib(pid)
    return {k: v for k, v in found.items() if v is not None}


async def soak_phase(
    server: Server, minutes: float, worker: Worker, concurrency: int = 10
) -> dict[str, Any]:
    """Whole calls for `minutes` at `concurrency`, the RSS of every server process read
    before (idle), 20 times during (under load) and after (idle again)."""
    seconds = minutes * 60
    progress(f"soak: whole calls, concurrency {concurrency}, {seconds:.0f} s")
    idle_before = rss_by_process(server)
    recorder, stop = Recorder(), asyncio.Event()
    tasks = [asyncio.create_task(worker(i, recorder, stop)) for i in range(concurrency)]
    samples: list[tuple[float, dict[str, float]]] = []
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        await asyncio.sleep(min(seconds / 20, seconds - elapsed))
        samples.append((time.perf_counter() - started, rss_by_process(server)))
    stop.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    await asyncio.sleep(2)  # the last calls' work settles
    idle_after = rss_by_process(server)
    first, middle, last = samples[0][1], samples[len(samples) // 2][1], samples[-1][1]
    processes = {}
    for key in idle_before | last:
        series = [sample.get(key) for _, sample in samples]
        known = [v for v in series if v is not None]
        processes[key] = {
            "idle_before": idle_before.get(key),
            "start": first.get(key),
            "middle": middle.get(key),
            "end": last.get(key),
            "max_under_load": max(known) if known else None,
            "idle_after": idle_after.get(key),
        }
    rpcs = recorder.ok + recorder.error_count
    return {
        "minutes": minutes,
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "rpcs": rpcs,
        "rpc_per_second": round(rpcs / elapsed, 1) if elapsed else None,
        "calls": len(recorder.latencies.get("ProcessCall", [])),
        "errors": recorder.error_count,
        "error_samples": recorder.samples,
        "sample_seconds": [round(t, 1) for t, _ in samples],
        "processes": processes,
    }


def print_soak(soak: dict[str, Any]) -> None:
    out()
    out(
        f"soak: whole calls for {soak['minutes']:g} min at concurrency {soak['concurrency']}: "
        f"{soak['calls']} calls, {soak['rpcs']} RPCs ({soak['rpc_per_second']} RPC/s), "
        f"{soak['errors']} errors; RSS in MiB (VmRSS), start / middle / end = the first, "
        f"middle and last of {len(soak['sample_seconds'])} readings under load"
    )
    rows = [
        [
            name,
            p["idle_before"],
            p["start"],
            p["middle"],
            p["end"],
            p["max_under_load"],
            p["idle_after"],
            round(p["end"] - p["start"], 1) if p["end"] is not None and p["start"] else "",
        ]
        for name, p in sorted(soak["processes"].items())
    ]
    out(
        table(
            ("process", "idle", "start", "middle", "end", "max", "idle after", "end - start"),
            rows,
        )
    )


# --------------------------------------------------------------------------- the run


async def benchmark(args: argparse.Namespace, figures: dict[str, Any]) -> int:
    size = Size(args.tenants, args.callers, args.memories, args.summaries)
    secret = secrets.token_urlsafe(48)
    rng = random.Random(args.seed)  # noqa: S311 - test data, not security
    figures.update(
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        commit=git_commit(),
        cores=os.cpu_count(),
        workers=args.workers,
        channels=args.channels,
        size=size.__dict__,
        scenarios=defaultdict(dict),
    )
    out(
        f"Alice at scale: {size.label}; {figures['cores']} cores, ALICE_WORKERS={args.workers}, "
        f"client: 1 process, {args.channels} connections; commit {figures['commit']}"
    )
    async with bench_database(args, size) as db:
        tenants = [
            Tenant(i, (("authorization", f"Bearer {mint_token(secret, i, ttl_seconds=4 * 3600)}"),))
            for i in db.tenant_ids
        ]
        quiet = tenants[1:] if len(tenants) > 1 else tenants
        bare_cmd = [
            sys.executable,
            str(ROOT / "benchmarks" / "bare_server.py"),
            "--processes",
            str(args.workers),
        ]
        alice_cmd = [_server_script(), "--listen", "127.0.0.1:0"]
        ceilings: dict[int, float] = {}
        floors: dict[int, float] = {}
        full_p50 = None
        profiles: dict[str, Any] = {}
        figures["profiles"] = profiles
        backends: dict[str, Any] = {}
        figures["postgres_backends"] = backends
        phases: list[tuple[str, Phase, float | None, float | None]] = []
        failures = 0

        # The ceiling, the floor and Alice run side by side; their call-start phases
        # alternate (bare, floor, Alice, bare, floor, Alice, ...: --rounds), so that a
        # change in the machine's speed during the run touches all three alike.
        async with (
            start_server(bare_cmd, dict(os.environ), None) as bare,
            start_server([*bare_cmd, "--floor", db.app_url], dict(os.environ), db.name) as floor,
            start_server(
                alice_cmd, alice_env(db.app_url, secret, args.workers, False), db.name
            ) as alice,
        ):
            bare_client = Client(bare.address, args.channels)
            floor_client = Client(floor.address, args.channels)
            client = Client(alice.address, args.channels)
            meter = CpuMeter(alice, db.owner_url)
            contenders = (
                ("ceiling (bare servicer)", bare_client, CpuMeter(bare, None), "bare"),
                (
                    "floor (one asyncpg round trip)",
                    floor_client,
                    CpuMeter(floor, db.owner_url),
                    "floor",
                ),
                ("call start", client, meter, "alice"),
            )

            def worker_of(kind: str, of: Client) -> Worker:
                if kind == "bare":
                    return bare_worker(of, tenants)
                if kind == "search":
                    return search_worker(of, tenants, size, rng)
                return call_start_worker(of, tenants, size.callers, rng, floor=kind == "floor")

            try:
                for _, of, _, kind in contenders:
                    await run_phase("warm-up", None, 10, 2, worker_of(kind, of))
                for c in args.concurrency if "start" in args.scenarios else ():
                    rounds: dict[str, list[Phase]] = defaultdict(list)
                    for r in range(args.rounds):
                        for name, of, its_meter, kind in contenders:
                            rounds[kind].append(
                                await run_phase(
                                    f"{name}, round {r + 1}/{args.rounds}",
                                    its_meter,
                                    c,
                                    args.duration,
                                    worker_of(kind, of),
                                )
                            )
                    ceiling_phase, floor_phase, alice_phase = (
                        merged(rounds[k]) for k in ("bare", "floor", "alice")
                    )
                    ceilings[c] = ceiling_phase.figures()["rpc_per_second"]
                    floors[c] = floor_phase.figures()["rpc_per_second"]
                    figures["scenarios"]["ceiling"][str(c)] = ceiling_phase.figures()
                    figures["scenarios"]["floor"][str(c)] = floor_phase.figures(ceilings[c])
                    figures["scenarios"]["call_start"][str(c)] = alice_phase.figures(
                        ceilings[c], floors[c]
                    )
                    figures["scenarios"]["call_start_rounds"][str(c)] = [
                        {
                            kind: rounds[kind][r].figures()["rpc_per_second"]
                            for kind in ("bare", "floor", "alice")
                        }
                        for r in range(args.rounds)
                    ]
                    phases.append(("ceiling: bare servicer", ceiling_phase, None, None))
                    phases.append(("floor: + one round trip", floor_phase, ceilings[c], None))
                    phases.append(("1 call start", alice_phase, ceilings[c], floors[c]))
                    failures += floor_phase.recorder.error_count + alice_phase.recorder.error_count
                if args.paced and "start" in args.scenarios:
                    paced: dict[str, list[Phase]] = defaultdict(list)
                    for r in range(args.rounds):
                        for name, of, its_meter, kind in contenders:
                            if kind == "bare":
                                continue
                            paced[kind].append(
                                await run_paced_phase(
                                    f"{name} paced, round {r + 1}/{args.rounds}",
                                    its_meter,
                                    args.paced,
                                    args.duration,
                                    call_start_once(
                                        of, tenants, size.callers, rng, floor=kind == "floor"
                                    ),
                                )
                            )
                    floor_paced, alice_paced = (merged(paced[k]) for k in ("floor", "alice"))
                    figures["scenarios"]["paced"] = {
                        "rate": args.paced,
                        "floor": floor_paced.figures(),
                        "call_start": alice_paced.figures(),
                    }
                    phases.append((f"floor, {args.paced:g}/s paced", floor_paced, None, None))
                    phases.append((f"call start, {args.paced:g}/s paced", alice_paced, None, None))
                    failures += floor_paced.recorder.error_count + alice_paced.recorder.error_count
                for c in args.concurrency if "whole" in args.scenarios else ():
                    phase = await run_phase(
                        "whole calls",
                        meter,
                        c,
                        args.duration,
                        whole_call_worker(client, tenants, size, rng),
                    )
                    figures["scenarios"]["whole_call"][str(c)] = phase.figures(ceilings.get(c))
                    phases.append(("2 whole calls", phase, ceilings.get(c), floors.get(c)))
                    failures += phase.recorder.error_count
                for c in args.concurrency if "search" in args.scenarios else ():
                    phase = await run_phase(
                        "searches",
                        meter,
                        c,
                        args.duration,
                        search_worker(client, tenants, size, rng),
                    )
                    figures["scenarios"]["search"][str(c)] = phase.figures()
                    phases.append(("searches", phase, None, None))
                    failures += phase.recorder.error_count
                if args.paced and "search" in args.scenarios:
                    # Each pair is two searches: half the rate of pairs gives RATE searches/s.
                    phase = await run_paced_phase(
                        "searches paced",
                        meter,
                        args.paced / 2,
                        args.duration,
                        search_once(client, tenants, size, rng),
                    )
                    figures["scenarios"]["search_paced"] = {
                        "rate": args.paced,
                        **phase.figures(),
                    }
                    phases.append((f"searches, {args.paced:g}/s paced", phase, None, None))
                    failures += phase.recorder.error_count
                if "empty" in args.scenarios:
                    phase = await run_phase(
                        "call start, concurrency 1 (full database)",
                        meter,
                        1,
                        args.duration,
                        call_start_worker(client, tenants, size.callers, rng),
                    )
                    per_rpc = phase.figures()["per_rpc"]
                    full_p50 = per_rpc.get("GetEnrichedContext", {}).get("p50_ms")
                    failures += phase.recorder.error_count
                if args.soak:
                    soak = await soak_phase(
                        alice, args.soak, whole_call_worker(client, tenants, size, rng)
                    )
                    figures["soak"] = soak
                    failures += soak["errors"]
                if args.profile:
                    targets = [
                        ("call start", "alice", client, alice),
                        ("floor", "floor", floor_client, floor),
                    ]
                    if "search" in args.scenarios:
                        targets.append(("searches", "search", client, alice))
                    for label, kind, of, target in targets:
                        spies = await profile_server(
                            target, args.duration, args.profile, label.replace(" ", "-")
                        )
                        sampler = asyncio.create_task(sample_backends(db.owner_url, db.name))
                        await run_phase(
                            f"{label}, profiled with py-spy (figures not used)",
                            None,
                            10,
                            args.duration,
                            worker_of(kind, of),
                        )
                        profiles[f"{label}, concurrency 10"] = await finish_profiles(spies)
                        sampler.cancel()
                        backends[f"{label}, concurrency 10"] = await sampler
            finally:
                for each in (bare_client, floor_client, client):
                    await each.close()

        # (3) with the production rate limit on, so the flooder meets it.
        noisy_rows = []
        if "noisy" in args.scenarios:
            async with start_server(
                alice_cmd, alice_env(db.app_url, secret, args.workers, True), db.name
            ) as alice:
                client = Client(alice.address, args.channels)
                meter = CpuMeter(alice, db.owner_url)
                try:
                    await run_phase(
                        "warm-up", None, 10, 2, call_start_worker(client, quiet, size.callers, rng)
                    )
                    for c in args.concurrency:
                        idle = await run_phase(
                            "noisy neighbour: idle",
                            meter,
                            c,
                            args.duration,
                            call_start_worker(client, quiet, size.callers, rng),
                        )
                        flood_recorder = Recorder()
                        flood = await run_phase(
                            "noisy neighbour: flood",
                            meter,
                            c,
                            args.duration,
                            call_start_worker(client, quiet, size.callers, rng),
                            flood_workers(
                                client,
                                tenants[FLOOD_TENANT],
                                size,
                                rng,
                                args.flood_searches,
                                args.flood_calls,
                            ),
                            flood_recorder,
                        )
                        i_f, f_f = idle.figures(), flood.figures()
                        ip = i_f["per_rpc"].get("GetEnrichedContext", {})
                        fp = f_f["per_rpc"].get("GetEnrichedContext", {})
                        flood_ok = {k: len(v) for k, v in flood_recorder.latencies.items()}
                        entry = {
                            "idle": i_f,
                            "flood": f_f,
                            "idle_p50_ms": ip.get("p50_ms"),
                            "idle_p99_ms": ip.get("p99_ms"),
                            "flood_p50_ms": fp.get("p50_ms"),
                            "flood_p99_ms": fp.get("p99_ms"),
                            "idle_errors": idle.recorder.error_count,
                            "flood_errors": flood.recorder.error_count,
                            "flooder_ok": flood_ok,
                            "flooder_errors": dict(flood_recorder.errors),
                            "p99_ratio": round(fp["p99_ms"] / ip["p99_ms"], 2)
                            if ip and fp
                            else None,
                        }
                        figures["scenarios"]["noisy"][str(c)] = entry
                        noisy_rows.append(
                            [
                                c,
                                i_f["rpc_per_second"],
                                entry["idle_errors"],
                                entry["idle_p50_ms"],
                                entry["idle_p99_ms"],
                                f_f["rpc_per_second"],
                                entry["flood_errors"],
                                entry["flood_p50_ms"],
                                entry["flood_p99_ms"],
                                entry["p99_ratio"],
                                f"{i_f['server_cpu_share_of_one_core']} / "
                                f"{f_f['server_cpu_share_of_one_core']}",
                                f"{i_f['pg_cpu_share_of_one_core']} / "
                                f"{f_f['pg_cpu_share_of_one_core']}",
                                ", ".join(f"{k} {v}" for k, v in sorted(flood_ok.items())),
                                ", ".join(
                                    f"{k} {v}" for k, v in sorted(flood_recorder.errors.items())
                                )
                                or "none",
                            ]
                        )
                        failures += idle.recorder.error_count + flood.recorder.error_count
                    if args.profile:
                        spies = await profile_server(alice, args.duration, args.profile, "flood")
                        sampler = asyncio.create_task(sample_backends(db.owner_url, db.name))
                        await run_phase(
                            "noisy neighbour: flood, profiled with py-spy (figures not used)",
                            None,
                            10,
                            args.duration,
                            call_start_worker(client, quiet, size.callers, rng),
                            flood_workers(
                                client,
                                tenants[FLOOD_TENANT],
                                size,
                                rng,
                                args.flood_searches,
                                args.flood_calls,
                            ),
                        )
                        profiles["noisy neighbour flood, concurrency 10"] = await finish_profiles(
                            spies
                        )
                        sampler.cancel()
                        backends["noisy neighbour flood, concurrency 10"] = await sampler
                finally:
                    await client.close()

        empty_p50 = small_p50 = None
        if not args.skip_empty and "empty" in args.scenarios:
            async with temporary_database(args.database_url) as empty:
                connection = await asyncpg.connect(empty.owner_url)
                try:
                    ids = [
                        await connection.fetchval(
                            "INSERT INTO customers (business_name) VALUES ($1) RETURNING id",
                            f"Empty {t}",
                        )
                        for t in range(size.tenants)
                    ]
                finally:
                    await connection.close()
                empty_tenants = [
                    Tenant(i, (("authorization", f"Bearer {mint_token(secret, i)}"),)) for i in ids
                ]
                async with start_server(
                    alice_cmd, alice_env(empty.app_url, secret, args.workers, False), None
                ) as alice:
                    client = Client(alice.address, args.channels)
                    try:
                        await run_phase(
                            "warm-up",
                            None,
                            10,
                            2,
                            call_start_worker(client, empty_tenants, size.callers, rng),
                        )
                        phase = await run_phase(
                            "call start, concurrency 1 (empty database)",
                            None,
                            1,
                            args.duration,
                            call_start_worker(client, empty_tenants, size.callers, rng),
                        )
                        empty_p50 = (
                            phase.figures()["per_rpc"].get("GetEnrichedContext", {}).get("p50_ms")
                        )
                        failures += phase.recorder.error_count
                        # The same callers as at full scale (same memories, summaries and
                        # personality per caller), but only SMALL_CALLERS per tenant.
                        small = Size(size.tenants, SMALL_CALLERS, size.memories, size.summaries)
                        connection = await asyncpg.connect(empty.owner_url)
                        try:
                            await load(connection, small)
                            ids = [
                                r["id"]
                                for r in await connection.fetch(
                                    "SELECT id FROM customers "
                                    "WHERE business_name LIKE 'Bench tenant %' ORDER BY id"
                                )
                            ]
                        finally:
                            await connection.close()
                        small_tenants = [
                            Tenant(i, (("authorization", f"Bearer {mint_token(secret, i)}"),))
                            for i in ids
                        ]
                        phase = await run_phase(
                            f"call start, concurrency 1 (small database: {small.label})",
                            None,
                            1,
                            args.duration,
                            call_start_worker(client, small_tenants, SMALL_CALLERS, rng),
                        )
                        small_p50 = (
                            phase.figures()["per_rpc"].get("GetEnrichedContext", {}).get("p50_ms")
                        )
                        failures += phase.recorder.error_count
                    finally:
                        await client.close()
        figures["empty_vs_full"] = {
            "empty_p50_ms": empty_p50,
            "small_p50_ms": small_p50,
            "small_callers_per_tenant": SMALL_CALLERS,
            "full_p50_ms": full_p50,
        }
        figures["token"] = token_cost(secret, db.tenant_ids[0], args.token_iterations)

    out()
    out("Scenarios (client-side latency of successful RPCs; CPU from /proc of the server's")
    out("processes and the database's PostgreSQL backends; 'x ceiling' = RPC/s / bare RPC/s,")
    out(f"'x floor' = RPC/s / the floor's RPC/s; call starts: {args.rounds} interleaved round(s)):")
    if phases:
        out(phase_rows(phases))
    out()
    if noisy_rows:
        out(
            f"3 noisy neighbour: {len(quiet)} tenants' call starts, alone (idle) and while "
            f"tenant 1 floods ({args.flood_searches} long searches + {args.flood_calls} ~0.8 MB "
            "ProcessCalls in flight, rate limit on)"
        )
        out(
            table(
                (
                    "conc",
                    "idle RPC/s",
                    "idle err",
                    "idle p50",
                    "idle p99",
                    "flood RPC/s",
                    "flood err",
                    "flood p50",
                    "flood p99",
                    "p99 x idle",
                    "srv CPU idle/flood",
                    "PG CPU idle/flood",
                    "flooder ok",
                    "flooder errors",
                ),
                noisy_rows,
            )
        )
    token = figures["token"]
    out()
    out(
        f"token verification (TokenVerifier.verify, {token['iterations']} calls): median "
        f"{token['same_token_median_us']} µs for a token seen before, "
        f"{token['new_token_median_us']} µs for a new one"
    )
    out(
        f"call start p50 at concurrency 1: empty database (every caller new) {empty_p50} ms; "
        f"the same callers in a small database ({SMALL_CALLERS} per tenant) {small_p50} ms; "
        f"full scale {full_p50} ms"
    )
    if figures.get("soak"):
        print_soak(figures["soak"])
    for title, per_process in figures["profiles"].items():
        print_profiles(title, per_process)
    for title, states in figures["postgres_backends"].items():
        out()
        out(
            f"PostgreSQL backends of the benchmark database during '{title}' "
            f"({states['samples']} samples of pg_stat_activity, 5 per second): mean number by "
            "state and wait event"
        )
        for state, mean in states["mean_backends"]:
            out(f"  {mean:6.2f}  {state}")
    return 1 if failures else 0


# --------------------------------------------------------------------------- replicas


async def replicas_benchmark(args: argparse.Namespace, figures: dict[str, Any]) -> int:
    """--replicas 1,2,3: call starts through ONE chad_client AliceClient given every
    replica's address (round_robin), against 1, 2, 3 `alice-server` processes
    (ALICE_WORKERS=1 each, one database), side by side in one run: the replica
    counts alternate round by round (--rounds), so a change in the machine's speed
    touches them alike. CPU per call start: the replicas' processes plus
    PostgreSQL's backends."""
    size = Size(args.tenants, args.callers, args.memories, args.summaries)
    secret = secrets.token_urlsafe(48)
    rng = random.Random(args.seed)  # noqa: S311 - test data, not security
    counts = sorted(set(args.replicas))
    figures.update(
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        commit=git_commit(),
        cores=os.cpu_count(),
        replicas=counts,
        size=size.__dict__,
        scenarios=defaultdict(dict),
    )
    out(
        f"Alice replicas: {size.label}; {figures['cores']} cores; 1, ... {counts[-1]} "
        f"alice-server processes (ALICE_WORKERS=1 each), one AliceClient over all of them; "
        f"commit {figures['commit']}"
    )
    alice_cmd = [_server_script(), "--listen", "127.0.0.1:0"]
    failures = 0
    async with bench_database(args, size) as db, contextlib.AsyncExitStack() as stack:
        env = alice_env(db.app_url, secret, 1, False)
        servers = [
            await stack.enter_async_context(start_server(alice_cmd, env, db.name))
            for _ in range(counts[-1])
        ]
        clients = {
            n: AliceClient(
                [s.address for s in servers[:n]],
                secret=secret,
                timeouts=Timeouts(context=RPC_TIMEOUT),
            )
            for n in counts
        }
        for client in clients.values():
            stack.push_async_callback(client.close)

        def worker(client: AliceClient) -> Worker:
            async def work(i: int, recorder: Recorder, stop: asyncio.Event) -> None:
                while not stop.is_set():
                    tenant = client.for_customer(rng.choice(db.tenant_ids))
                    user = caller_number(0, rng.randrange(size.callers))
                    started = time.perf_counter()
                    try:
                        await tenant.get_enriched_context(user)
                    except AliceError as exc:
                        recorder.errors[f"GetEnrichedContext {exc.code.name}"] += 1
                        if len(recorder.samples) < 5:
                            recorder.samples.append(f"{exc.code.name}: {exc.details}")
                        continue
                    elapsed = (time.perf_counter() - started) * 1000
                    recorder.latencies["GetEnrichedContext"].append(elapsed)

            return work

        meters = {n: MultiCpuMeter(servers[:n], db.owner_url) for n in counts}
        for n in counts:
            await run_phase(f"warm-up, {n} replicas", None, 10, 2, worker(clients[n]))
        phases: list[tuple[str, Phase, float | None, float | None]] = []
        for c in args.concurrency:
            rounds: dict[int, list[Phase]] = defaultdict(list)
            client_cpu: dict[int, float] = defaultdict(float)  # the one client process's
            for r in range(args.rounds):
                for n in counts:
                    before = time.process_time()
                    rounds[n].append(
                        await run_phase(
                            f"{n} replicas, round {r + 1}/{args.rounds}",
                            meters[n],  # type: ignore[arg-type]
                            c,
                            args.duration,
                            worker(clients[n]),
                        )
                    )
                    client_cpu[n] += time.process_time() - before
            one = None
            for n in counts:
                phase = merged(rounds[n])
                found = phase.figures()
                calls = found["rpcs"] or 1
                found["client_cpu_ms_per_rpc"] = round(client_cpu[n] * 1000 / calls, 3)
                found["client_cpu_share_of_one_core"] = round(client_cpu[n] / phase.seconds, 2)
                if one is None:
                    one = found["rpc_per_second"]
                found["x_first"] = round(found["rpc_per_second"] / one, 2) if one else None
                figures["scenarios"][f"replicas_{n}"][str(c)] = found
                phases.append((f"call start, {n} replicas", phase, None, None))
                failures += phase.recorder.error_count
        out()
        out(phase_rows(phases))
        out()
        out(
            "replicas  concurrency   RPC/s  x first  p50 ms  p99 ms  "
            "CPU ms per call start: servers + PostgreSQL (client; client's cores)"
        )
        for n in counts:
            for c, found in figures["scenarios"][f"replicas_{n}"].items():
                latency = found["per_rpc"].get("GetEnrichedContext", {})
                server_ms = found["server_cpu_ms_per_rpc"] or 0.0
                pg_ms = found["pg_cpu_ms_per_rpc"] or 0.0
                out(
                    f"{n:>8}  {c:>11}  {found['rpc_per_second']:>6.1f}  {found['x_first']:>7.2f}  "
                    f"{latency.get('p50_ms', math.nan):>6.1f}  "
                    f"{latency.get('p99_ms', math.nan):>6.1f}  "
                    f"{server_ms + pg_ms:.2f} = {server_ms:.2f} + {pg_ms:.2f} "
                    f"({found['client_cpu_ms_per_rpc']:.2f}; "
                    f"{found['client_cpu_share_of_one_core']:.2f})"
                )
        out(f"call-start errors: {failures}")
    return 1 if failures else 0


class MultiCpuMeter:
    """CpuMeter over several servers: their processes and PostgreSQL's backends
    (the bench database's, counted once)."""

    def __init__(self, servers: Sequence[Server], owner_url: str) -> None:
        self.meters = [
            CpuMeter(server, owner_url if i == 0 else None) for i, server in enumerate(servers)
        ]

    async def start(self) -> None:
        for meter in self.meters:
            await meter.start()

    async def stop(self) -> tuple[float, float]:
        server = pg = 0.0
        for meter in self.meters:
            one_server, one_pg = await meter.stop()
            server += one_server
            pg += one_pg if not math.isnan(one_pg) else 0.0
        return server, pg


@asynccontextmanager
async def bench_database(args: argparse.Namespace, size: Size) -> AsyncIterator[BenchDatabase]:
    name = args.database
    temporary = args.quick and args.database == DEFAULT_NAME
    if temporary:
        name = f"alice_bench_quick_{uuid.uuid4().hex[:8]}"
    db = await prepare_database(args.database_url, name, size, args.reload)
    try:
        yield db
    finally:
        if temporary or args.drop:
            admin = await asyncpg.connect(libpq_url(args.database_url))
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                # The service role and the platform role migration 0005 creates.
                for role in (f"{name}_app", f"{name}_app_platform"):
                    await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
            finally:
                await admin.close()
            progress(f"dropped database {name} and roles {name}_app, {name}_app_platform")
        else:
            progress(f"kept database {name} for the next run (--drop removes it)")


DEFAULT_NAME = "alice_bench"
SCENARIOS = ("start", "whole", "search", "noisy", "empty")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("ALICE_TEST_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="a superuser URL (default: $ALICE_TEST_DATABASE_URL or %(default)s)",
    )
    parser.add_argument(
        "--database",
        default=DEFAULT_NAME,
        help="database holding the data set, kept between runs (default %(default)s)",
    )
    parser.add_argument(
        "--reload", action="store_true", help="load the data again even if the database holds it"
    )
    parser.add_argument(
        "--drop", action="store_true", help="drop the database and its role at the end"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small smoke run (4 tenants x 20 callers, 2 s phases, concurrency 10) in a "
        "throw-away database",
    )
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--callers", type=int, default=1000, help="callers per tenant")
    parser.add_argument("--memories", type=int, default=50, help="memories per caller")
    parser.add_argument("--summaries", type=int, default=20, help="call summaries per caller")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured phase")
    parser.add_argument(
        "--concurrency",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[10, 50],
        help="comma-separated (default 10,50)",
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        help="ALICE_RATE_LIMIT_PER_SECOND of the noisy-neighbour server (default: the "
        "server's own; 1000 with --quick)",
    )
    parser.add_argument(
        "--semantic-search",
        choices=("auto", "on", "off"),
        help="ALICE_SEMANTIC_SEARCH of the measured server (default: its own default); "
        "compare off (keyword only) with on for SearchMemories and StoreMemory",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="ALICE_WORKERS, and the bare server's processes (default: cores)",
    )
    parser.add_argument(
        "--channels", type=int, default=8, help="client connections (default %(default)s)"
    )
    parser.add_argument(
        "--scenarios",
        type=lambda v: set(v.split(",")),
        default=set(SCENARIOS),
        help="comma-separated subset of " + ",".join(SCENARIOS) + " (default: all): start = "
        "ceiling, floor and call start; whole = whole calls; search = hybrid SearchMemories and "
        "GetEnrichedContext with a query; noisy = noisy neighbour; empty = call start by "
        "database size",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="interleaved rounds of ceiling, floor and call start per concurrency "
        "(default %(default)s; 1 with --quick)",
    )
    parser.add_argument(
        "--soak",
        type=float,
        default=0.0,
        metavar="MINUTES",
        help="also run whole calls for MINUTES and report every server process's RSS "
        "idle, at the start, middle and end of the load, and idle again",
    )
    parser.add_argument(
        "--paced",
        type=float,
        default=0,
        metavar="RATE",
        help="with the start scenario, also call starts on the floor and Alice at RATE per "
        "second, evenly spaced whatever the latency (an open loop, as calls arrive), --rounds "
        "times each, interleaved; with the search scenario, searches at RATE per second "
        "(default: off)",
    )
    parser.add_argument("--flood-searches", type=int, default=20)
    parser.add_argument("--flood-calls", type=int, default=4)
    parser.add_argument("--token-iterations", type=int, default=20_000)
    parser.add_argument(
        "--skip-empty", action="store_true", help="skip the empty-database comparison"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="also profile the server with py-spy (pip install py-spy) during an extra call-start "
        "phase and an extra flood phase, writing raw stacks to DIR and a summary to the report",
    )
    parser.add_argument(
        "--replicas",
        type=lambda v: [int(x) for x in v.split(",")],
        metavar="N,N,...",
        help="instead of the scenarios: call starts through one AliceClient over 1, 2, 3 "
        "(e.g. 1,2,3) alice-server processes of ALICE_WORKERS=1, side by side",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument(
        "--record",
        type=Path,
        default=None,
        help="append a row to this file (default: docs/PERFORMANCE.md, except with --quick)",
    )
    parser.add_argument("--no-record", action="store_true", help="do not append a row")
    parser.add_argument("--note", default="", help="text for the row's note column")
    args = parser.parse_args(argv)
    if args.quick:
        args.tenants, args.callers, args.memories, args.summaries = 4, 20, 5, 3
        args.duration, args.concurrency, args.rounds = 2.0, [10], 1
        args.token_iterations = 2000
        args.flood_searches, args.flood_calls = 4, 1
        args.skip_empty = True
        if args.rate_limit is None:
            args.rate_limit = 1000.0
    if args.replicas:
        args.no_record = True  # its figures are not the PERFORMANCE.md row's
    if args.record is None and not args.quick:
        args.record = ROOT / "docs" / "PERFORMANCE.md"
    if args.no_record:
        args.record = None
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    return args


async def main_async(args: argparse.Namespace) -> int:
    global SEMANTIC_SEARCH, RATE_LIMIT  # read by alice_env, for every server this run starts
    SEMANTIC_SEARCH, RATE_LIMIT = args.semantic_search, args.rate_limit
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        if args.replicas:
            code = await replicas_benchmark(args, figures)
        else:
            code = await benchmark(args, figures)
    except (BenchmarkError, OSError, asyncpg.PostgresError) as exc:
        print(f"bench_scale: {exc}", file=sys.stderr)
        return 2
    figures["elapsed_s"] = round(time.perf_counter() - started, 1)
    out(f"wall time {figures['elapsed_s']:.0f} s; exit status {code}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
        progress(f"figures written to {args.json}")
    if args.record:
        record_row(args.record, figures, args.note)
        progress(f"row appended to {args.record}")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return asyncio.run(main_async(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
