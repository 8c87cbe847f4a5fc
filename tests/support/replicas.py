"""Replicas of Alice: `alice-server` processes on ports of their own (fixed, so that a
replica can be killed and started again on the same address), one database.

replica = Replica(env, tmp_path / "replica-0.log")
await replica.start(); replica.kill(); await replica.start(); await replica.stop()
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.support.ports import free_port
from tests.support.processes import LISTENING, installed_script


class Replica:
    """One `alice-server` (ALICE_WORKERS=1 unless `env` says otherwise) on 127.0.0.1:port."""

    def __init__(self, env: dict[str, str], log_path: Path, *, metrics: bool = False) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.metrics_port = free_port() if metrics else None
        self.env = dict(env)
        if self.metrics_port is not None:
            self.env["ALICE_METRICS_ADDRESS"] = f"127.0.0.1:{self.metrics_port}"
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self, within: float = 120) -> None:
        """Start it and wait until it logs that it listens."""
        assert self.process is None or self.process.returncode is not None, "already running"
        self.starts += 1
        with self.log_path.open("a") as log:
            log.write(f"--- start {self.starts}\n")
            log.flush()
            self.process = await asyncio.create_subprocess_exec(
                installed_script("alice-server"),
                "--listen",
                self.address,
                env=self.env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        async with asyncio.timeout(within):
            while True:
                text = self.log_path.read_text().rsplit(f"--- start {self.starts}\n", 1)[-1]
                if LISTENING.search(text):
                    return
                if self.process.returncode is not None:
                    raise RuntimeError(f"alice-server exited early:\n{text}")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no draining, no goodbye to the clients."""
        assert self.process is not None
        self.process.kill()

    async def stop(self) -> None:
        """SIGTERM (graceful) and wait for the exit."""
        process = self.process
        if process is None or process.returncode is not None:
            if process is not None:
                await process.wait()
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def wait_exit(self) -> int:
        assert self.process is not None
        return await self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""
