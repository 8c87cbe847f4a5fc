"""The README's Retrieval, Memory history and LLM summariser examples, run as
written (after the grpcurl section's, which store the memory they look for)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from alice_server.domain.summarizer import HeuristicSummarizer
from alice_server.llm.chat import ChatEndpoint
from alice_server.llm.summarizer import LLMSummarizer
from alice_server.testing import running_server
from tests.support.fake_llm import MODEL

README = Path(__file__).resolve().parents[1] / "README.md"
DOCUMENTED_ADDRESS = "127.0.0.1:50051"


def sh_block(section: str) -> str:
    text = README.read_text().split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    assert len(blocks) == 1, f"the {section} section should hold one sh block"
    return str(blocks[0])


async def run_script(
    script: str, address: str, token: str, *, parse: bool = True
) -> list[dict[str, Any]]:
    """Run a README script against `address`; the JSON objects it printed, in order."""
    env = {
        **os.environ,
        "TOKEN": token,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        "set -e\n" + script.replace(DOCUMENTED_ADDRESS, address),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    if not parse:
        return []
    text, objects, decoder, position = out.decode(), [], json.JSONDecoder(), 0
    while (start := text.find("{", position)) >= 0:
        obj, position = decoder.raw_decode(text, start)
        objects.append(obj)
    return objects


async def test_readme_retrieval_and_history_examples_work(alice, peterson):
    await run_script(sh_block("grpcurl"), alice.address, peterson.token(), parse=False)

    hybrid, keyword, context = await run_script(
        sh_block("Retrieval"), alice.address, peterson.token()
    )
    top = hybrid["results"][0]
    assert top["memory"]["key"] == "contact_time" and top["memory"]["value"] == {
        "value": "mornings"
    }
    assert top["semantic_match"] is True and top["semantic_rank"] == 1
    assert keyword == {}
    assert "contact_time" in [m["key"] for m in context["memories"]]

    (history,) = await run_script(sh_block("Memory history"), alice.address, peterson.token())
    entry = history["entries"][0]
    assert entry["change"] == "update" and entry["previous_value"] == {"value": "mornings"}
    assert entry["changed_by"] == "agent"


async def test_readme_llm_example_works(database, secret, peterson, fake_llm):
    script = sh_block("LLM summariser")
    # The first command starts a server with the settings; here the test's server,
    # configured the same way against a local chat-completions endpoint, stands in.
    serve, _, rest = script.partition("./dev serve\n")
    assert "ALICE_SUMMARIZER=openai" in serve
    summarizer = LLMSummarizer(
        ChatEndpoint(fake_llm.url, MODEL, "sk-test", timeout=5), HeuristicSummarizer()
    )
    async with running_server(
        database.app_url, secret, summarizer=summarizer, rate_limit_per_second=0
    ) as server:
        processed, listed = await run_script(rest, server.address, peterson.token())
    assert processed["summary"].startswith("The caller asked")
    assert {m["source"] for m in listed["memories"]} == {"process_call"}
    assert summarizer.answered == 1
