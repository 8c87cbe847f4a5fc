"""README.md blocks the in-order run (tests/test_readme_in_order.py) cannot run
there: the LLM summariser's, against a local chat-completions endpoint."""

from __future__ import annotations

from pathlib import Path

from alice_server.domain.summarizer import HeuristicSummarizer
from alice_server.llm.chat import ChatEndpoint
from alice_server.llm.summarizer import LLMSummarizer
from alice_server.testing import running_server
from tests.support import readme_blocks
from tests.support.fake_llm import MODEL

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCUMENTED_ADDRESS = "127.0.0.1:50051"


async def test_readme_llm_example_works(database, secret, peterson, fake_llm):
    # The block before it starts a server with these settings; here the test's
    # server, configured the same way against a local endpoint, stands in.
    serve = next(
        b for b in readme_blocks.section_blocks(README, "LLM summariser") if "./dev serve" in b.text
    )
    assert "ALICE_SUMMARIZER=openai" in serve.text and "ALICE_LLM_MODEL=" in serve.text
    summarizer = LLMSummarizer(
        ChatEndpoint(fake_llm.url, MODEL, "sk-test", timeout=5), HeuristicSummarizer()
    )
    async with running_server(
        database.app_url, secret, summarizer=summarizer, rate_limit_per_second=0
    ) as server:
        script = readme_blocks.named(README, "llm-call").text
        out = await readme_blocks.run_script(
            script.replace(DOCUMENTED_ADDRESS, server.address),
            readme_blocks.environment(TOKEN=peterson.token()),
            cwd=ROOT,
        )
    processed, listed = readme_blocks.json_documents(out)
    assert processed["call_id"] == "CA-LLM-1"
    assert processed["summary"].startswith("The caller asked")
    assert {m["source"] for m in listed["memories"]} == {"process_call"}
    assert {m["user_id"] for m in listed["memories"]} == {"+15550108800"}
    assert summarizer.answered == 1
