"""examples/call_flow.py runs as documented against a real server."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "call_flow.py"


async def test_call_flow_example(alice, peterson):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        "--address",
        alice.address,
        "--customer-id",
        str(peterson.id),
        "--caller",
        "(555) 010-7788",
        env={**os.environ, "JWT_SECRET_KEY": peterson.secret},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    text = out.decode()
    assert "call start: new caller=True degraded=False" in text
    assert "next call: new caller=False, 1 summaries, 2 memories" in text
    assert "Caller: +15550107788" in text
    assert "mornings" in text.split("next call:")[1]
