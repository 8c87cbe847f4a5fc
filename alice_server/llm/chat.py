"""A minimal OpenAI-compatible chat-completions client (standard library only).

POST {base_url}/chat/completions with a JSON schema as `response_format`; the
answer's `choices[0].message.content` is returned. Everything that is not a
usable answer raises ChatFailure with a short reason (timeout, http_<status>,
refused, truncated, malformed) that callers may log: it never holds content.
The request runs in a thread (urllib is blocking), bounded by `timeout`.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


class ChatFailure(Exception):
    """No usable answer; `reason` is one short word for logs and metrics."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ChatEndpoint:
    base_url: str  # e.g. https://api.openai.com/v1 or http://127.0.0.1:8080/v1
    model: str
    api_key: str | None
    timeout: float


async def complete_json(
    endpoint: ChatEndpoint, system: str, user: str, schema_name: str, schema: dict[str, Any]
) -> str:
    """The model's JSON answer (a string) to one system + user message."""
    body = json.dumps(
        {
            "model": endpoint.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "strict": True, "schema": schema},
            },
        }
    ).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    request = urllib.request.Request(  # noqa: S310 (the URL is a setting, http(s) checked)
        endpoint.base_url.rstrip("/") + "/chat/completions", body, headers, method="POST"
    )
    try:
        raw = await asyncio.wait_for(
            asyncio.to_thread(_send, request, endpoint.timeout), endpoint.timeout + 1
        )
    except TimeoutError:
        raise ChatFailure("timeout") from None
    return _content(raw)


def _send(request: urllib.request.Request, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data: bytes = response.read()
            return data
    except urllib.error.HTTPError as error:
        raise ChatFailure(f"http_{error.code}") from None
    except TimeoutError:
        raise ChatFailure("timeout") from None
    except urllib.error.URLError as error:
        reason = "timeout" if isinstance(error.reason, TimeoutError) else "unreachable"
        raise ChatFailure(reason) from None
    except OSError:
        raise ChatFailure("unreachable") from None


def _content(raw: bytes) -> str:
    try:
        answer = json.loads(raw)
        choice = answer["choices"][0]
        message = choice["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ChatFailure("malformed") from None
    if message.get("refusal"):
        raise ChatFailure("refused")
    if choice.get("finish_reason") == "length":
        raise ChatFailure("truncated")
    content = message.get("content")
    if not isinstance(content, str) or not content:
        raise ChatFailure("malformed")
    return content
