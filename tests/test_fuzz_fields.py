"""Structure-aware fuzzing: a valid request of every RPC with one field poisoned
at a time (a NUL, a lone surrogate, a 1 MiB string, NaN and Infinity, extreme
integers and timestamps, deep and wide Structs, unknown enum values, odd map
keys). Every answer must be a documented status, never UNKNOWN or INTERNAL,
and no refused input may write an ERROR line.

The fields come from the descriptors (tests/support/poison.py) and the valid
requests from tests/support/valid_requests.py, so a new field is poisoned
without editing this test. CI runs the sweep of every field and poison once,
and ALICE_FUZZ_FIELDS_EXAMPLES (default 60) random combinations of up to three
poisoned fields; for many more, locally:

    export ALICE_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres
    ALICE_FUZZ_FIELDS_EXAMPLES=5000 ./dev test -q -n 0 tests/test_fuzz_fields.py
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alice_server.auth import mint_platform_token
from alice_server.rpc_scopes import PLATFORM_METHOD_SCOPES
from tests.support import poison
from tests.support.logs import captured, json_lines
from tests.support.valid_requests import NAMES, valid_request

EXAMPLES = int(os.environ.get("ALICE_FUZZ_FIELDS_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
REFUSED = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}
MIB = 1 << 20
# A string the serialized request carries as invalid UTF-8 (a lone surrogate,
# U+D800): protobuf refuses to serialize one, so the bytes are patched.
SURROGATE_MARK = "\x01SURROGATE\x01"
SURROGATE_BYTES = b"\xed\xa0\x80" + b"x" * (len(SURROGATE_MARK) - 3)


def _deep(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"n": value}
    return value


def _deep_list(depth: int) -> list[Any]:
    value: list[Any] = [1]
    for _ in range(depth - 1):
        value = [value]
    return value


TEXT = [
    "a\x00b",
    SURROGATE_MARK,
    "x" * MIB,
    "é" * (MIB // 4),
    "",
    "   ",
    "\u202e\ufeff",
    "\\u0000",
    "'; DROP TABLE memories; --",
    "%s%n{0}",
]
INTEGERS = {
    "int32": [-(2**31), 2**31 - 1, -1, 0],
    "sint32": [-(2**31), 2**31 - 1],
    "int64": [-(2**63), 2**63 - 1, -1],
    "sint64": [-(2**63), 2**63 - 1],
    "uint32": [2**32 - 1],
    "uint64": [2**64 - 1],
}
FLOATS = [math.nan, math.inf, -math.inf, 1e308, -0.0, 5e-324]
STRUCTS: list[Any] = [
    {"k\x00": 1},
    {"k": "a\x00b"},
    {"k": math.nan},
    {"k": [1, math.inf]},
    {"k": SURROGATE_MARK},
    {"k": "x" * MIB},
    {f"k{i}": i for i in range(5000)},
    _deep(31),
    _deep(32),
    _deep(33),
    _deep(60),
    {"l": _deep_list(40)},
    {},
]
TIMESTAMPS = [
    (-62135596800, 0),
    (253402300799, 999_999_999),
    (2**40, 0),
    (-(2**40), 0),
    (0, -1),
    (0, 10**9),
    (2**63 - 1, 0),
    (-(2**63), 0),
]
POISONS: dict[str, list[Any]] = {
    "string": TEXT,
    "map_key": ["k\x00", SURROGATE_MARK, "", "x" * MIB],
    "double": FLOATS,
    "float": FLOATS,
    "bool": [True],
    "enum": [99, -1, 2**31 - 1],
    "bytes": [b"\x00", b"\xff" * MIB],
    "struct": STRUCTS,
    "value": [math.nan, math.inf, "a\x00b", SURROGATE_MARK, _deep(33), [math.inf]],
    "list": [[math.inf], [_deep(33)], [None] * 10_000],
    "timestamp": TIMESTAMPS,
    **INTEGERS,
}


def _serialized(message: Message) -> bytes:
    return message.SerializeToString().replace(SURROGATE_MARK.encode(), SURROGATE_BYTES)


class Target:
    """The in-process server, a tenant's and a platform token, and the log."""

    def __init__(self, channel: grpc.aio.Channel, tenant: Any, other: Any, secret: str) -> None:
        self.channel = channel
        self.tenant = tenant
        self.other = other  # platform RPCs act on this customer
        self.tenant_md = tenant.metadata(scope="memory:read memory:write privacy:admin")
        self.platform_md = (("authorization", f"Bearer {mint_platform_token(secret)}"),)

    def base(self, method: poison.Method) -> Message:
        customer = self.other.id if method.path in PLATFORM_METHOD_SCOPES else self.tenant.id
        request = valid_request(method.name, method.request, customer, "+15550001234")
        assert request is not None, f"tests/support/valid_requests.py lacks {method.name}"
        return request

    async def call(self, method: poison.Method, request: Message) -> tuple[grpc.StatusCode, str]:
        metadata = self.platform_md if method.path in PLATFORM_METHOD_SCOPES else self.tenant_md
        data = _serialized(request)
        try:
            if method.streaming:
                stream = self.channel.unary_stream(method.path)
                async for _ in stream(data, metadata=metadata, timeout=30):
                    pass
            else:
                await self.channel.unary_unary(method.path)(data, metadata=metadata, timeout=30)
        except grpc.aio.AioRpcError as exc:
            return exc.code(), exc.details() or ""
        return grpc.StatusCode.OK, ""


@pytest.fixture
async def target(alice, peterson, smith, secret) -> Iterator[Target]:
    async with grpc.aio.insecure_channel(
        alice.address,
        options=[("grpc.max_send_message_length", 8 * MIB)],
    ) as channel:
        yield Target(channel, peterson, smith, secret)


def _errors(log: Any) -> list[dict[str, object]]:
    return [line for line in json_lines(log) if line.get("level") == "ERROR"]


def _verdict(method: poison.Method, what: str, code: grpc.StatusCode, details: str) -> str | None:
    if code in REFUSED or "Traceback" in details or "SQL" in details:
        return f"{method.name} {what}: {code.name} {details[:200]!r}"
    return None


def test_every_rpc_has_a_valid_request():
    assert {m.name for m in poison.methods()} <= NAMES


async def test_the_valid_requests_pass_validation(target):
    wrong = []
    for method in poison.methods():
        code, details = await target.call(method, target.base(method))
        if code in REFUSED | {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAUTHENTICATED}:
            wrong.append(f"{method.name}: {code.name} {details}")
    assert not wrong, "\n".join(wrong)


async def test_each_field_of_each_rpc_poisoned_in_turn(target):
    """The sweep: every leaf of every request, every poison of its kind, alone."""
    wrong: list[str] = []
    calls = 0
    with captured() as log:
        for method in poison.methods():
            base = target.base(method)
            for leaf in poison.leaves(method.request.DESCRIPTOR):
                for value in POISONS.get(leaf.kind, []):
                    request = method.request()
                    request.CopyFrom(base)
                    leaf.write(request, value)
                    code, details = await target.call(method, request)
                    calls += 1
                    verdict = _verdict(method, f"{leaf.path}={_short(value)}", code, details)
                    if verdict:
                        wrong.append(verdict)
    print(f"{calls} poisoned calls")
    assert not wrong, "\n".join(wrong)
    assert not _errors(log), _errors(log)[:5]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}...({len(text)} chars)"


@st.composite
def _poisoned_requests(draw: st.DrawFn) -> tuple[poison.Method, list[tuple[poison.Leaf, Any]]]:
    method = draw(
        st.sampled_from([m for m in poison.methods() if poison.leaves(m.request.DESCRIPTOR)])
    )
    candidates = [leaf for leaf in poison.leaves(method.request.DESCRIPTOR) if leaf.kind in POISONS]
    chosen = draw(
        st.lists(
            st.sampled_from(candidates), min_size=1, max_size=3, unique_by=lambda leaf: leaf.path
        )
    )
    return method, [(leaf, draw(_values(leaf.kind))) for leaf in chosen]


def _values(kind: str) -> st.SearchStrategy[Any]:
    listed = st.sampled_from(POISONS[kind])
    if kind in ("string", "map_key"):
        return st.one_of(listed, st.text(max_size=50).filter(lambda t: not _has_surrogate(t)))
    if kind in INTEGERS:
        low, high = min(INTEGERS[kind]), max(INTEGERS[kind])
        return st.one_of(listed, st.integers(low, high))
    if kind in ("double", "float"):
        return st.one_of(listed, st.floats(width=32 if kind == "float" else 64))
    return listed


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


async def test_random_poisoned_fields(target):
    """ALICE_FUZZ_FIELDS_EXAMPLES random requests with one to three poisoned fields."""
    drawn: list[tuple[poison.Method, list[tuple[poison.Leaf, Any]]]] = []

    @FUZZ
    @given(_poisoned_requests())
    def collect(example: tuple[poison.Method, list[tuple[poison.Leaf, Any]]]) -> None:
        drawn.append(example)

    collect()  # hypothesis drives plain functions: draw first, then call the server
    wrong: list[str] = []
    with captured() as log:
        for method, poisoned in drawn:
            request = method.request()
            request.CopyFrom(target.base(method))
            for leaf, value in poisoned:
                leaf.write(request, value)
            code, details = await target.call(method, request)
            what = ", ".join(f"{leaf.path}={_short(value)}" for leaf, value in poisoned)
            verdict = _verdict(method, what, code, details)
            if verdict:
                wrong.append(verdict)
    assert not wrong, "\n".join(wrong)
    assert not _errors(log), _errors(log)[:5]
