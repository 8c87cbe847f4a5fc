"""The README's call-notes examples (grpcurl) and chad_client/README.md's
follow-ups snippet, run as written against a real server.

The server runs the built-in summariser, as `./dev serve` does: the
promises, deadlines and the claim number come from the real extraction
engine reading the examples' transcripts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import sys
from pathlib import Path

from alice_server.testing import running_server
from chad_client import AliceClient, Turn
from tests.support import readme_blocks
from tests.support.readme_blocks import json_documents

README = Path(__file__).resolve().parents[1] / "README.md"
CLIENT_README = Path(__file__).resolve().parents[1] / "chad_client" / "README.md"
DOCUMENTED_ADDRESS = "127.0.0.1:50051"
SECTION = "## Call notes"


def call_notes_block() -> str:
    section = README.read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = [b for b in re.findall(r"```sh\n(.*?)```", section, re.S) if "grpcurl" in b]
    assert len(blocks) == 1, "the call-notes section should hold one grpcurl block"
    return blocks[0]


async def test_readme_call_notes_examples_work(database, secret, peterson):
    async with running_server(database.app_url, secret, rate_limit_per_second=0) as alice:
        script = "set -e\n" + call_notes_block().replace(DOCUMENTED_ADDRESS, alice.address)
        commands = [line for line in script.splitlines() if line.startswith("grpcurl")]
        assert len(commands) == 5  # and one more inside $(...)
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
    processed, context, listed, completed, settings = json_documents(out.decode())

    first = processed["follow_ups"][0]["id"]
    party, due = "FOLLOW_UP_PARTY_AGENT", "2026-03-02T17:00:00Z"
    assert [(f["party"], f["action"], f.get("due_at")) for f in processed["follow_ups"]] == [
        (party, "email the updated ID cards", due),
        ("FOLLOW_UP_PARTY_CALLER", "send the photos of the damage", None),
    ]
    assert [f["id"] for f in context["follow_ups"]] == [f["id"] for f in processed["follow_ups"]]
    assert context["follow_ups"][0]["overdue"] is True
    assert (
        "- OVERDUE: We (the agent) promised to email the updated ID cards; due Mon 2026-03-02 "
        '17:00 UTC ("by end of day"); promised on 2026-03-02.'
    ) in context["context"]
    (claim,) = context["memories"]
    assert claim["key"] == "claim_number" and claim["call_id"] == "CA-0003"
    assert [f["action"] for f in listed["follow_ups"]] == [
        "email the updated ID cards",
        "send the photos of the damage",
    ]
    assert completed["follow_up"]["id"] == first and completed["changed"] is True
    assert completed["follow_up"]["status"] == "FOLLOW_UP_STATUS_DONE"
    assert settings["settings"]["extract_memories"] is False


async def test_the_follow_ups_snippet_runs_as_written(
    database, secret, smith, caller_phone, capsys
):
    async with (
        running_server(database.app_url, secret, rate_limit_per_second=0) as alice,
        AliceClient(alice.address, secret=secret) as client,
    ):
        tenant = client.for_customer(smith.id)
        await tenant.process_call(
            caller_phone,
            "CA-snippet",
            [
                Turn("caller", "My car was hit. My claim number is HC-44817."),
                Turn("agent", "I will call you back tomorrow with a quote."),
                Turn("caller", "Thanks, I will send you the photos of the damage."),
            ],
            started_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3),
        )
        done = await readme_blocks.run_snippet(
            CLIENT_README, "follow-ups", tenant=tenant, caller=caller_phone
        )
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("OVERDUE agent: call back with a quote (due ")
    assert out[1] == "caller: send the photos of the damage (due None)"
    assert [f.action for f in done["everyone"]] == ["send the photos of the damage"]
    assert [f.id for f in done["kept"].items] == [done["done"].id]
