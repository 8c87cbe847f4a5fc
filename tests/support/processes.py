"""`alice-server` and `alice-admin` as real processes, started the way an operator does.

env = clean_env(DATABASE_URL=..., JWT_SECRET_KEY=...)
code, out, err = await run_command(installed_script("alice-admin"), "migrate", env=env)
async with server_process(env) as (process, port, log): ...
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
LISTENING = re.compile(r"Alice listening on [\d.]+:(\d+)")


def installed_script(name: str) -> str:
    """A console script of this environment (`alice-server`, `alice-admin`)."""
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed next to {sys.executable}: pip install -e .")
    return str(path)


def clean_env(**values: str | None) -> dict[str, str]:
    """This process's environment without any Alice setting, plus `values` (None: unset)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ALICE_") and k not in ("DATABASE_URL", "JWT_SECRET_KEY")
    }
    env.update({k: v for k, v in values.items() if v is not None})
    return env


async def run_command(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run to the end (at most 120 s): exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


async def admin(*args: str, **env: str) -> tuple[int, str, str]:
    """`alice-admin ARGS` with only the given settings."""
    return await run_command(installed_script("alice-admin"), *args, env=clean_env(**env))


def one_line(err: str) -> str:
    """A command's error: one line, no traceback."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


class ServerLog:
    """What the server wrote to stderr: read from its file while it runs, kept after."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._kept: list[str] | None = None

    def keep(self) -> None:
        self._kept = self._lines()

    def _lines(self) -> list[str]:
        return self._path.read_text().splitlines(keepends=True)

    def __iter__(self) -> Iterator[str]:
        return iter(self._kept if self._kept is not None else self._lines())


@asynccontextmanager
async def server_process(
    env: dict[str, str],
) -> AsyncIterator[tuple[asyncio.subprocess.Process, int, ServerLog]]:
    """`alice-server --listen 127.0.0.1:0` until the block ends (then SIGTERM).

    Its log goes to a file, not a pipe, so that an orphaned grandchild holding it
    (a worker of ALICE_WORKERS) cannot keep the test waiting.
    """
    with tempfile.NamedTemporaryFile("w+", prefix="alice-server-", suffix=".log") as log_file:
        log = ServerLog(Path(log_file.name))
        process = await asyncio.create_subprocess_exec(
            installed_script("alice-server"),
            "--listen",
            "127.0.0.1:0",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log_file,
        )
        try:
            for _ in range(1200):
                text = await asyncio.to_thread(Path(log_file.name).read_text)
                if match := LISTENING.search(text):
                    break
                if process.returncode is not None:
                    pytest.fail("alice-server exited early:\n" + text)
                await asyncio.sleep(0.1)
            else:
                pytest.fail("alice-server did not start in 120 s:\n" + text)
            yield process, int(match.group(1)), log
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 60)
            log.keep()
