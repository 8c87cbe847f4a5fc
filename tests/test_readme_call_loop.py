"""The README's call-loop grpcurl examples, run as written against a real server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[1] / "README.md"
DOCUMENTED_ADDRESS = "127.0.0.1:50051"
SECTION = "## The call loop"


def call_loop_block() -> str:
    section = README.read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the call-loop section should hold one sh block"
    return blocks[0]


def json_documents(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    documents, index = [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        document, index = decoder.raw_decode(text, index)
        documents.append(document)
    return documents


async def test_readme_call_loop_examples_work(alice, peterson):
    script = "set -e\n" + call_loop_block().replace(DOCUMENTED_ADDRESS, alice.address)
    commands = [line for line in script.splitlines() if line.startswith("grpcurl")]
    assert len(commands) == 9
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
    appended, record, transcript, profile, processed, _stored, by_key, listed, stats = (
        json_documents(out.decode())
    )
    assert appended["appended"] == 2 and appended["next_sequence"] == 2
    assert record["record"]["dialled_number"] == "+18005550100"
    assert not record.get("created", False)  # the append created the call already
    assert [t["content"] for t in transcript["turns"]][1] == "Of course. What is his date of birth?"
    assert profile["profile"]["preferred_name"] == "Dana"
    assert processed["call_id"] == "CA-0002" and processed["summary"]
    assert by_key["memory"]["value"] == {"value": "born 2009-06-09"}
    (summary,) = listed["summaries"]
    assert summary["turn_count"] == 2
    assert listed["records"]["CA-0002"]["transfer_target"] == "claims desk"
    assert listed["records"]["CA-0002"]["processed"] is True
    assert stats["caller_count"] == "1" and stats["processed_call_count"] == "1"
    assert stats["transcript_turn_count"] == "2" and stats["caller_memory_count"] == "1"
