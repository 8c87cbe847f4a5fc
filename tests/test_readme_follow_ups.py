"""The README's call-notes examples (grpcurl) and chad_client/README.md's
follow-ups snippet, run as written against a real server.

The extraction engine is not what these examples show: the server gets a
stand-in summariser that reports exactly the promises and the fact the
examples' transcript states, so the examples exercise the storage and the API.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from alice_server.domain.summarizer import (
    CallAnalysis,
    CallNotes,
    Commitment,
    ExtractedMemory,
    PersonalityScores,
    TranscriptTurn,
)
from alice_server.testing import running_server
from chad_client import AliceClient, Turn
from tests.test_client_readme import run_snippet
from tests.test_readme_call_loop import json_documents

README = Path(__file__).resolve().parents[1] / "README.md"
DOCUMENTED_ADDRESS = "127.0.0.1:50051"
SECTION = "## Call notes"

# What the examples' callers and agents say, and what an extraction engine reads in it.
PROMISES = {
    "I will email you the updated ID cards by end of day.": Commitment(
        "agent", "email the updated ID cards", "by end of day"
    ),
    "Thanks, I will send you the photos of the damage.": Commitment(
        "caller", "send the photos of the damage"
    ),
    "I will call you back tomorrow with a quote.": Commitment(
        "agent", "call you back with a quote", "tomorrow"
    ),
}
FACTS = {"HC-44817": ExtractedMemory("fact", "claim_number", "HC-44817")}


class StandInSummarizer:
    async def analyze(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        said = [t.text for t in turns]
        return CallAnalysis(
            summary="Stand-in summary.",
            sentiment="neutral",
            key_topics=(),
            personality=PersonalityScores.neutral(),
            caller_name=None,
            memories=tuple(m for key, m in FACTS.items() if any(key in s for s in said)),
            notes=CallNotes(commitments=tuple(PROMISES[s] for s in said if s in PROMISES)),
        )


def call_notes_block() -> str:
    section = README.read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the call-notes section should hold one sh block"
    return blocks[0]


async def test_readme_call_notes_examples_work(database, secret, peterson):
    async with running_server(
        database.app_url, secret, summarizer=StandInSummarizer(), rate_limit_per_second=0
    ) as alice:
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
        running_server(
            database.app_url, secret, summarizer=StandInSummarizer(), rate_limit_per_second=0
        ) as alice,
        AliceClient(alice.address, secret=secret) as client,
    ):
        tenant = client.for_customer(smith.id)
        await tenant.process_call(
            caller_phone,
            "CA-snippet",
            [
                Turn("caller", "My car was hit, claim HC-44817."),
                Turn("agent", "I will call you back tomorrow with a quote."),
                Turn("caller", "Thanks, I will send you the photos of the damage."),
            ],
            started_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3),
        )
        done = await run_snippet("follow-ups", tenant=tenant, caller=caller_phone)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("OVERDUE agent: call you back with a quote (due ")
    assert out[1] == "caller: send the photos of the damage (due None)"
    assert [f.action for f in done["everyone"]] == ["send the photos of the damage"]
    assert [f.id for f in done["kept"].items] == [done["done"].id]
