"""README.md from top to bottom, as a newcomer follows it: every sh block run in
document order in one shell session, against a fresh database and a real
alice-server started by the README's own `./dev serve`, each block's stdout
compared with the output block the README shows after it.

What the test changes, and only that (README.md, "How the examples are
checked"): the environment names a fresh database of its own (the reader's
`./dev` has the embedded one), the server listens on a free port (replaced
for 127.0.0.1:50051 in every block, and given to examples/ as ALICE_ADDRESS),
and ALICE_WORKERS=1. Blocks marked
`skip` are run elsewhere, as their marker says.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import pytest

from alice_server.testing import temporary_database
from tests.support import readme_blocks
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCUMENTED_ADDRESS = "127.0.0.1:50051"


def test_every_runnable_block_shows_its_output_or_prints_nothing():
    """Structure: the reader sees what each example prints (a block with no output
    block must print nothing: the in-order run checks that too)."""
    runnable = [b for b in readme_blocks.blocks(README) if b.language == "sh" and not b.skip]
    assert len(runnable) >= 15
    shown = [b for b in runnable if b.output is not None]
    assert len(shown) >= 12
    for block in readme_blocks.blocks(README):
        if block.language == "sh" and block.skip:
            assert len(block.skip) > 10, f"{block.where(README)}: say what runs it instead"


async def _wait_until_listening(log: Path, server: object, port: int) -> None:
    for _ in range(1500):
        text = await asyncio.to_thread(log.read_text, errors="replace")
        if f"Alice listening on 127.0.0.1:{port}" in text:
            return
        if getattr(server, "returncode", None) is not None:
            break
        await asyncio.sleep(0.1)
    raise AssertionError(f"the README's server did not start:\n{text}")


@pytest.mark.slow
async def test_the_readme_runs_top_to_bottom_and_prints_what_it_shows(superuser_url, tmp_path):
    port = free_port()
    async with temporary_database(superuser_url) as db:  # fresh: customers start at 1
        env = readme_blocks.environment(
            DATABASE_URL=db.app_url,
            ALICE_PLATFORM_DATABASE_URL=db.platform_url,
            ALICE_ADMIN_DATABASE_URL=db.owner_url,
            ALICE_DB_APP_ROLE=db.app_role,
            JWT_SECRET_KEY=secrets.token_urlsafe(48),
            ALICE_LISTEN_ADDRESS=f"127.0.0.1:{port}",
            ALICE_ADDRESS=f"127.0.0.1:{port}",  # where examples/ look for the server
            ALICE_WORKERS="1",
            ALICE_DATA_DIR=str(tmp_path / "data"),
        )
        session = readme_blocks.Session(
            env, ROOT, substitutions={DOCUMENTED_ADDRESS: f"127.0.0.1:{port}"}
        )
        problems: list[str] = []
        ran = 0
        try:
            for block in readme_blocks.blocks(README):
                if block.language != "sh" or block.skip:
                    continue
                ran += 1
                if block.background:
                    log = tmp_path / f"background-{block.line}.log"
                    server = await session.start(block.text, log)
                    await _wait_until_listening(log, server, port)
                    continue
                result = await session.run(block.text)
                where = block.where(README)
                assert result.code == 0, (
                    f"{where} failed (exit {result.code}):\n{block.text}\n--- stderr:\n"
                    f"{result.err}\n--- stdout:\n{result.out}"
                )
                problem = readme_blocks.mismatch(block.output or "", result.out)
                if problem is not None:
                    problems.append(f"{where}:\n{block.text}\n{problem}")
        finally:
            await session.stop()
    assert ran >= 15
    assert not problems, "\n\n=====\n\n".join(problems)
