"""Alice's log records as production formats them, captured in a buffer."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from alice_server import logs


@contextmanager
def captured(
    fmt: str = "json", throttle: logs.ThrottleFilter | None = None
) -> Iterator[io.StringIO]:
    """The production handler (formatter and filters), writing to a buffer."""
    stream = io.StringIO()
    handler = logs.make_handler(stream, fmt, throttle)
    root, alice = logging.getLogger(), logging.getLogger("alice")
    old_level = alice.level
    root.addHandler(handler)
    alice.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        alice.setLevel(old_level)


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


async def written(stream: io.StringIO, text: str, seconds: float = 2.0) -> None:
    """Wait (bounded) until `text` is in the captured log. A call's access line is
    written as its task ends on the server, which can be just after the client
    has the answer."""
    for _ in range(int(seconds / 0.02)):
        if text in stream.getvalue():
            return
        await asyncio.sleep(0.02)
