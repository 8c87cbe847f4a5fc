"""A local server speaking the chat-completions protocol with recorded answers, in
place of a paid LLM API (ALICE_SUMMARIZER=openai). `fake_llm` is a fixture of every
test (conftest.py); set its `mode` to pick the answer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from alice_server.domain.traits import PERSONALITY_TRAITS

MODEL = "recorded-model"

GOOD_ANSWER = {
    "wanted": "The caller asked to add his daughter to his auto policy",
    "outcome": "The agent took her date of birth.",
    "commitments": [
        {"party": "agent", "action": "Email the updated ID cards", "due_phrase": "by end of day"}
    ],
    "facts": [
        {"type": "person", "key": "daughter", "value": "Amara, 16, new driver"},
        {"type": "preference", "key": "contact_time", "value": "after 5 pm on weekdays"},
    ],
    "sentiment": "positive",
    "topics": ["auto policy", "new driver"],
    "personality": {name: 50 for name in PERSONALITY_TRAITS} | {"patience": 72.25},
    "caller_name": "david okafor",
}
GOOD_SUMMARY = (
    "The caller asked to add his daughter to his auto policy. The agent took her date of birth. "
    "Agent will email the updated ID cards by end of day."
)


def _completion(content: str | None, *, refusal: str | None = None, finish: str = "stop") -> dict:
    return {
        "id": "chatcmpl-recorded",
        "object": "chat.completion",
        "created": 1764100000,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


# Recorded answers: (HTTP status, body, delay in seconds).
ANSWERS: dict[str, tuple[int, Any, float]] = {
    "good": (200, _completion(json.dumps(GOOD_ANSWER)), 0),
    "malformed": (200, _completion('{"summary": "cut off'), 0),
    "invalid": (
        200,
        _completion(json.dumps(GOOD_ANSWER | {"personality": {"patience": 150}})),
        0,
    ),
    "slow": (200, _completion(json.dumps(GOOD_ANSWER)), 3.0),
    "refused": (200, _completion(None, refusal="I can't help with that."), 0),
    "truncated": (200, _completion('{"summary": "The', finish="length"), 0),
    "error": (500, {"error": {"message": "upstream overloaded", "type": "server_error"}}, 0),
    "not_json": (200, "<html>bad gateway</html>", 0),
}


@dataclass
class FakeLLM:
    """A local chat-completions endpoint answering with ANSWERS[mode]."""

    url: str
    mode: str = "good"
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    state = FakeLLM(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(
                {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
            )
            status, answer, delay = ANSWERS[state.mode]
            time.sleep(delay)
            payload = answer if isinstance(answer, str) else json.dumps(answer)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload.encode())
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the slow answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
