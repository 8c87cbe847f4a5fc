"""A real Prometheus (Debian's `prometheus`) scraping one target, with a query helper.

prometheus = Prometheus(tmp_path, "127.0.0.1:9464", alerts=ALERTS)
await prometheus.value('up{job="alice"}', 1)   # polls until the query gives exactly that
prometheus.stop()
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tests.support.http import http_get
from tests.support.ports import free_port


class Prometheus:
    def __init__(self, tmp: Path, target: str, alerts: Path | None = None) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            pytest.skip("the prometheus binary is not installed (apt-get install prometheus)")
        self.port = free_port()
        config = tmp / "prometheus.yml"
        rules = ""
        if alerts is not None:
            shutil.copy(alerts, tmp / "alerts.yml")
            rules = "rule_files: [alerts.yml]\n"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            + rules
            + "scrape_configs:\n  - job_name: alice\n"
            f"    static_configs:\n      - targets: ['{target}']\n"
        )
        self.log = (tmp / "prometheus.log").open("w")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        reply = json.loads(http_get(f"http://127.0.0.1:{self.port}/api/v1/{path}?{query}"))
        assert reply["status"] == "success", reply
        return reply["data"]

    async def value(self, promql: str, expected: float, within: float = 30) -> float:
        """Poll until the query has one sample equal to `expected` (scrapes are periodic)."""
        last: Any = None
        async with asyncio.timeout(within):
            while True:
                try:
                    last = await asyncio.to_thread(self.api, "query", query=promql)
                except OSError:  # not listening yet
                    last = None
                results = (last or {}).get("result", [])
                if len(results) == 1 and float(results[0]["value"][1]) == expected:
                    return expected
                await asyncio.sleep(0.5)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
