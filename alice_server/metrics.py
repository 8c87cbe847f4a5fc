"""Prometheus metrics (prometheus-client), served over HTTP on ALICE_METRICS_ADDRESS.

Every series the server exports is declared here; `SERIES` lists their names
for the dashboard and alert-rule tests. Label values are bounded:

- `method`: one of the service's RPCs (only registered methods reach the
  interceptor), never anything a client invents;
- `code`: a gRPC status code name (17 values);
- `reason` (summariser fallbacks): one of FALLBACK_REASONS or http_<status>;
  (read fallbacks): `lag` or `unavailable`;
- `customer_id`: only on `alice_rpc_requests_total`,
  `alice_rate_limited_total` and `alice_follow_ups_overdue`, the series an
  operator reads per tenant. A call whose token is not valid has customer_id ""
  (no label value per bad token). A tenant adds at most (methods x codes it
  has seen) series to the first and one to each of the others; an erased
  tenant's overdue series goes at the next refresh.

With several server processes (ALICE_WORKERS=N) the metrics are prometheus-client's
multiprocess ones: the supervisor creates a private directory
(PROMETHEUS_MULTIPROC_DIR, set before any worker starts), each worker writes its
values there, and the supervisor alone serves ALICE_METRICS_ADDRESS, summing the
workers' counters and histograms (`SupervisorMetrics`). Each gauge says how its
workers' values combine (`multiprocess_mode`); see docs/operations.md ("Metrics
and dashboards").
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    multiprocess,
    start_http_server,
)

from alice_server import __version__
from alice_server.domain.summarizer import CallAnalysis, Summarizer, TranscriptTurn

# PROMETHEUS_MULTIPROC_DIR is read by prometheus-client when a metric is first
# created (below): a worker of ALICE_WORKERS finds it set by its supervisor.
MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
MULTIPROCESS = bool(os.environ.get(MULTIPROCESS_DIR_VARIABLE))

# No `_created` series: one more series per label set, and nothing reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus-client lacks the annotation

RPC_REQUESTS = Counter(
    "alice_rpc_requests",
    "RPCs finished, by method, customer (tenant) and gRPC status code.",
    ["method", "customer_id", "code"],
)
RPC_DURATION = Histogram(
    "alice_rpc_duration_seconds",
    "Time to serve an RPC, by method (all tenants together).",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RATE_LIMITED = Counter(
    "alice_rate_limited",
    "RPCs refused with RESOURCE_EXHAUSTED by the customer's rate limit.",
    ["customer_id"],
)
# multiprocess_mode: how the gauges of several workers (ALICE_WORKERS) combine into
# the one value the supervisor serves (ignored by a single process). "live": a
# dead worker's value goes with it.
DB_POOL_IN_USE = Gauge(
    "alice_db_pool_connections_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "alice_db_pool_connections",
    "Database connections open in the pool.",
    multiprocess_mode="livesum",
)
DB_POOL_WAITING = Gauge(
    "alice_db_pool_waiting",
    "Units of work waiting for a connection from the pool.",
    multiprocess_mode="livesum",
)
SUMMARIZER_QUEUE = Gauge(
    "alice_summarizer_queue_depth",
    "Calls handed to the summariser and not finished (queued or running).",
    multiprocess_mode="livesum",
)
SUMMARIZER_DURATION = Histogram(
    "alice_summarizer_duration_seconds",
    "Time to summarise one call, queueing included.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SUMMARIZER_FALLBACKS = Counter(
    "alice_summarizer_fallbacks",
    "Calls the LLM summariser (ALICE_SUMMARIZER=openai) handed to the built-in one, by "
    "reason: timeout, unreachable, http_<status>, malformed, refused, truncated, invalid.",
    ["reason"],
)
# Known from the start (0 until it happens), so that a rate() or an alert sees the
# series before the first fallback. http_<status> appears when a status is first seen.
FALLBACK_REASONS = ("timeout", "unreachable", "malformed", "refused", "truncated", "invalid")
READ_FALLBACKS = Counter(
    "alice_read_fallbacks",
    "Reads meant for the read replica (ALICE_READ_DATABASE_URL) that went to the primary, "
    "by reason: lag (the standby had not replayed the client's last write, or lags more "
    "than about 100 ms), unavailable (the standby cannot be reached or failed).",
    ["reason"],
)
STANDBY_READS = Counter(
    "alice_standby_reads", "Reads served by the read replica (ALICE_READ_DATABASE_URL)."
)
for _reason in ("lag", "unavailable"):
    READ_FALLBACKS.labels(_reason)
HEALTH_SERVING = Gauge(
    "alice_health_serving",
    "1 while the health service reports SERVING, 0 otherwise (database down, "
    "schema not at head, shutting down).",
    multiprocess_mode="livemin",  # 0 as soon as one worker is not serving
)
DB_UP = Gauge(
    "alice_database_up",
    "1 if the last database health probe succeeded, else 0.",
    multiprocess_mode="livemin",
)
FOLLOW_UPS_OVERDUE = Gauge(
    "alice_follow_ups_overdue",
    "Open follow-ups past their due time, per customer (tenant), as of the last refresh "
    "(every minute).",
    ["customer_id"],
    multiprocess_mode="livemax",  # every worker counts the same follow-ups
)
BUILD = Info("alice_build", "The running Alice version.")
BUILD.info({"version": __version__})

# Names as Prometheus exposes them (counters get _total; histograms
# _bucket/_sum/_count; Info _info).
SERIES: frozenset[str] = frozenset(
    {
        "alice_rpc_requests_total",
        "alice_rpc_duration_seconds_bucket",
        "alice_rpc_duration_seconds_sum",
        "alice_rpc_duration_seconds_count",
        "alice_rate_limited_total",
        "alice_db_pool_connections_in_use",
        "alice_db_pool_connections",
        "alice_db_pool_waiting",
        "alice_summarizer_queue_depth",
        "alice_summarizer_duration_seconds_bucket",
        "alice_summarizer_duration_seconds_sum",
        "alice_summarizer_duration_seconds_count",
        "alice_summarizer_fallbacks_total",
        "alice_read_fallbacks_total",
        "alice_standby_reads_total",
        "alice_health_serving",
        "alice_database_up",
        "alice_follow_ups_overdue",
        "alice_build_info",
    }
)


class TenantUsageCounter:
    """RPCs and failures per (customer, hour) since the last flush: the durable
    counts behind the console's usage charts. The hot path is one dict update;
    services.usage.UsageFlushTask adds them to tenant_usage every minute."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counts: dict[tuple[int, int], list[int]] = {}

    def count(self, customer_id: int, failed: bool) -> None:
        key = (customer_id, int(self._clock()) // 3600)
        entry = self._counts.get(key)
        if entry is None:
            self._counts[key] = [1, int(failed)]
        else:
            entry[0] += 1
            entry[1] += failed

    def take(self) -> dict[tuple[int, int], list[int]]:
        """Everything counted so far (customer, hour since the epoch) -> [rpcs, errors]."""
        counts, self._counts = self._counts, {}
        return counts

    def give_back(self, counts: dict[tuple[int, int], list[int]]) -> None:
        """Counts a flush could not write: added again, for the next flush."""
        for key, (rpcs, errors) in counts.items():
            entry = self._counts.setdefault(key, [0, 0])
            entry[0] += rpcs
            entry[1] += errors


# One per process, like the Prometheus series (each worker flushes its own).
TENANT_USAGE = TenantUsageCounter()


# The labelled children, looked up once per label set: `labels()` builds a key and
# takes the metric's lock on every call, on the path of every RPC. Bounded by the
# label values (see above); the registry keeps the same children anyway.
_REQUEST_CHILDREN: dict[tuple[str, int | None, str], Any] = {}
_DURATION_CHILDREN: dict[str, Any] = {}


def observe_rpc(method: str, customer_id: int | None, code: str, seconds: float) -> None:
    key = (method, customer_id, code)
    requests = _REQUEST_CHILDREN.get(key)
    if requests is None:
        requests = RPC_REQUESTS.labels(
            method, "" if customer_id is None else str(customer_id), code
        )
        _REQUEST_CHILDREN[key] = requests
    requests.inc()
    duration = _DURATION_CHILDREN.get(method)
    if duration is None:
        duration = _DURATION_CHILDREN[method] = RPC_DURATION.labels(method)
    duration.observe(seconds)
    if customer_id is not None:
        TENANT_USAGE.count(customer_id, code != "OK")


def summarizer_fallback(reason: str) -> None:
    SUMMARIZER_FALLBACKS.labels(reason).inc()


def _known_fallbacks() -> None:
    for reason in FALLBACK_REASONS:
        SUMMARIZER_FALLBACKS.labels(reason)


_known_fallbacks()


def rate_limited(customer_id: int | None) -> None:
    RATE_LIMITED.labels("" if customer_id is None else str(customer_id)).inc()


_overdue_tenants: set[str] = set()


def overdue_follow_ups(counts: dict[int, int]) -> None:
    """Publish a refresh: every tenant's count; tenants no longer listed are dropped."""
    current = {str(customer_id) for customer_id in counts}
    for gone in _overdue_tenants - current:
        if MULTIPROCESS:  # the shared file keeps a removed series' last value: 0 it first
            FOLLOW_UPS_OVERDUE.labels(gone).set(0)
        FOLLOW_UPS_OVERDUE.remove(gone)
    _overdue_tenants.clear()
    _overdue_tenants.update(current)
    for customer_id, count in counts.items():
        FOLLOW_UPS_OVERDUE.labels(str(customer_id)).set(count)


def watch_pool(stats: Callable[[], tuple[int, int, int]]) -> None:
    """Read the pool's (open, in use, waiting) at every scrape; in a worker of
    several (multiprocess mode, where nothing runs at a scrape), every second."""
    if not MULTIPROCESS:
        DB_POOL_SIZE.set_function(lambda: stats()[0])
        DB_POOL_IN_USE.set_function(lambda: stats()[1])
        DB_POOL_WAITING.set_function(lambda: stats()[2])
        return

    async def every_second() -> None:
        while True:
            size, in_use, waiting = stats()
            DB_POOL_SIZE.set(size)
            DB_POOL_IN_USE.set(in_use)
            DB_POOL_WAITING.set(waiting)
            await asyncio.sleep(POOL_WATCH_SECONDS)

    _pool_watchers.add(asyncio.get_running_loop().create_task(every_second()))


POOL_WATCH_SECONDS = 1.0
_pool_watchers: set[asyncio.Task[None]] = set()  # ends with the worker's event loop


class InstrumentedSummarizer:
    """A Summarizer that counts calls in flight and times each one."""

    def __init__(self, inner: Summarizer) -> None:
        self.inner = inner

    async def analyze(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        async with _timed_in_flight():
            return await self.inner.analyze(turns)


@asynccontextmanager
async def _timed_in_flight() -> AsyncIterator[None]:
    SUMMARIZER_QUEUE.inc()
    started = time.perf_counter()
    try:
        yield
    finally:
        SUMMARIZER_QUEUE.dec()
        SUMMARIZER_DURATION.observe(time.perf_counter() - started)


class MetricsEndpoint:
    """The HTTP endpoint Prometheus scrapes (`/metrics`), in a thread of its own:
    this process's metrics, or `registry`'s."""

    def __init__(self, address: str, registry: CollectorRegistry | None = None) -> None:
        host, _, port = address.rpartition(":")
        host = host.strip("[]") or "0.0.0.0"  # noqa: S104 - the operator chose the address
        self._server: Any
        self._thread: threading.Thread
        try:
            if registry is None:
                self._server, self._thread = start_http_server(int(port), host)
            else:
                self._server, self._thread = start_http_server(int(port), host, registry)
        except OSError as exc:
            raise OSError(
                f"cannot serve metrics on {address} (ALICE_METRICS_ADDRESS): {exc.strerror or exc}"
            ) from None
        self.port: int = int(self._server.server_port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def read_fallback(reason: str) -> None:
    READ_FALLBACKS.labels(reason).inc()


def standby_read() -> None:
    STANDBY_READS.inc()


# ------------------------------------------------------------- several workers, one endpoint

_supervised = False


def served_by_supervisor() -> None:
    """Called by a worker of ALICE_WORKERS: its supervisor serves ALICE_METRICS_ADDRESS."""
    global _supervised
    _supervised = True


def endpoint_of_its_own() -> bool:
    """False in a worker of several: it writes its metrics, the supervisor serves them."""
    return not _supervised


class SupervisorMetrics:
    """The one metrics endpoint of a supervisor and its workers (ALICE_WORKERS=N).

    Created before the workers start: a private directory, and
    PROMETHEUS_MULTIPROC_DIR set to it for the workers to inherit.
    `serve(address)` serves the sum of every worker's series there
    (MultiProcessCollector), plus `alice_build_info`; `worker_exited(pid)` drops
    a dead worker's live gauges; `close()` stops serving and removes the directory.
    """

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="alice-metrics-")  # mode 0700
        os.environ[MULTIPROCESS_DIR_VARIABLE] = self.directory
        self.endpoint: MetricsEndpoint | None = None

    def serve(self, address: str) -> MetricsEndpoint:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.directory)  # type: ignore[no-untyped-call]
        build = Info("alice_build", "The running Alice version.", registry=registry)
        build.info({"version": __version__})
        self.endpoint = MetricsEndpoint(address, registry)
        return self.endpoint

    def worker_exited(self, pid: int) -> None:
        multiprocess.mark_process_dead(pid, self.directory)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        if self.endpoint is not None:
            self.endpoint.close()
            self.endpoint = None
        if os.environ.get(MULTIPROCESS_DIR_VARIABLE) == self.directory:
            del os.environ[MULTIPROCESS_DIR_VARIABLE]
        shutil.rmtree(self.directory, ignore_errors=True)
