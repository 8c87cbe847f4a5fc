"""Metrics: a real Prometheus scrapes a running server and reads back the
series of two tenants; the alert rules pass promtool and load in Prometheus;
every query of the dashboard and the alerts names a series the server exports."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import grpc
import pytest

from alice_server import metrics
from alice_server.testing import running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests.helpers import status_of, struct
from tests.support import readme_blocks
from tests.support.http import http_get
from tests.support.prometheus import Prometheus

ROOT = Path(__file__).resolve().parents[1]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "alice-dashboard.json"
STORE = "/alice.memory.v1.MemoryService/StoreMemory"
CONTEXT = "/alice.memory.v1.ContextService/GetEnrichedContext"


SUFFIXES = {
    "counter": ("",),  # documented with its _total
    "gauge": ("",),
    "info": ("",),  # documented with its _info
    "histogram": ("_bucket", "_sum", "_count"),
}


def _readme_series() -> set[str]:
    """The series of the "Metrics and dashboards" table (docs/operations.md, linked
    from README.md), as exposed."""
    section = readme_blocks.section_text(ROOT / "docs" / "operations.md", "Metrics and dashboards")
    rows = re.findall(r"^\| `(alice_[a-z_]+)` \| (\w+) \|", section, re.M)
    assert rows, "docs/operations.md has no metrics table"
    return {name + suffix for name, kind in rows for suffix in SUFFIXES[kind]}


def _series_in(expr: str) -> set[str]:
    return {name for name in re.findall(r"\b(alice_[a-z_]+|up)\b", expr) if name != "up"}


def _dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            queries.append(variable["definition"])
    return queries


def _alert_queries() -> list[str]:
    return re.findall(r"expr: (?:\|\n)?((?:.+\n)+?)\s+for:", ALERTS.read_text())


async def _drive_two_tenants(address: str, peterson: Any, smith: Any, phone: str) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        memories = memory_service_pb2_grpc.MemoryServiceStub(channel)
        contexts = context_service_pb2_grpc.ContextServiceStub(channel)
        for i in range(3):
            await memories.StoreMemory(
                mem.StoreMemoryRequest(
                    user_id=phone, type="fact", key=f"k{i}", value=struct(value="v")
                ),
                metadata=peterson.metadata(),
            )
        for _ in range(2):  # over the burst of 3: refused
            code, _ = await status_of(
                memories.StoreMemory(
                    mem.StoreMemoryRequest(
                        user_id=phone, type="fact", key="k", value=struct(value="v")
                    ),
                    metadata=peterson.metadata(),
                )
            )
            assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
        for _ in range(2):
            await contexts.GetEnrichedContext(
                ctx.GetEnrichedContextRequest(user_id=phone), metadata=smith.metadata()
            )
        await contexts.ProcessCall(
            ctx.ProcessCallRequest(
                user_id=phone,
                call_id="CA-metrics",
                turns=[res.Turn(role=res.ROLE_CALLER, content="Hi, I want a quote.")],
            ),
            metadata=smith.metadata(),
        )


@pytest.mark.slow
async def test_real_prometheus_reads_back_the_series_of_two_tenants(
    database, secret, peterson, smith, caller_phone, tmp_path
):
    async with running_server(
        database.app_url,
        secret,
        metrics_address="127.0.0.1:0",
        rate_limit_per_second=0.001,
        rate_limit_burst=3,
        summarizer_processes=0,
    ) as server:
        endpoint = server.server.metrics_endpoint
        assert endpoint is not None
        await _drive_two_tenants(server.address, peterson, smith, caller_phone)
        await server.server.overdue.run_once()  # (every minute in the background)
        prometheus = Prometheus(tmp_path, f"127.0.0.1:{endpoint.port}", ALERTS)
        try:
            p, s = peterson.id, smith.id
            await prometheus.value(
                f'alice_rpc_requests_total{{customer_id="{p}",method="{STORE}",code="OK"}}', 3
            )
            await prometheus.value(
                f'alice_rpc_requests_total{{customer_id="{p}",code="RESOURCE_EXHAUSTED"}}', 2
            )
            await prometheus.value(f'alice_rate_limited_total{{customer_id="{p}"}}', 2)
            await prometheus.value(
                f'alice_rpc_requests_total{{customer_id="{s}",method="{CONTEXT}",code="OK"}}', 2
            )
            await prometheus.value(f'sum(alice_rpc_requests_total{{customer_id="{s}"}})', 3)
            # Smith made no StoreMemory call: no series of Smith's for it.
            empty = await asyncio.to_thread(
                prometheus.api,
                "query",
                query=f'alice_rpc_requests_total{{customer_id="{s}",method="{STORE}"}}',
            )
            assert empty["result"] == []
            await prometheus.value(f'alice_follow_ups_overdue{{customer_id="{s}"}}', 0)
            await prometheus.value("alice_health_serving", 1)
            await prometheus.value('up{job="alice"}', 1)
            await prometheus.value(
                f'alice_rpc_duration_seconds_count{{method="{CONTEXT}"}} >= bool 2', 1
            )
            await prometheus.value("alice_summarizer_duration_seconds_count >= bool 1", 1)
            rules = await asyncio.to_thread(prometheus.api, "rules")
            loaded = {r["name"] for g in rules["groups"] for r in g["rules"]}
            assert {"AliceHighErrorRatio", "AliceGetEnrichedContextSlow"} <= loaded
            assert {"AliceDatabaseUnavailable", "AliceRateLimitRejections"} <= loaded
        finally:
            prometheus.stop()
    # The endpoint closes with the server.
    with pytest.raises(OSError):
        http_get(f"http://127.0.0.1:{endpoint.port}/metrics")


def test_alert_rules_pass_promtool():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    result = subprocess.run(
        [promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 6 rules found" in result.stdout


async def test_dashboard_and_alerts_name_only_series_the_server_exports(
    database, secret, peterson, smith, caller_phone
):
    queries = _dashboard_queries() + _alert_queries()
    named = set().union(*(_series_in(q) for q in queries))
    assert len(_alert_queries()) == 6
    async with running_server(
        database.app_url,
        secret,
        metrics_address="127.0.0.1:0",
        rate_limit_per_second=0.001,
        rate_limit_burst=3,
        summarizer_processes=0,
    ) as server:
        await _drive_two_tenants(server.address, peterson, smith, caller_phone)
        await server.server.overdue.run_once()  # (every minute in the background)
        endpoint = server.server.metrics_endpoint
        assert endpoint is not None
        exposition = await asyncio.to_thread(http_get, f"http://127.0.0.1:{endpoint.port}/metrics")
    exported = {
        line.split("{")[0].split(" ")[0]
        for line in exposition.splitlines()
        if line.startswith("alice_")
    }
    assert exported == metrics.SERIES  # the documented list is the real one
    assert _readme_series() == exported  # and so is the README's table
    unknown = named - exported
    assert not unknown, f"queries name series the server does not export: {sorted(unknown)}"
    # The per-tenant view: a customer variable, used by the tenant panels.
    dashboard = json.loads(DASHBOARD.read_text())
    assert any(v["name"] == "customer_id" for v in dashboard["templating"]["list"])
    assert sum('customer_id=~"$customer_id"' in q for q in queries) >= 4
