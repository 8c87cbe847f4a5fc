"""The README's grpcurl examples, run as written against a real server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
DOCUMENTED_ADDRESS = "127.0.0.1:50051"


def grpcurl_block() -> str:
    section = README.read_text().split("## grpcurl", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the grpcurl section should hold one sh block"
    return blocks[0]


async def test_readme_grpcurl_examples_work(alice, peterson):
    script = "set -e\n" + grpcurl_block().replace(DOCUMENTED_ADDRESS, alice.address)
    commands = [line for line in script.splitlines() if line.startswith("grpcurl")]
    assert len(commands) == 6
    env = {
        **os.environ,
        "TOKEN": peterson.token(),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        script,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()

    # The last command prints the enriched context, which must reflect the others.
    last = out.decode()[out.decode().rindex('{\n  "customer_id"') :]
    context = json.loads(last)
    assert context["customer_id"] == str(peterson.id)
    assert context["user_id"] == "+15551234567"
    assert context["is_new_caller"] is False
    assert "mornings" in context["context"]
    assert context["profile"]["total_calls"] == 1
