"""Responses that always fit: the items of a response are capped in bytes.

A request within the documented limits (num_memories <= 100, page_size <= 500,
search limit <= 100, each memory value <= 64 KiB of JSON) could otherwise
exceed ALICE_MAX_MESSAGE_BYTES: a Struct holding many small numbers is up to
five times larger in protobuf than in JSON. So the repeated items of a
response are cut at `response_budget(max_message_bytes)` bytes (three
quarters of the limit, the rest left for the response's other fields): a
page then holds fewer items than page_size and its next_page_token continues
after the last one it holds; a search or a context holds its best items.
The proto comments say so.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.message import Message

DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def response_budget(max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> int:
    return max_message_bytes * 3 // 4


def item_bytes(message: Message) -> int:
    """What one item adds to a repeated field (tag and length prefix included)."""
    size = message.ByteSize()
    return size + 1 + max(1, (size.bit_length() + 6) // 7)


def fitting(items: Sequence[Message], budget: int, *, keep_one: bool = True) -> int:
    """How many of `items`, from the first, fit in `budget` bytes (at least one
    when `keep_one`: a single item always fits in a response)."""
    used = 0
    for count, item in enumerate(items):
        used += item_bytes(item)
        if used > budget:
            return max(count, 1 if keep_one else 0)
    return len(items)
