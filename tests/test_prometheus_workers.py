"""One metrics endpoint per host (issue 17, item 3): `alice-server` with ALICE_WORKERS=2
serves every worker's series on ALICE_METRICS_ADDRESS alone (prometheus-client's
multiprocess mode, a private PROMETHEUS_MULTIPROC_DIR of the supervisor's), and a
real Prometheus scraping that ONE target sees them summed; the alert rules load and
the series the dashboard and alerts name are all there.

Before: each worker served its own port (ALICE_METRICS_ADDRESS's port + i), so one
target showed one worker's calls only, and the pool gauges of one worker."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import grpc
import pytest
from prometheus_client import Gauge

from alice_server import metrics
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc
from tests.support.http import http_get
from tests.support.ports import free_port
from tests.support.processes import clean_env, server_process
from tests.support.prometheus import Prometheus

ROOT = Path(__file__).resolve().parents[1]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
CONTEXT = "/alice.memory.v1.ContextService/GetEnrichedContext"
WORKERS = 2
POOL_SIZE = 3
CONNECTIONS = 12  # the kernel spreads connections (not calls) over the workers
CALLS_PER_CONNECTION = 5

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="needs prometheus (apt-get install prometheus)"
)


def _pids(log: object) -> list[int]:
    text = "".join(log)  # type: ignore[call-overload]
    match = re.search(r"workers, pids ([\d, ]+);", text)
    assert match, text
    return [int(pid) for pid in match.group(1).split(", ")]


def _metrics_directory(pid: int) -> Path:
    """The worker's PROMETHEUS_MULTIPROC_DIR, from its environment."""
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    for entry in environ:
        if entry.startswith(b"PROMETHEUS_MULTIPROC_DIR="):
            return Path(entry.split(b"=", 1)[1].decode())
    raise AssertionError(f"worker {pid} has no PROMETHEUS_MULTIPROC_DIR")


@pytest.mark.slow
async def test_one_target_shows_every_workers_series_summed(
    database, secret, peterson, smith, caller_phone, tmp_path
):
    metrics_port = free_port()
    env = clean_env(
        DATABASE_URL=database.app_url,
        JWT_SECRET_KEY=secret,
        ALICE_WORKERS=str(WORKERS),
        ALICE_METRICS_ADDRESS=f"127.0.0.1:{metrics_port}",
        ALICE_DB_POOL_SIZE=str(POOL_SIZE),
        ALICE_SUMMARIZER_PROCESSES="1",
    )
    async with server_process(env) as (_, port, log):
        pids = _pids(log)
        directory = _metrics_directory(pids[0])
        assert _metrics_directory(pids[1]) == directory
        assert oct(directory.stat().st_mode & 0o777) == "0o700"  # private
        # Calls over many connections, so that every worker serves some.
        channels = [
            grpc.aio.insecure_channel(
                f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]
            )
            for _ in range(CONNECTIONS)
        ]
        try:
            request = ctx.GetEnrichedContextRequest(user_id=caller_phone)
            for channel in channels:
                stub = context_service_pb2_grpc.ContextServiceStub(channel)
                for _ in range(CALLS_PER_CONNECTION):
                    await stub.GetEnrichedContext(request, metadata=peterson.metadata())
                await stub.GetEnrichedContext(request, metadata=smith.metadata())
        finally:
            for channel in channels:
                await channel.close()
        # Every worker wrote its own counters to the shared directory.
        written = {
            int(m) for m in re.findall(r"counter_(\d+)\.db", " ".join(os.listdir(directory)))
        }
        assert set(pids) <= written, (pids, sorted(os.listdir(directory)))
        # No worker serves a port of its own: one target per host.
        for i in range(1, WORKERS + 1):
            with pytest.raises(OSError):
                http_get(f"http://127.0.0.1:{metrics_port + i}/metrics")

        # The one endpoint exports exactly the documented series, as one process does
        # (alice_rate_limited_total comes with the first refusal; none here).
        exposition = await asyncio.to_thread(http_get, f"http://127.0.0.1:{metrics_port}/metrics")
        exported = {
            line.split("{")[0].split(" ")[0]
            for line in exposition.splitlines()
            if line.startswith("alice_")
        }
        expected = metrics.SERIES - {"alice_rate_limited_total"}
        assert exported == expected, exported ^ expected

        prometheus = Prometheus(tmp_path, f"127.0.0.1:{metrics_port}", ALERTS)
        try:
            total = CONNECTIONS * CALLS_PER_CONNECTION
            await prometheus.value(
                f'alice_rpc_requests_total{{customer_id="{peterson.id}",method="{CONTEXT}",'
                f'code="OK"}}',
                total,
            )
            await prometheus.value(f'sum(alice_rpc_requests_total{{customer_id="{smith.id}"}})', 12)
            await prometheus.value(
                f'alice_rpc_duration_seconds_count{{method="{CONTEXT}"}}', total + CONNECTIONS
            )
            # Gauges combine as each declares: the pools summed (both workers' are
            # open), health the lowest (1: every worker serves).
            await prometheus.value("alice_db_pool_connections >= bool 2", 1)
            await prometheus.value("alice_health_serving", 1)
            await prometheus.value("alice_database_up", 1)
            await prometheus.value("count(alice_build_info)", 1)
            await prometheus.value('up{job="alice"}', 1)
            rules = await asyncio.to_thread(prometheus.api, "rules")
            loaded = {r["name"] for g in rules["groups"] for r in g["rules"]}
            assert {"AliceHighErrorRatio", "AliceNotServing", "AliceDatabaseUnavailable"} <= loaded
            alerts = await asyncio.to_thread(prometheus.api, "alerts")
            assert alerts["alerts"] == []  # nothing fires on a healthy host
        finally:
            prometheus.stop()
    # The supervisor removed its directory on the way out.
    assert not directory.exists()


def test_every_gauge_says_how_workers_combine():
    # The default mode ("all") would export one series per worker pid, not one value.
    gauges = {name: g for name, g in vars(metrics).items() if isinstance(g, Gauge)}
    assert gauges
    modes = {name: g._multiprocess_mode for name, g in gauges.items()}
    assert all(mode.startswith("live") for mode in modes.values()), modes
