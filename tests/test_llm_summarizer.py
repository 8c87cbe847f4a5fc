"""The optional LLM summariser against a local HTTP server speaking the
chat-completions protocol with recorded answers: a good one (its memories are
stored with ProcessCall, once), and malformed, invalid, slow, refused and
failing ones (each falls back to the built-in summariser, counted and logged
without content)."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

import grpc
import pytest

from alice_server.config import ConfigError, Settings
from alice_server.domain.summarizer import HeuristicSummarizer, TranscriptTurn
from alice_server.domain.traits import PERSONALITY_TRAITS
from alice_server.llm.chat import ChatEndpoint
from alice_server.llm.summarizer import PROMPT_FILE, LLMSummarizer
from alice_server.testing import running_server
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import context_service_pb2_grpc, memory_service_pb2_grpc
from chad_client.v1 import memory_service_pb2 as mem
from chad_client.v1 import resources_pb2 as res
from tests.support.fake_llm import GOOD_SUMMARY, MODEL
from tests.support.http import http_get

API_KEY = "sk-test-not-a-real-key"
SECRET_WORD = "Xylophonist"  # in the transcript: must never reach a log line


def _turns() -> list[res.Turn]:
    return [
        res.Turn(
            role=res.ROLE_CALLER,
            content=f"Hi, this is David Okafor. I need to add my daughter Amara to my auto "
            f"policy, she just got her permit. By the way I am a {SECRET_WORD}.",
        ),
        res.Turn(role=res.ROLE_AGENT, content="Of course. What is her date of birth?"),
        res.Turn(role=res.ROLE_CALLER, content="March 3rd. Call me after 5 pm on weekdays."),
    ]


@dataclass
class _FallbacksMetric:
    """alice_summarizer_fallbacks_total as the server's /metrics endpoint shows it."""

    url: str = ""

    async def value(self, reason: str) -> float:
        text = await asyncio.to_thread(http_get, self.url)
        pattern = rf'^alice_summarizer_fallbacks_total\{{reason="{re.escape(reason)}"\}} (\S+)$'
        found = re.search(pattern, text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0


fallbacks_metric = _FallbacksMetric()


@pytest.fixture
async def llm_alice(database, secret, fake_llm):
    summarizer = LLMSummarizer(
        ChatEndpoint(fake_llm.url, MODEL, API_KEY, timeout=0.5), HeuristicSummarizer()
    )
    async with (
        running_server(
            database.app_url,
            secret,
            summarizer=summarizer,
            rate_limit_per_second=0,
            metrics_address="127.0.0.1:0",
        ) as server,
        grpc.aio.insecure_channel(server.address) as channel,
    ):
        endpoint = server.server.metrics_endpoint
        assert endpoint is not None
        fallbacks_metric.url = f"http://127.0.0.1:{endpoint.port}/metrics"
        yield (
            summarizer,
            context_service_pb2_grpc.ContextServiceStub(channel),
            memory_service_pb2_grpc.MemoryServiceStub(channel),
        )


async def test_a_good_answer_is_the_analysis_and_its_memories_are_stored_once(
    llm_alice, fake_llm, peterson, caller_phone
):
    summarizer, contexts, memories = llm_alice
    md = peterson.metadata()
    request = ctx.ProcessCallRequest(user_id=caller_phone, call_id="CA-llm-1", turns=_turns())
    first = await contexts.ProcessCall(request, metadata=md)
    # The note is rendered from the answer's notes, as the built-in summariser renders its own.
    assert first.summary == GOOD_SUMMARY
    assert first.sentiment == res.SENTIMENT_POSITIVE
    assert list(first.key_topics) == ["auto policy", "new driver"]
    assert first.personality.patience == pytest.approx(72.2)  # rounded to one decimal
    assert summarizer.answered == 1 and not summarizer.fallbacks

    # What was sent: the protocol, the model, the key, the schema and the versioned prompt.
    sent = fake_llm.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == f"Bearer {API_KEY}"
    body = sent["body"]
    assert body["model"] == MODEL
    assert body["response_format"]["type"] == "json_schema"
    schema = body["response_format"]["json_schema"]["schema"]
    assert set(schema["properties"]["personality"]["required"]) == set(PERSONALITY_TRAITS)
    assert body["messages"][0] == {"role": "system", "content": PROMPT_FILE.read_text()}
    assert body["messages"][1]["content"].startswith("caller: Hi, this is David Okafor.")

    listed = await memories.ListMemories(mem.ListMemoriesRequest(user_id=caller_phone), metadata=md)
    stored = {(m.type, m.key): m for m in listed.memories}
    assert stored[("person", "daughter")].value["value"] == "Amara, 16, new driver"
    assert stored[("preference", "contact_time")].source == "process_call"
    profile = await contexts.GetCallerProfile(
        ctx.GetCallerProfileRequest(user_id=caller_phone), metadata=md
    )
    assert profile.profile.preferred_name == "David Okafor"

    # Extracted memories are searchable by meaning like any other.
    found = await memories.SearchMemories(
        mem.SearchMemoriesRequest(user_id=caller_phone, query="when to call him"), metadata=md
    )
    assert found.results[0].memory.key == "contact_time"

    # A retry stores nothing again: no new memory, no history entry.
    again = await contexts.ProcessCall(request, metadata=md)
    assert again.already_processed and again.summary == first.summary
    relisted = await memories.ListMemories(
        mem.ListMemoriesRequest(user_id=caller_phone), metadata=md
    )
    assert sorted(m.id for m in relisted.memories) == sorted(m.id for m in listed.memories)
    history = await memories.GetMemoryHistory(
        mem.GetMemoryHistoryRequest(id=stored[("person", "daughter")].id), metadata=md
    )
    assert list(history.entries) == []


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("malformed", "invalid"),
        ("invalid", "invalid"),
        ("slow", "timeout"),
        ("refused", "refused"),
        ("truncated", "truncated"),
        ("error", "http_500"),
        ("not_json", "malformed"),
    ],
)
async def test_a_bad_answer_falls_back_to_the_builtin_summariser(
    llm_alice, fake_llm, peterson, caller_phone, caplog, mode, reason
):
    summarizer, contexts, memories = llm_alice
    fake_llm.mode = mode
    turns = _turns()
    counted_before = await fallbacks_metric.value(reason)
    with caplog.at_level(logging.INFO):
        response = await contexts.ProcessCall(
            ctx.ProcessCallRequest(user_id=caller_phone, call_id=f"CA-{mode}", turns=turns),
            metadata=peterson.metadata(),
        )
    builtin = HeuristicSummarizer().analyze_sync(
        [
            TranscriptTurn("caller" if t.role == res.ROLE_CALLER else "agent", t.content)
            for t in turns
        ]
    )
    assert response.summary == builtin.summary
    assert summarizer.fallbacks == {reason: 1} and summarizer.answered == 0
    # ... in the metric too, by reason, on the server's real /metrics endpoint.
    assert await fallbacks_metric.value(reason) == counted_before + 1
    assert fake_llm.requests, "the model was asked"
    # Counted and logged with the reason, never with the call's content.
    lines = [r.getMessage() for r in caplog.records if r.name == "alice.llm"]
    assert any(f"reason={reason}" in line for line in lines)
    assert not any(SECRET_WORD in r.getMessage() for r in caplog.records)
    assert not any(API_KEY in r.getMessage() for r in caplog.records)
    # The memories stored are the built-in summariser's, none of the model's.
    listed = await memories.ListMemories(
        mem.ListMemoriesRequest(user_id=caller_phone), metadata=peterson.metadata()
    )
    assert sorted((m.key, m.value["value"]) for m in listed.memories) == sorted(
        (m.key, m.value) for m in builtin.memories
    )
    assert "daughter" not in {m.key for m in listed.memories}


def test_the_llm_settings_are_checked():
    base = {"ALICE_SUMMARIZER": "openai"}
    with pytest.raises(ConfigError, match="ALICE_LLM_BASE_URL"):
        Settings.from_env(base)
    with pytest.raises(ConfigError, match="ALICE_LLM_MODEL"):
        Settings.from_env(base | {"ALICE_LLM_BASE_URL": "http://127.0.0.1:1/v1"})
    with pytest.raises(ConfigError, match="ALICE_SUMMARIZER"):
        Settings.from_env({"ALICE_SUMMARIZER": "gpt"})
    settings = Settings.from_env(
        base
        | {
            "ALICE_LLM_BASE_URL": "http://127.0.0.1:1/v1",
            "ALICE_LLM_MODEL": "m",
            "ALICE_LLM_API_KEY": API_KEY,
        }
    )
    assert settings.summarizer == "openai" and API_KEY not in repr(settings)
